"""Which live views have something to show for a preset.

The engine decides this (not the app) because it knows what each mode, target and data kind
produces: a perceptron has no optimizer updates to compare, only image data with a Conv2d
has feature maps, only an autoencoder reconstructs, and a boundary exists only over 2-D points.
"""
from __future__ import annotations

from playground.network.spec import CLASS_LOSSES, Preset

VIEWS = ("loss", "update_ratio", "activations", "gradients", "feature_maps", "reconstructions",
         "decision_boundary", "confusion", "perceptron", "weights", "neuron_maps", "hidden_space",
         "lstm_internals", "text_samples")
"""Every view the engine's events can feed, by name."""


def data_kind(preset: Preset) -> str:
    """The data set's kind ('points', 'image', 'sequence', 'regression', …), '' when unknown."""
    from playground.data import DATASETS
    entry = DATASETS.get(preset.data.name)
    return entry.kind if entry is not None else ""


def is_autoencoder(preset: Preset) -> bool:
    return preset.training.target == "input"


def classifies(n_classes: int, target: str) -> bool:
    """The data's labels are classes the network predicts: accuracy and a confusion matrix mean
    something. The one answer once the data set is made (the Trainer, the exported train.py); an
    autoencoder's target is its input, whatever classes its data has."""
    return n_classes > 0 and target == "label"


def is_classifier(preset: Preset) -> bool:
    """The network predicts classes (so accuracy and a confusion matrix mean something), told from
    the preset alone, before its data is read (which panels to show): its loss says so."""
    ts = preset.training
    return not is_autoencoder(preset) and (ts.mode == "perceptron" or ts.loss in CLASS_LOSSES)


def baseline_metric(preset: Preset) -> str | None:
    """Which of the classical baselines' figures (`playground.data.baselines`) a run of `preset`
    can be read against, before its data is read: accuracy for a classifier; MSE for a regression
    trained on MSE, whose loss curve is in the same units; none for any other loss (an L1
    regression's curve is not an MSE) or an autoencoder (its baseline would be PCA)."""
    if is_autoencoder(preset):
        return None
    if is_classifier(preset):
        return "accuracy"
    return "mse" if preset.training.loss == "mse" else None


def views_for(preset: Preset) -> dict[str, bool]:
    """For every name in VIEWS, whether a run of `preset` produces something for it."""
    kind = data_kind(preset)
    types = {n.type for n in preset.model.nodes}
    autoencoder = is_autoencoder(preset)
    perceptron = preset.training.mode == "perceptron"
    return {
        "loss": True,
        "update_ratio": not perceptron,
        "activations": True,
        "gradients": not perceptron,
        "feature_maps": kind == "image" and "Conv2d" in types,
        "reconstructions": autoencoder,
        "decision_boundary": kind in ("points", "regression") and not autoencoder,
        "confusion": is_classifier(preset),
        "perceptron": perceptron,
        "weights": True,
        "neuron_maps": kind == "points",
        "hidden_space": is_classifier(preset) and not perceptron,
        "lstm_internals": bool(types & {"RNN", "LSTM", "GRU"}),
        "text_samples": writes_text(preset),
    }


def writes_text(preset: Preset) -> bool:
    """A character-level language model: its data are one-hot characters labelled with the next
    one, so the trained network can write text (`playground.training.text_samples`)."""
    from playground.data.sequences import TEXT_SETS
    return preset.data.name in TEXT_SETS and is_classifier(preset)
