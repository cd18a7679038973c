"""The clustering lab's second tab: k-means on the digits' raw pixels against k-means on the codes
of a briefly trained autoencoder and VAE, scored by the adjusted Rand index per seed, with the
verdict of Welch's test (the engine: playground.labs.cluster_codes; the verdict and its words:
playground.labs.commands, as `playground lab cluster --codes` prints them).

Training ten small autoencoders takes tens of seconds, so it runs on a BackgroundTask when the
student presses Run, and the tab says which seed it is at."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from playground.labs import cluster_codes as cc
from playground.labs.commands import codes_finding, codes_verdicts
from widgets.labs.common import grid_plot, set_title
from widgets.panels.base import PALETTE, Canvas
from widgets.tasks import BackgroundTask

COLOURS = {"pixels": PALETTE[7], "autoencoder": PALETTE[0], "vae": PALETTE[1]}
SHORT = {"pixels": "raw pixels (64)", "autoencoder": "autoencoder code (8)", "vae": "VAE mean μ (4)"}


class Cancelled(Exception):
    """The tab closed while the comparison ran."""


class CodesSection(QWidget):
    """Run button and settings, the per-seed indices as dots over mean ± sd bars, and the verdict."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.seeds_box = QSpinBox(self)
        self.seeds_box.setRange(2, 20)
        self.seeds_box.setValue(cc.SEEDS)
        self.seeds_box.setToolTip("Seeds 0..N-1: each trains the autoencoders and starts k-means")
        self.epochs_box = QSpinBox(self)
        self.epochs_box.setRange(1, 200)
        self.epochs_box.setValue(cc.EPOCHS)
        self.epochs_box.setToolTip("Training epochs of digits_autoencoder and vae_digits (their presets train 60)")
        self.run_button = QPushButton("Run k-means on pixels and codes", self)
        self.busy_label = QLabel(self)
        self.busy_label.setStyleSheet("color: #555;")
        for label, widget in (("Seeds:", self.seeds_box), ("Epochs:", self.epochs_box)):
            row.addWidget(QLabel(label, self))
            row.addWidget(widget)
        row.addWidget(self.run_button)
        row.addWidget(self.busy_label)
        row.addStretch(1)
        layout.addLayout(row)
        self.canvas = Canvas(self)
        layout.addWidget(self.canvas, 1)
        self.verdict_label = QLabel(self)
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setStyleSheet("color: #222;")
        layout.addWidget(self.verdict_label)

        self.plot = grid_plot("", cc.METRIC, "")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.canvas.ci.addItem(self.plot)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.error_bars = pg.ErrorBarItem(pen=pg.mkPen("#222", width=1.5), beam=0.18)
        self.dots = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#222", width=0.8))
        for item in (self.bars, self.error_bars, self.dots):
            self.plot.addItem(item)
        self.value_labels: list[pg.TextItem] = []
        set_title(self.plot, "press Run: k-means (k = 10, k-means++) on all 1797 digit images as raw pixels and as "
                             "learned codes, scored against the digit labels")
        self.task: BackgroundTask | None = None
        self.result: cc.CodesComparison | None = None
        self.run_button.clicked.connect(self.run)
        self.verdict_label.setText(
            "Does an autoencoder's code make the digits easier to cluster than the pixels? Each seed trains "
            "digits_autoencoder (8-number code) and vae_digits (4 means μ) from that seed, without labels, and "
            "starts k-means with it; the adjusted Rand index says how well the clusters match the digits (1: "
            "exactly, about 0: chance). Welch's test says whether a code differs from the pixels by more than "
            "the spread over seeds.")

    # ------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        return self.task is not None

    def run(self) -> None:
        if self.task is not None:
            return
        seeds, epochs = self.seeds_box.value(), self.epochs_box.value()

        def work(task: BackgroundTask) -> cc.CodesComparison:
            def progress(text: str) -> None:
                if task.cancelled:
                    raise Cancelled("cancelled")
                task.report(text)
            return cc.compare(seeds, epochs, on_progress=progress)

        self.task = BackgroundTask(work, kind="lab")
        self.task.progress.connect(self._on_progress)
        self.task.done.connect(self._on_done)
        self.task.failed.connect(self._on_failed)
        self.run_button.setEnabled(False)
        self.busy_label.setText("starting…")
        self.task.start()

    def _end_task(self) -> None:
        self.task.deleteLater()
        self.task = None
        self.run_button.setEnabled(True)
        self.busy_label.setText("")

    @Slot(object)
    def _on_progress(self, text: object) -> None:
        self.busy_label.setText(f"training and clustering — {text}")

    @Slot(object)
    def _on_done(self, result: object) -> None:
        self._end_task()
        self.show_result(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end_task()
        self.verdict_label.setText(f"Could not compare the codes: {message}")

    def shutdown(self, timeout_s: float = 10.0) -> None:
        if self.task is not None:
            self.task.join(timeout_s)

    # ------------------------------------------------------------ drawing
    def show_result(self, result: cc.CodesComparison) -> None:
        self.result = result
        self.seeds_box.setValue(len(result.seeds))
        self.epochs_box.setValue(result.epochs)
        names = list(result.ari)
        xs = np.arange(len(names), dtype=float)
        means = np.array([result.mean(n) for n in names])
        sds = np.array([result.sd(n) for n in names])
        self.bars.setOpts(x=xs, height=means, width=0.6,
                          brushes=[pg.mkBrush(COLOURS[n] + "55") for n in names],
                          pens=[pg.mkPen(COLOURS[n], width=1.5) for n in names])
        self.error_bars.setData(x=xs, y=means, height=2 * sds)
        px, py, brushes = [], [], []
        for i, name in enumerate(names):
            values = np.asarray(result.ari[name])
            px += list(i + np.linspace(-0.18, 0.18, len(values)))
            py += list(values)
            brushes += [pg.mkBrush(COLOURS[name])] * len(values)
        self.dots.setData(px, py, brush=brushes)
        for item in self.value_labels:
            self.plot.removeItem(item)
        self.value_labels = []
        for x, name, m, s in zip(xs, names, means, sds):
            text = pg.TextItem(f"{m:.3f} ± {s:.3f}", color="#111", anchor=(0.5, 1.0))
            text.setPos(x, float(max(result.ari[name])) + 0.02)
            self.plot.addItem(text)
            self.value_labels.append(text)
        self.plot.getAxis("bottom").setTicks([[(x, SHORT[n]) for x, n in zip(xs, names)]])
        self.plot.setXRange(-0.6, len(names) - 0.4, padding=0)
        top = max(float(max(max(v) for v in result.ari.values())), 0.0)
        self.plot.setYRange(min(0.0, float(min(min(v) for v in result.ari.values()))), top + 0.12, padding=0)
        set_title(self.plot, f"adjusted Rand index of each seed (dots) and mean ± sd (bars) over seeds "
                             f"0..{result.seeds[-1]}; autoencoders trained {result.epochs} "
                             f"epoch{'s' if result.epochs != 1 else ''}")
        verdicts = codes_verdicts(result)
        lines = [f"<b>{codes_finding(name, v)}.</b> {v.sentence()}." for name, v in verdicts.items()]
        self.verdict_label.setText("<br>".join(lines))
