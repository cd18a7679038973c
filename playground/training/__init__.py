"""Training: the Trainer (`trainer`) and the pieces of one step it shares with the exported
train.py (`step`, `losses`, `optim`, `tally`), the epoch's batches (`batches`), what it tells
the world (`events`, through the narrow `context` its helpers read), the probes that look
inside the running model (`inside`, `probes`, `visual_probes`, `views`, `projection`), the
device choice and the perceptron's own rule.

May import: `core`, `params`, `layers`, `data`, `network`.
"""
