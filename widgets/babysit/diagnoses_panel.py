"""The Diagnoses panel: the run's findings as cards, in the engine's rank order.

A card says the finding, the evidence (numbers and the panel they come from), what might cause
it, and offers one action. The action is a training setting the window applies as an undoable
edit (Edit ▸ Undo reverts it), and a running training picks it up at its next step. The list is
`playground.babysit.findings`' ranked list, so a diverging loss is the first card and nothing
below it contradicts it; the end-of-run outcome is one more card in the same list, never a box
that interrupts a lesson.
"""
from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from playground.babysit.diagnoses import THRESHOLDS
from playground.babysit.findings import OUTCOME, Finding
from playground.babysit.run_findings import FindingsEvent, RunFindings
from playground.course.lessons import lesson_finding_of
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from widgets.panels.base import Panel

CARD_STYLE = ("QFrame#diagnosisCard { border: 1px solid #d29922; border-left: 5px solid #d29922; "
              "border-radius: 4px; background: palette(base); }")
CRITICAL_STYLE = CARD_STYLE.replace("#d29922", "#d1242f")
INFO_STYLE = CARD_STYLE.replace("#d29922", "#0969da")
STYLES = {"critical": CRITICAL_STYLE, "warning": CARD_STYLE, "info": INFO_STYLE}


class DiagnosisCard(QFrame):
    """One finding, in the notes' hedged voice, with its action button."""

    action_requested = Signal(str, object)

    def __init__(self, f: Finding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finding = f
        self.setObjectName("outcomeCard" if f.name == OUTCOME else "diagnosisCard")
        self.setStyleSheet(STYLES[f.severity].replace("#diagnosisCard", f"#{self.objectName()}"))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(3)
        when = "end of the run" if f.name == OUTCOME else f"step {f.step}"
        heading = "Outcome" if f.name == OUTCOME else f.message
        title = QLabel(f"<b>{heading}</b> <span style='color:gray'>({when})</span>")
        title.setWordWrap(True)   # unwrapped, a long heading set the card's width past the dock's
        lay.addWidget(title)
        body = QLabel(f.message if f.name == OUTCOME else f.evidence)
        body.setWordWrap(True)
        lay.addWidget(body)
        if f.causes:
            causes = QLabel("This might indicate:<ul style='margin:0'>"
                            + "".join(f"<li>{c}</li>" for c in f.causes) + "</ul>")
            causes.setWordWrap(True)
            lay.addWidget(causes)
        if f.thresholds:
            self.setToolTip("Thresholds: " + "; ".join(f"{k} = {THRESHOLDS[k].value:g} ({THRESHOLDS[k].source})"
                                                        for k in f.thresholds))
        self.button: QPushButton | None = None
        if f.action is not None:
            self.button = QPushButton(f.action.label)
            self.button.setObjectName("diagnosisAction")
            self.button.setToolTip("Applies the change to the training settings; Edit ▸ Undo reverts it")
            self.button.clicked.connect(self._apply)
            lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)

    def _apply(self) -> None:
        a = self.finding.action
        if a is None or self.button is None:
            return
        self.action_requested.emit(a.setting, a.value)
        self._apply_shown()

    def _apply_shown(self) -> None:
        """The button says its change was applied (kept when the cards are re-ranked)."""
        a = self.finding.action
        if a is None or self.button is None:
            return
        self.button.setText(f"Applied: {a.setting} = {a.value:g} (Edit ▸ Undo reverts it)")
        self.button.setEnabled(False)


def _blank_preset() -> Preset:
    """Settings for a panel fed before any run starts (the defaults)."""
    return Preset("", "", ModelSpec(), DataSpec(), TrainSpec())


