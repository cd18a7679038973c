"""Text samples (character-level language models): what the network writes after each epoch,
at three temperatures from the same start and the same random numbers, beside its loss per
character against the loss of predicting the text's character frequencies with no context.

The samples are written by the Trainer (`playground.training.text_samples`) only while this
panel is shown; the earlier epochs' T = 1 lines stay listed below, so words can be seen to form.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QBoxLayout, QTextEdit, QWidget

from playground.training.events import EpochEvent, TextSampleEvent
from widgets.panels.base import (
    FOREGROUND, MUTED, GrowingArray, Panel, axis_items, colour, graphics_layout, show_grid, style_plot)

MAX_HISTORY = 200
"""Earlier epochs' lines kept for the list (a long run keeps its newest)."""
HISTORY_T = 1.0
"""The temperature whose line is kept per epoch: the model's own distribution."""


def temperature_name(t: float) -> str:
    return "T = 0 (most likely)" if t <= 0 else f"T = {t:g}"


class TextSamplesPanel(Panel):
    title = "Text samples"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.text = QTextEdit(self)
        self.text.setObjectName("textSamples")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.body.addWidget(self.text, 3)
        self.canvas = graphics_layout(self)
        self.body.addWidget(self.canvas, 2)
        self._layout.addLayout(self.body, 1)
        self.plot = style_plot(self.canvas.addPlot(axisItems=axis_items()), "Loss per character (nats)",
                               "nats", "epoch")
        show_grid(self.plot)
        self.plot.addLegend(offset=(5, -5), labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 200))
        self.train_curve = self.plot.plot(pen=pg.mkPen(colour(0), width=2), name="training")
        self.val_curve = self.plot.plot(pen=pg.mkPen(colour(1), width=2), symbol="o", symbolSize=4,
                                        name="validation")
        self.unigram_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#555", width=1.5,
                                                                                 style=pg.QtCore.Qt.PenStyle.DashLine))
        self.unigram_label = pg.TextItem("", color=FOREGROUND, anchor=(1, 1))
        self.epochs, self.train, self.val = (GrowingArray(64, limit=4096) for _ in range(3))
        self.last: TextSampleEvent | None = None
        self.history: list[tuple[int, str]] = []
        self.set_idle_hint("Character-level language models: the text the network writes after each epoch.")

    def arrange(self, wide: bool) -> None:
        self.body.setDirection(QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom)

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if isinstance(e, TextSampleEvent):
                self.last = e
                if HISTORY_T in e.temperatures:
                    self.history.append((e.epoch, e.samples[e.temperatures.index(HISTORY_T)]))
                    del self.history[:-MAX_HISTORY]
                self.received += 1
                new = True
            elif isinstance(e, EpochEvent):
                self.epochs.append(e.epoch)
                self.train.append(e.train_loss)
                self.val.append(e.val_loss)
                new = new or self.received > 0
        return new

    def clear(self) -> None:
        super().clear()
        self.last = None
        self.history = []
        for a in (self.epochs, self.train, self.val):
            a.clear()
        self.train_curve.setData([], [])
        self.val_curve.setData([], [])
        self.text.clear()
        for item in (self.unigram_line, self.unigram_label):
            if item.scene() is not None:
                self.plot.removeItem(item)

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        self.text.setHtml(self._html(e))
        epochs = self.epochs.view()
        for curve, values in ((self.train_curve, self.train.view()), (self.val_curve, self.val.view())):
            ok = np.isfinite(values)
            curve.setData(epochs[ok], values[ok])
        if self.unigram_line.scene() is None:
            self.plot.addItem(self.unigram_line, ignoreBounds=False)
            self.plot.addItem(self.unigram_label)
        self.unigram_line.setValue(e.unigram_entropy)
        self.unigram_label.setText(f"no context: {e.unigram_entropy:.2f}")
        self.unigram_label.setPos(float(epochs[-1]) if len(epochs) else 0.0, e.unigram_entropy)
        val = f"; validation loss {self.val.view()[-1]:.3f} nats/character" if len(self.val) else ""
        self.set_hint(f"Epoch {e.epoch} (step {e.step}): the network continues the text's first "
                      f"{len(e.prompt)} characters{val}, against {e.unigram_entropy:.3f} for the character "
                      f"frequencies alone and {e.uniform_entropy:.3f} (ln of the alphabet size) for a uniform guess.")

    def _html(self, e: TextSampleEvent) -> str:
        prompt = html.escape(e.prompt)
        rows = [f"<p style='margin:0 0 4px 0'><b>Epoch {e.epoch}</b>, "
                f"<span style='color:{MUTED}'>start (from the text): “{prompt}”</span></p>"]
        for t, sample in zip(e.temperatures, e.samples):
            rows.append(f"<p style='margin:0 0 6px 0'><b>{temperature_name(t)}:</b> "
                        f"<span style='color:{MUTED}'>{prompt}</span>{html.escape(sample)}</p>")
        earlier = [(ep, s) for ep, s in self.history if ep != e.epoch]
        if earlier:
            rows.append(f"<p style='margin:8px 0 2px 0; color:{MUTED}'>Earlier epochs, {temperature_name(HISTORY_T)}:</p>")
            for ep, s in reversed(earlier):
                rows.append(f"<p style='margin:0 0 2px 0'><span style='color:{MUTED}'>{ep:>3}</span> "
                            f"{html.escape(s)}</p>")
        return "".join(rows)

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        e = self.last
        rows: list[list[object]] = [[ep, HISTORY_T, s] for ep, s in self.history]
        if e is not None:
            rows += [[e.epoch, t, s] for t, s in zip(e.temperatures, e.samples) if t != HISTORY_T]
        return ["epoch", "temperature", "text"], rows
