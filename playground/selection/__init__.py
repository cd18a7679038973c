"""Model selection as the course teaches it: learning curves, complexity curves and the bias and
variance of a model, measured by training a preset many times.

Owns: how the training set or one setting is varied between runs and what is measured at the
end of each, k-fold cross-validation (`cv`) and the hyper-parameter search (`search`, Optuna).

May import: everything below it: `core`, `params`, `layers`, `data`, `network`, `training`,
`babysit`, `course`, `run_records`.
"""