class DiagnosesPanel(Panel):
    """Cards for the findings of the current run, in rank order (the most severe on top)."""

    title = "Diagnoses"
    action_requested = Signal(str, object)
    """(training setting, value): the window applies it as an undoable edit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.set_idle_hint("While training, what the curves and probes might indicate appears here, "
                           "with one action to try; when a run ends far from a good result, so does its outcome.")
        self.voice = RunFindings(_blank_preset(), find_accuracy_bar=False)
        self.told = False
        """A training session judges its run's events itself and sends what fired (FindingsEvent):
        the panel then takes those and judges nothing again. Without one (events handed to the
        panel by hand), it judges the events it is given."""
        self._changed = False
        self.cards: list[DiagnosisCard] = []
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)   # cards wrap to the width
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(2, 2, 2, 2)
        self.body_layout.addStretch(1)
        self.scroll.setWidget(self.body)
        self._layout.addWidget(self.scroll, 1)
        self.save_button.hide()  # cards, not a plot: nothing to save as an image or CSV

    @property
    def ranked(self) -> list[Finding]:
        return self.voice.ranked

    def start(self, preset: Preset, told: bool = False) -> None:
        """A run starts: its settings (the learning rate its cards name) and its lesson; `told`:
        its findings come as FindingsEvents from the session that trains it."""
        self.voice = RunFindings(preset, lesson_finding_of(preset.name), find_accuracy_bar=False)
        self.told = told

    def know_accuracy_bar(self, bar: float | None) -> None:
        """What the run's data allows, from the training thread (fitting it here would stall the
        window for seconds): the stall advice uses it from now on."""
        self.voice.know_accuracy_bar(bar)

    def ingest(self, events: list[object]) -> bool:
        found = False
        for e in events:
            if isinstance(e, FindingsEvent):
                self.voice.adopt(e)
                found = True
            elif not self.told and self.voice.observe(e):
                found = True
        if not found:
            return False
        self._mark_changed()
        return True

    def finish(self, history: Sequence[Any], n_classes: int = 0) -> Finding | None:
        """The run ran to its end: judge it; its outcome (if it ended far from good) joins the list."""
        self.voice.finish(history, n_classes)
        outcome = next((f for f in self.ranked if f.name == OUTCOME), None)
        if outcome is not None:
            self._mark_changed()
            self.dirty = True
        return outcome

    def _mark_changed(self) -> None:
        self._changed = True
        self.received += 1
        self._count_in_tab()

    def _count_in_tab(self) -> None:
        """Cards are drawn only where the panel can be seen; its dock tab counts them, so a card
        behind another tab is still noticed."""
        n = len(self.ranked) if self._changed else len(self.cards)
        dock = self.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        if dock is not None:
            dock.setWindowTitle(f"{self.title} ({n})" if n else self.title)

    def render(self) -> None:
        if not self._changed:
            return
        applied = {c.finding.key for c in self.cards if c.button is not None and not c.button.isEnabled()}
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        for k, f in enumerate(self.ranked):
            card = DiagnosisCard(f, self.body)
            card.action_requested.connect(self.action_requested)
            if f.key in applied and card.button is not None:
                card._apply_shown()
            self.body_layout.insertWidget(k, card)
            self.cards.append(card)
        n = len(self.cards)
        self.set_hint(f"{n} {'findings' if n != 1 else 'finding'}, the most severe first: hover a card for its "
                      "thresholds and their sources.")
        self._changed = False

    def clear(self) -> None:
        super().clear()
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards, self._changed = [], False
        bar = self.voice.doctor.accuracy_bar
        self.voice = RunFindings(self.voice.preset, self.voice.lesson_finding, find_accuracy_bar=False)
        self.voice.know_accuracy_bar(bar)
        self._count_in_tab()


def start_diagnoses(panels: list, preset: Any) -> None:
    """Give the Diagnoses panel the run's settings and lesson as it starts: a loss that is NaN at
    the first step (rnn_exploding) is reported before any event that carries the learning rate,
    and its card must name the run's rate (0.05 with SGD), not a default."""
    for p in panels:
        if isinstance(p, DiagnosesPanel):
            p.start(preset, told=True)
