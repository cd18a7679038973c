"""Classical baselines on the Loss & accuracy panel: what scikit-learn's logistic regression,
nearest neighbours and (in the plane) an RBF SVM reach on the run's own validation split, as
dashed horizontal lines, so a student sees when the network is worth it. Their names and figures
are listed in a box inside the plot that sits where it hides the fewest curve points (a label on
its line lay on the curves wherever the network matched the baseline, which is often).

The figures are the engine's (`playground.data.baselines.baselines_for`). Fitting them reads the data
set and fits scikit-learn models, which can take a second or more: it runs on a `BackgroundTask`,
never on the GUI thread, and each data set's figures are kept here once they arrive. A classifier
gets its validation accuracies on the accuracy plot; a regression trained with MSE gets the
baselines' validation MSE on the loss plot; anything else (an autoencoder, another loss) none.
"""
from __future__ import annotations

import json
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Slot

from playground.network.spec import Preset
from playground.training.views import baseline_metric
from widgets.tasks import BackgroundTask
from widgets.data_reading import KNOWN_LIMIT, spec_key
from widgets.panels.legend_place import LegendPlacer

COLOURS = ("#7f7f7f", "#bcbd22", "#17becf")
"""One muted colour per baseline, none of them a colour of the network's own curves."""
LEGEND_TEXT = "baselines (scikit-learn, validation)"
SHUTDOWN_S = 5.0
"""How long a closing window waits for a fit still running: most take well under a second, the
largest data sets allowed (`playground.data.baselines.MAX_VALUES`) seconds; one that cannot end in
time is a daemon thread and ends with the app, its figures going nowhere."""


def short_title(name: str, title: str) -> str:
    """The line's label: `knn_15` -> "15-NN", the RBF SVM by its initials, the rest as titled."""
    if name.startswith("knn_"):
        return f"{name.removeprefix('knn_')}-NN"
    if name == "rbf_svm":
        return "RBF SVM"
    return title


def figure_text(metric: str, value: float) -> str:
    return f"{value:.2f}" if metric == "accuracy" else f"{value:.3g}"


def fit_for(name: str, params: dict[str, Any]) -> list[Any]:
    """The engine's baselines of one data set (on a worker thread); [] where they cannot be fitted
    (a class missing from a tiny training split, a file that cannot be read): the lines are an
    aside, and the run itself reports whatever is wrong with its data."""
    from playground.data.baselines import baselines_for
    try:
        return baselines_for(name, params)
    except Exception:  # noqa: BLE001  (no lines rather than a traceback in a slot)
        return []


