"""A legend moves to the corner of its plot where it hides the least of what is drawn: the LSTM
internals' gradient plot (its curve rises to the right in one run, falls in another) and the
generative lab's moons. What is hidden is checked in scene coordinates, mapped by pyqtgraph
itself, not by the placer's own arithmetic."""
from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF

from playground.training.events import RecurrentEvent
from widgets.panels.legend_place import LegendPlacer, best_corner
from widgets.panels.lstm_internals import LstmInternalsPanel

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def hidden(plot: pg.PlotItem, legend: pg.LegendItem, item: pg.PlotDataItem) -> int:
    """How many of `item`'s drawn samples lie under the legend, in the scene."""
    box = legend.sceneBoundingRect()
    x, y = item.getData()
    return sum(box.contains(plot.vb.mapViewToScene(QPointF(float(a), float(b)))) for a, b in zip(x, y))


def test_the_corner_that_hides_fewest_points_and_the_preferred_one_on_a_tie():
    """By hand, a 100 × 50 view and a 30 × 10 legend 5 px in from the edges: the top-left box
    spans x 5..35, y 5..15; the top-right x 65..95; the bottom-left y 35..45."""
    view, size = (100, 50), (30, 10)
    top_left = np.array([[10.0, 10.0], [20.0, 12.0]])
    assert best_corner(top_left, size, view, 5, preferred=(0, 0)) == (1, 0)   # the next free one in order
    assert best_corner(np.zeros((0, 2)), size, view, 5, preferred=(0, 1)) == (0, 1)   # nothing drawn: stays
    everywhere_but_bottom_right = np.array([[10, 10], [80, 10], [10, 40], [50, 10], [50, 40]], dtype=float)
    assert best_corner(everywhere_but_bottom_right, size, view, 5, preferred=(0, 0)) == (1, 1)


@pytest.mark.parametrize("rising", [True, False], ids=["rising curve", "falling curve"])
def test_a_legend_leaves_the_corner_its_curve_runs_through(qtbot, rising):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(420, 220)
    plot = widget.addPlot()
    legend = plot.addLegend(offset=(5, 5))
    t = np.linspace(0, 10, 60)
    curve = plot.plot(t, t if rising else 10 - t, pen="b", name="a rather long curve name")
    placer = LegendPlacer(plot, legend, preferred=(0, 0) if not rising else (1, 0))
    widget.show()
    qtbot.waitExposed(widget)
    placer.place()
    qtbot.wait(20)
    assert hidden(plot, legend, curve) == 0, placer.corner
    assert placer.corner in ({(0, 0), (1, 1)} if rising else {(1, 0), (0, 1)})


def test_the_lstm_gradient_legend_hides_none_of_its_curve(qtbot):
    """sine_lstm-like: ‖∂L/∂h_t‖ rising tenfold to the last step, in a short plot (1366×768's dock)."""
    panel = LstmInternalsPanel()
    qtbot.addWidget(panel)
    panel.resize(860, 330)
    panel.show()
    qtbot.waitExposed(panel)
    t, h = 20, 4
    rng = np.random.default_rng(0)
    gates = {g: rng.uniform(0, 1, (2, t, h)).astype(np.float32) for g in ("input", "forget", "output", "cell")}
    grad = (5e-4 * 10 ** (np.arange(t) / (t - 1))).astype(np.float32)
    panel.show_events([RecurrentEvent(40, "lstm", "LSTM", gates, 0.0, grad)])
    panel.draw_now()
    qtbot.wait(50)
    assert hidden(panel.grad_plot, panel.grad_plot.legend, panel.grad_curve) == 0
