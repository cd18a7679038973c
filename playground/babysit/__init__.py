"""Babysitting a training run, as the course notes teach it: pre-flight checks before training
(`checks`), diagnoses while it trains (`diagnoses`, `findings`, `run_findings`), the verdict and
next step when it ends (`outcome`) and the learning-rate range test (`lr_find`). Qt-free: the CLI
and the app share all of it.

May import: `core`, `params`, `layers`, `data`, `network`, `training`.
"""
