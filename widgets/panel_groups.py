"""The live panels in groups, so their dock tabs fit a 1366×768 window.

Fifteen panels in one tab bar overflowed even at 1920×1080, and the Diagnoses tab hid behind
the scroll arrows. The plots are split into two groups a course follows: how the training run
goes (curves, schedule, predictions) and what happens inside the network (activations,
gradients, weights, maps). One group's tabs show at a time, switched from the bar above the
plots; the Diagnoses cards are not a plot and sit beside the Inspector, their count always in sight.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

DIAGNOSES = "Diagnoses"
TRAINING = "Training"
INSIDE = "Inside the network"
PANEL_GROUPS: dict[str, tuple[str, ...]] = {
    TRAINING: ("Loss & accuracy", "Schedule", "Update/weight ratio", "Decision boundary", "Confusion matrix",
               "Perceptron", "Reconstructions"),
    INSIDE: ("Activations", "Gradients", "Weights", "Feature maps", "Neuron maps", "Hidden space",
             "LSTM internals"),
}
"""Group name → the panel titles it holds, in tab order."""
GROUP_TIPS = {
    TRAINING: "How the run goes: loss and accuracy, the learning-rate schedule, update/weight ratios, "
              "what the network predicts",
    INSIDE: "Inside the network: activations, gradients, weights, feature and neuron maps, the hidden space",
}


def panel_group_of(title: str) -> str:
    """The group a plot panel belongs to (a panel no group names joins the training group)."""
    return next((g for g, titles in PANEL_GROUPS.items() if title in titles), TRAINING)


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
        for name in PANEL_GROUPS:
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