class BaselineLines(QObject):
    """Owned by the loss panel: `request(preset)` when a run starts; the lines follow when the
    figures arrive (at once for a data set seen before)."""

    def __init__(self, loss_plot: pg.PlotItem, acc_plot: pg.PlotItem, legend: pg.LegendItem,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)   # (deleted with the panel: a fit arriving later goes nowhere)
        self.loss_plot, self.acc_plot, self.legend = loss_plot, acc_plot, legend
        self.known: dict[str, list[Any]] = {}
        """Baselines by data set (`spec_key`), as the engine gave them."""
        self.lines: list[tuple[Any, pg.InfiniteLine, pg.PlotItem]] = []
        """(baseline, line, plot) of each line drawn."""
        self._key = ""
        self._metric: str | None = None
        self._tasks: dict[str, BackgroundTask] = {}
        self._swatch = pg.PlotDataItem([], [], pen=pg.mkPen(COLOURS[0], width=1, style=Qt.PenStyle.DashLine))
        self._in_legend = False
        # accuracy rises to the top right, a loss falls to the bottom right: the box starts where they leave room
        self.boxes = {id(acc_plot): self._box(acc_plot, (1, 1)), id(loss_plot): self._box(loss_plot, (1, 0))}
        """Each plot's box of the baselines' names and figures, and what places it."""

    @staticmethod
    def _box(plot: pg.PlotItem, preferred: tuple[float, float]) -> tuple[pg.LegendItem, LegendPlacer]:
        box = pg.LegendItem(offset=None, labelTextColor="#222", labelTextSize="8pt", verSpacing=-6,
                            brush=pg.mkBrush(255, 255, 255, 210))
        box.layout.setContentsMargins(2, 1, 2, 1)
        box.setParentItem(plot.vb)
        box.hide()
        return box, LegendPlacer(plot, box, preferred)

    def place(self) -> None:
        """Move the boxes shown to where they hide the least (the panel calls it when its curves grow)."""
        for box, placer in self.boxes.values():
            if box.isVisible():
                placer.place()

    def request(self, preset: Preset) -> None:
        """Show the baselines of `preset`'s data set (its figures fitted off the GUI thread)."""
        metric = baseline_metric(preset)   # the engine's answer, before the data is read
        key = spec_key(preset.data.name, preset.data.params)
        if (key, metric) != (self._key, self._metric):
            self.clear()
        self._key, self._metric = key, metric
        if metric is None:
            return
        if key in self.known:
            if not self.lines:
                self._draw()
            return
        if key in self._tasks:
            return
        name, params = preset.data.name, json.loads(json.dumps(preset.data.params, default=str))
        task = BackgroundTask(lambda _task: (key, fit_for(name, params)), kind="baselines")   # (the worker's own copy)
        task.done.connect(self._on_fitted)   # fit_for never raises: every failure is no lines
        self._tasks[key] = task
        task.start()

    @Slot(object)
    def _on_fitted(self, result: tuple[str, list[Any]]) -> None:
        key, baselines = result
        self._tasks.pop(key, None)
        self.known[key] = list(baselines)
        while len(self.known) > KNOWN_LIMIT:
            self.known.pop(next(iter(self.known)))
        if key == self._key and not self.lines:
            self._draw()

    def _draw(self) -> None:
        plot = self.acc_plot if self._metric == "accuracy" else self.loss_plot
        shown = sorted((b for b in self.known.get(self._key, []) if b.metric == self._metric and b.val is not None),
                       key=lambda b: -b.val)
        box, placer = self.boxes[id(plot)]
        box.clear()
        for k, b in enumerate(shown):
            pen = pg.mkPen(COLOURS[k % len(COLOURS)], width=1.5, style=Qt.PenStyle.DashLine)
            line = pg.InfiniteLine(pos=float(b.val), angle=0, movable=False, pen=pen)
            box.addItem(pg.PlotDataItem([], [], pen=pen), f"{short_title(b.name, b.title)} {figure_text(b.metric, b.val)}")
            line.setToolTip(f"{b.title}, fitted by scikit-learn on this run's training split: "
                            f"validation {'accuracy' if b.metric == 'accuracy' else 'MSE'} "
                            f"{figure_text(b.metric, b.val)}")
            plot.addItem(line, ignoreBounds=True)
            self.lines.append((b, line, plot))
        if shown:
            box.show()
            placer.corner = None   # (placed anew: its size changed)
            placer.place()
        if shown and not self._in_legend:
            self.legend.addItem(self._swatch, LEGEND_TEXT)
            self._in_legend = True

    def clear(self) -> None:
        """Remove the lines (the figures stay known)."""
        for _b, line, plot in self.lines:
            plot.removeItem(line)
        self.lines = []
        for box, _placer in self.boxes.values():
            box.clear()
            box.hide()
        if self._in_legend:
            self.legend.removeItem(self._swatch)
            self._in_legend = False

    def forget_run(self) -> None:
        """The panel is reset: no lines until the next run asks again."""
        self.clear()
        self._key, self._metric = "", None

    def shutdown(self, timeout_s: float = SHUTDOWN_S) -> None:
        """The window is closing: wait (bounded) for the fits still running; their figures go nowhere."""
        tasks, self._tasks = list(self._tasks.values()), {}
        for task in tasks:
            task.join(timeout_s)


def show_baselines(panel: Any, preset: Preset) -> None:
    """Called when a run starts: the loss panel's baseline lines for this run's data set."""
    lines = getattr(panel, "baselines", None)
    if isinstance(lines, BaselineLines):
        lines.request(preset)


def shutdown_baselines(panel: Any) -> None:
    """Called when the window closes: the loss panel's baseline fits are joined, bounded."""
    lines = getattr(panel, "baselines", None)
    if isinstance(lines, BaselineLines):
        lines.shutdown()
