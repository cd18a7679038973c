"""Babysitting a training run, as the course notes teach it: pre-flight checks before training
(`checks`), diagnoses while it trains (`diagnoses`), the learning-rate range test (`lr_find`)
and random search in log space (`search`). Qt-free: the CLI and the app share all of it."""
