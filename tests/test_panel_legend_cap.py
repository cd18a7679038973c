"""A deep network's per-layer panels keep their plot: the legend names at most 12 layers and counts
the rest in one line (a 42-layer network's legend once filled the whole Gradients panel)."""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from playground.training.events import LayerProbe, ProbeEvent  # noqa: E402
from widgets.panels.base import LEGEND_ENTRIES  # noqa: E402
from widgets.panels.update_ratio import GradientsPanel  # noqa: E402


def _probe(step: int, layers: int) -> ProbeEvent:
    edges = np.linspace(-1, 1, 11)
    return ProbeEvent(step, 0, [LayerProbe(f"fc{k}", "Linear", 1e-3, 10.0 ** -k, 1.0, np.ones(10), edges, 0.0, 1.0, None)
                                for k in range(layers)])


def _legend_labels(panel: GradientsPanel) -> list[str]:
    return [label.text for _sample, label in panel.plot.legend.items]


def test_a_42_layer_network_names_12_layers_and_counts_the_rest(qtbot):
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 420)
    panel.show()
    panel.ingest([_probe(0, 42), _probe(10, 42)])
    panel.render()
    qtbot.wait(50)
    assert LEGEND_ENTRIES == 12
    assert _legend_labels(panel) == [f"fc{k} (Linear)" for k in range(12)]
    legend = panel.plot.legend
    assert legend.left_out == 30 and "30 more" in legend._more.text
    assert len(panel.layers.curves) == 42                         # every curve is still drawn
    assert panel.plot.getViewBox().height() > 0.4 * panel.canvas.height()   # the plot keeps its room
    panel.clear()
    assert _legend_labels(panel) == [] and legend.left_out == 0 and legend._more is None
    panel.ingest([_probe(20, 3)])
    assert _legend_labels(panel) == ["fc0 (Linear)", "fc1 (Linear)", "fc2 (Linear)"] and legend._more is None


def test_a_legend_row_too_wide_for_a_narrow_dock_takes_fewer_columns(qtbot):
    """The Loss & accuracy legend with a penalty and the baselines, in the dock of a 1366×768
    window (~835 px): four columns of long names made the canvas's layout ~55 px wider than the
    canvas, and cut the accuracy plot off at its right edge."""
    import pyqtgraph as pg
    from widgets.panels.baselines import LEGEND_TEXT
    from widgets.panels.loss import LossPanel
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(835, 300)
    panel.show()
    legend = panel.legend
    extra = [pg.PlotDataItem([], [], pen="r") for _ in range(3)]
    for item, name in zip(extra, ("penalty (L1/L2/sparsity/KL, per step)", LEGEND_TEXT, "test (end of run)")):
        legend.addItem(item, name)
    qtbot.wait(50)
    canvas = panel.canvas
    acc_right = panel.acc_plot.mapRectToScene(panel.acc_plot.boundingRect()).right()
    assert acc_right <= canvas.width() and canvas.ci.geometry().width() <= canvas.width()
    assert legend.columnCount < 4
    rows = {round(legend.layout.itemAt(r, 1).geometry().top()) for r in range(legend.layout.rowCount())
            if legend.layout.itemAt(r, 1) is not None}
    assert len(rows) == -(-len(legend.items) // legend.columnCount)   # every entry shown, in rows of that many
    panel.resize(1800, 300)   # room again: back to four columns
    qtbot.wait(50)
    assert legend.columnCount == 4
    panel.resize(835, 300)
    qtbot.wait(50)
    for item in extra:   # the short names alone fit four columns in the narrow dock
        legend.removeItem(item)
    assert legend.columnCount == 4 and len(legend.items) == 3


def test_the_baselines_are_named_in_a_box_off_the_accuracy_curves(qtbot):
    """A network that matches its baseline (both near 1.0) drew its curves through the line's own
    label; the names and figures now sit in a box where no curve point lies."""
    import numpy as np
    from playground.data.baselines import Baseline
    from widgets.panels.legend_place import drawn_pixels
    from widgets.panels.loss import LossPanel
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(835, 300)
    panel.show()
    lines = panel.baselines
    lines._key, lines._metric = "csv", "accuracy"
    lines.known["csv"] = [Baseline("logistic_regression", "logistic regression", "accuracy", 1.0, None),
                          Baseline("knn_15", "15-NN", "accuracy", 0.91, None)]
    epochs = np.arange(1, 81) * 6.0
    rising = np.minimum(0.99, 0.5 + 0.5 * (1 - np.exp(-epochs / 30)))   # up to 0.99 along the top
    panel.train_acc_curve.setData(epochs, rising)
    panel.val_acc_curve.setData(epochs, rising - 0.01)
    panel.smooth_curve.setData(epochs, 1 - rising)   # (the accuracy plot's steps follow the loss plot's)
    lines._draw()
    qtbot.wait(50)
    box, _placer = lines.boxes[id(panel.acc_plot)]
    assert [label.text for _s, label in box.items] == ["logistic regression 1.00", "15-NN 0.91"]
    rect = box.mapRectToItem(panel.acc_plot.vb, box.boundingRect())
    points = drawn_pixels(panel.acc_plot)
    inside = ((points[:, 0] >= rect.left()) & (points[:, 0] <= rect.right())
              & (points[:, 1] >= rect.top()) & (points[:, 1] <= rect.bottom()))
    assert len(points) > 100 and not inside.any()
    assert rect.bottom() > panel.acc_plot.vb.height() / 2   # below the curves, not in the top corner
    lines.clear()
    assert not box.isVisible() and not box.items


def test_the_accuracy_axis_labels_one_and_keeps_a_curve_at_one_off_the_frame(qtbot):
    from widgets.panels.loss import LossPanel
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.resize(835, 300)
    panel.show()
    qtbot.wait(50)
    low, high = panel.acc_plot.vb.viewRange()[1]
    assert low == 0 and high > 1.02
    axis = panel.acc_plot.getAxis("left")
    values = [v for _spacing, level in axis.tickValues(low, high, panel.acc_plot.vb.height()) for v in level]
    assert any(abs(v - 1.0) < 1e-9 for v in values)   # a tick (and its label) at 1.0
