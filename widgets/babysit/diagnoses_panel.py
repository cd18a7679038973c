"""The Diagnoses panel: a card for each thing the engine's Diagnostician notices while training.

A card says the symptom, the evidence (numbers and the panel they come from), what might cause
it, and offers one action. The action is a training setting the window applies as an undoable
edit (Edit ▸ Undo reverts it), and a running training picks it up at its next step.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from playground.babysit.diagnoses import THRESHOLDS, Diagnosis, Diagnostician
from widgets.panels.base import Panel

CARD_STYLE = ("QFrame#diagnosisCard { border: 1px solid #d29922; border-left: 5px solid #d29922; "
              "border-radius: 4px; background: palette(base); }")
DIVERGENCE_STYLE = CARD_STYLE.replace("#d29922", "#d1242f")


class DiagnosisCard(QFrame):
    """One diagnosis, in the notes' hedged voice, with its action button."""

    action_requested = Signal(str, object)

    def __init__(self, d: Diagnosis, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnosis = d
        self.setObjectName("diagnosisCard")
        self.setStyleSheet(DIVERGENCE_STYLE if d.kind == "divergence" else CARD_STYLE)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(3)
        title = QLabel(f"<b>{d.symptom}</b> <span style='color:gray'>(step {d.step})</span>")
        lay.addWidget(title)
        evidence = QLabel(d.evidence)
        evidence.setWordWrap(True)
        lay.addWidget(evidence)
        causes = QLabel("This might indicate:<ul style='margin:0'>"
                        + "".join(f"<li>{c}</li>" for c in d.causes) + "</ul>")
        causes.setWordWrap(True)
        lay.addWidget(causes)
        self.setToolTip("Thresholds: " + "; ".join(f"{k} = {THRESHOLDS[k].value:g} ({THRESHOLDS[k].source})"
                                                    for k in d.thresholds))
        self.button: QPushButton | None = None
        if d.action is not None:
            self.button = QPushButton(d.action.label)
            self.button.setObjectName("diagnosisAction")
            self.button.setToolTip("Applies the change to the training settings; Edit ▸ Undo reverts it")
            self.button.clicked.connect(self._apply)
            lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)

    def _apply(self) -> None:
        a = self.diagnosis.action
        if a is None or self.button is None:
            return
        self.action_requested.emit(a.setting, a.value)
        self.button.setText(f"Applied: {a.setting} = {a.value:g} (Edit ▸ Undo reverts it)")
        self.button.setEnabled(False)


class DiagnosesPanel(Panel):
    """Cards for the diagnoses of the current run, newest first."""

    title = "Diagnoses"
    action_requested = Signal(str, object)
    """(training setting, value): the window applies it as an undoable edit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.set_idle_hint("While training, what the curves and probes might indicate appears here, "
                           "with one action to try.")
        self.doctor = Diagnostician()
        self._new: list[Diagnosis] = []
        self.cards: list[DiagnosisCard] = []
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(2, 2, 2, 2)
        self.body_layout.addStretch(1)
        self.scroll.setWidget(self.body)
        self._layout.addWidget(self.scroll, 1)
        self.save_button.hide()  # cards, not a plot: nothing to save as an image or CSV

    def ingest(self, events: list[object]) -> bool:
        found = [d for e in events for d in self.doctor.observe(e)]
        if not found:
            return False
        self._new += found
        self.received += 1
        self._count_in_tab()
        return True

    def _count_in_tab(self) -> None:
        """Cards are drawn only where the panel can be seen; its dock tab counts them, so a card
        behind another tab is still noticed."""
        n = len(self.cards) + len(self._new)
        dock = self.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        if dock is not None:
            dock.setWindowTitle(f"{self.title} ({n})" if n else self.title)

    def render(self) -> None:
        for d in self._new:
            card = DiagnosisCard(d, self.body)
            card.action_requested.connect(self.action_requested)
            self.body_layout.insertWidget(0, card)
            self.cards.append(card)
        if self._new:
            n = len(self.cards)
            self.set_hint(f"{n} {'diagnoses' if n != 1 else 'diagnosis'} so far: hover a card for its thresholds "
                          "and their sources.")
        self._new = []

    def clear(self) -> None:
        super().clear()
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards, self._new = [], []
        self.doctor = Diagnostician()
        self._count_in_tab()


def start_diagnoses(panels: list, preset: Any) -> None:
    """Give the Diagnoses panel the run's learning rate and optimizer as it starts: a loss that is
    NaN at the first step (rnn_exploding) is reported before any event that carries them, and its
    card must name the run's rate (0.05 with SGD), not a default."""
    for p in panels:
        if isinstance(p, DiagnosesPanel):
            p.doctor.lr, p.doctor.optimizer = float(preset.training.lr), str(preset.training.optimizer)
