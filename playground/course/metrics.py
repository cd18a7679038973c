"""The numbers a finished run's summary reports that a lesson may make a claim about.

Lessons are checked against this list (a claim about a number no run reports is a typo), and the
summary writes these names: both read them here, so a new metric is declared once.
"""
from __future__ import annotations

METRICS: dict[str, str] = {
    "train_loss": "the last epoch's training loss (with its penalty terms, where the run has any)",
    "train_data_loss": "the last epoch's training loss without its penalty terms (only where it has any)",
    "val_loss": "the last epoch's validation loss",
    "val_loss_final": "the validation loss of the weights the run ends with",
    "val_loss_min": "the lowest validation loss of any epoch",
    "best_epoch": "the epoch of the lowest validation loss",
    "train_accuracy": "the last epoch's training accuracy",
    "val_accuracy": "the last epoch's validation accuracy",
    "test_loss": "the test loss of the final weights",
    "test_accuracy": "the test accuracy of the final weights",
    "test_mse": "the test mean squared error (regression, reconstruction)",
    "pca_mse": "PCA's test reconstruction error with as many components as the code",
    "epochs": "epochs trained",
    "steps": "optimizer steps taken",
    "finite_steps": "steps taken before the loss became NaN or infinite (all steps when it never did)",
    "grad_ratio": "first weighted layer's gradient norm over the last one's (median over probe steps)",
    "dead_fraction": "the largest share of dead units in any layer at the last probe",
    "mistakes": "the perceptron rule's mistakes",
    "zero_weights": "the share of the final weight-matrix entries with |w| at most 1e-3 of the largest |w|",
    "loss_noise": "the spread (sd) of the step-to-step changes of the step loss over the last half of the steps",
    "steps_per_second": "optimizer steps per second of wall time (the per-epoch evaluation included)",
}
"""The summary's numbers a lesson may make a claim about, each with what it measures."""
