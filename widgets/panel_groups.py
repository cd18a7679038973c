"""The live panels in groups, so their dock tabs fit a 1366×768 window.

Fifteen panels in one tab bar overflowed even at 1920×1080, and the Diagnoses tab hid behind
the scroll arrows. The plots are split into two groups a course follows: how the training run
goes (curves, schedule, predictions) and what happens inside the network (activations,
gradients, weights, maps). One group's tabs show at a time, switched from the bar above the
plots; the Diagnoses cards are not a plot and sit beside the Inspector, their count always in sight.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

DIAGNOSES = "Diagnoses"
TRAINING = "Training"
INSIDE = "Inside the network"
GROUPS = (TRAINING, INSIDE)
"""The groups of plot panels, in the order of the bar's buttons."""
GROUP_TIPS = {
    TRAINING: "How the run goes: loss and accuracy, the learning-rate schedule, update/weight ratios, "
              "what the network predicts",
    INSIDE: "Inside the network: activations, gradients, weights, feature and neuron maps, the hidden space",
}


@dataclass(frozen=True)
class PanelKind:
    """One live panel, declared once: the training controller makes it, the window docks it in its
    group and lists it under View ▸ Training Panels, and the Trainer computes its engine view only
    while it is shown. The class is named by module so that declaring costs no import (the window
    appears before pyqtgraph and torch load)."""

    title: str
    group: str          # TRAINING, INSIDE or DIAGNOSES
    view: str | None    # the engine view it draws (playground.training.views); None: it reads every event
    module: str
    cls: str

    def make(self):
        """A new panel (a widgets.panels.base.Panel), titled as declared here: a new panel's class
        needs no title of its own (the built-ins keep theirs as names to look them up by, and
        tests/test_add_one_thing.py checks each equals its declaration)."""
        panel = getattr(importlib.import_module(self.module), self.cls)()
        panel.title = self.title
        return panel


PANELS: list[PanelKind] = [
    PanelKind("Loss & accuracy", TRAINING, "loss", "widgets.panels.loss", "LossPanel"),
    PanelKind("Update/weight ratio", TRAINING, "update_ratio", "widgets.panels.update_ratio", "UpdateRatioPanel"),
    PanelKind("Activations", INSIDE, "activations", "widgets.panels.activations", "ActivationsPanel"),
    PanelKind("Gradients", INSIDE, "gradients", "widgets.panels.update_ratio", "GradientsPanel"),
    PanelKind("Feature maps", INSIDE, "feature_maps", "widgets.panels.feature_maps", "FeatureMapsPanel"),
    PanelKind("Reconstructions", TRAINING, "reconstructions", "widgets.panels.reconstructions",
              "ReconstructionsPanel"),
    PanelKind("Decision boundary", TRAINING, "decision_boundary", "widgets.panels.decision_boundary",
              "DecisionBoundaryPanel"),
    PanelKind("Confusion matrix", TRAINING, "confusion", "widgets.panels.confusion", "ConfusionPanel"),
    PanelKind("Perceptron", TRAINING, "perceptron", "widgets.panels.perceptron", "PerceptronPanel"),
    PanelKind("Schedule", TRAINING, "schedule", "widgets.panels.schedule", "SchedulePanel"),
    PanelKind("Weights", INSIDE, "weights", "widgets.panels.weights", "WeightsPanel"),
    PanelKind("Neuron maps", INSIDE, "neuron_maps", "widgets.panels.neuron_maps", "NeuronMapsPanel"),
    PanelKind("Hidden space", INSIDE, "hidden_space", "widgets.panels.hidden_space", "HiddenSpacePanel"),
    PanelKind("LSTM internals", INSIDE, "lstm_internals", "widgets.panels.lstm_internals", "LstmInternalsPanel"),
    PanelKind("Text samples", TRAINING, "text_samples", "widgets.panels.text_samples", "TextSamplesPanel"),
    PanelKind(DIAGNOSES, DIAGNOSES, None, "widgets.babysit.diagnoses_panel", "DiagnosesPanel"),
]
"""Every live panel, in tab order: to add one, write its module and declare it here (or call
`register_panel` from a plugin or a test)."""


def register_panel(kind: PanelKind) -> None:
    """Declare a panel (one with the same title is replaced); windows made later show it."""
    unregister_panel(kind.title)
    PANELS.insert(len(PANELS) - 1 if PANELS and PANELS[-1].group == DIAGNOSES else len(PANELS), kind)


def unregister_panel(title: str) -> None:
    PANELS[:] = [k for k in PANELS if k.title != title]


def titles_in(group: str) -> tuple[str, ...]:
    """The panel titles a group holds, in tab order."""
    return tuple(k.title for k in PANELS if k.group == group)


def panel_views() -> dict[str, str]:
    """Panel title → the engine view it draws."""
    return {k.title: k.view for k in PANELS if k.view is not None}


def panel_group_of(title: str) -> str:
    """The group a plot panel belongs to (a panel no group names joins the training group)."""
    return next((k.group for k in PANELS if k.title == title and k.group in GROUPS), TRAINING)


class PanelGroupBar(QWidget):
    """The title bar of every plot dock: one button per group, the shown group checked."""

    def __init__(self, choose: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panelGroupBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.setSpacing(4)
        label = QLabel("Panels:")
        label.setObjectName("hint")
        row.addWidget(label)
        self.buttons: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for name in GROUPS:
            button = QToolButton()
            button.setObjectName(f"panelGroup_{name.split()[0].lower()}")
            button.setText(name)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip(GROUP_TIPS[name])
            button.clicked.connect(lambda _=False, n=name: choose(n))
            group.addButton(button)
            row.addWidget(button)
            self.buttons[name] = button
        row.addStretch(1)

    def set_group(self, name: str) -> None:
        for n, button in self.buttons.items():
            button.setChecked(n == name)
