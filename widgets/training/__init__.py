"""Training on a background thread: the worker that drives the engine's Trainer on a QThread,
and the controller that owns that thread and feeds the live panels."""
