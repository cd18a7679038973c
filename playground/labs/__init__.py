"""Labs: small, self-contained experiments from the course notes (activation gallery, optimizer
race, initialization explorer, backprop step by step). Each is plain torch/numpy, returns
dataclasses of numbers, and is drawn by `widgets.labs` and printed by `playground lab`.

May import: `core`, `params`, `layers`, `data`, `network`, `training`.
"""
