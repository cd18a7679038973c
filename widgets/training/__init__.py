"""Training on a background thread: the worker that drives the engine's Trainer as a background
task (`widgets.tasks`), and the controller that owns that task and feeds the live panels.

May import: `panels`, `babysit`, `tasks`, `panel_groups`.
"""
