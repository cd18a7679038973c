"""Classical baselines on the Loss & accuracy panel: what scikit-learn's logistic regression,
nearest neighbours and (in the plane) an RBF SVM reach on the run's own validation split, as
dashed horizontal lines, so a student sees when the network is worth it.

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

COLOURS = ("#7f7f7f", "#bcbd22", "#17becf")
"""One muted colour per baseline, none of them a colour of the network's own curves."""
LABEL_POSITION = 0.9
"""Labels end short of the right edge (a fraction of the view's width): the end-of-run star stays visible."""
CLOSE = 0.08
"""Lines closer than this fraction of the view's height share one stack of labels."""
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


def label_anchors(values: list[float], view: tuple[float, float]) -> list[tuple[float, float]]:
    """Text anchors for the labels of lines at `values` (highest first): lines that close on the
    plot (0.82, 0.82, 0.81) stack their labels one under another instead of printing over each
    other, below the lines in the upper half of the view and above them in the lower half."""
    low, high = view
    height = max(high - low, 1e-12)
    anchors: list[tuple[float, float]] = []
    group: list[int] = []
    for k, v in enumerate(values):
        if group and values[group[0]] - v > CLOSE * height:
            anchors += _stacked(values, group, low + height / 2)
            group = []
        group.append(k)
    if group:
        anchors += _stacked(values, group, low + height / 2)
    return anchors


def _stacked(values: list[float], group: list[int], middle: float) -> list[tuple[float, float]]:
    if values[group[0]] >= middle:   # below the group, top label first
        return [(1.0, -float(j)) for j in range(len(group))]
    return [(1.0, 1.0 + float(len(group) - 1 - j)) for j in range(len(group))]   # above it


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
        for k, (b, anchor) in enumerate(zip(shown, label_anchors([b.val for b in shown], plot.viewRange()[1]))):
            colour = COLOURS[k % len(COLOURS)]
            line = pg.InfiniteLine(
                pos=float(b.val), angle=0, movable=False,
                pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
                label=f"{short_title(b.name, b.title)} {figure_text(b.metric, b.val)}",
                labelOpts={"position": LABEL_POSITION, "color": colour, "anchors": [anchor, anchor],
                           "fill": (255, 255, 255, 190)})
            line.setToolTip(f"{b.title}, fitted by scikit-learn on this run's training split: "
                            f"validation {'accuracy' if b.metric == 'accuracy' else 'MSE'} "
                            f"{figure_text(b.metric, b.val)}")
            plot.addItem(line, ignoreBounds=True)
            self.lines.append((b, line, plot))
        if shown and not self._in_legend:
            self.legend.addItem(self._swatch, LEGEND_TEXT)
            self._in_legend = True

    def clear(self) -> None:
        """Remove the lines (the figures stay known)."""
        for _b, line, plot in self.lines:
            plot.removeItem(line)
        self.lines = []
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
