"""Model selection as the course teaches it: learning curves, complexity curves and the bias and
variance of a model, measured by training a preset many times.

Owns: how the training set or one setting is varied between runs and what is measured at the
end of each. May import the spec, data, the Trainer and overrides; never Qt, never run records
(these runs are measurements, not a person's work, and leave nothing on disk).
"""
