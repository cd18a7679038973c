"""The Decision boundary panel names its classes in a legend above the plot (issue 28, item 5), and
semi-supervised data (labels_per_class) shows its unlabelled training points faintly under the few
labelled ones, with an "unlabelled" entry; the engine sends at most N_POINTS of them. The events
come from short real runs; what they should hold is read from the data sets themselves."""
from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
import pytest

from playground.data.base import make_dataset
from playground.network.preset import resolve_preset
from playground.run_records.run_to_end import train_run
from playground.training.events import BoundaryEvent, CurveEvent
from playground.training.visual_probes import N_POINTS
from widgets.panels.decision_boundary import DecisionBoundaryPanel

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def last_boundary(name: str, **data_params) -> tuple[BoundaryEvent, object]:
    """The last decision-boundary event of a one-epoch run of preset `name`, and its data set
    made independently of the run (same data parameters: the same points)."""
    preset = resolve_preset(name)
    preset.data.params.update(data_params)
    preset.training.epochs, preset.training.probe_every = 1, 1
    events: list[BoundaryEvent] = []
    train_run(preset, device="cpu", on_event=lambda e: events.append(e) if isinstance(e, BoundaryEvent) else None)
    assert events, f"{name}: no decision boundary"
    return events[-1], make_dataset(preset.data.name, preset.data.params)


@pytest.fixture
def panel(qtbot):
    p = DecisionBoundaryPanel()
    qtbot.addWidget(p)
    p.resize(600, 520)
    p.show()
    return p


def _rgb(brush) -> tuple[int, int, int]:
    return pg.mkBrush(brush).color().getRgb()[:3]


@pytest.mark.parametrize("name", ["overfit_moons", "spiral_tanh"])
def test_one_legend_entry_per_class_in_its_points_colour(panel, name, private_home):
    event, data = last_boundary(name)
    assert data.n_classes == 2                                           # moons and the spiral: two classes
    panel.show_events([event])
    assert panel.legend_names() == list(data.class_names)               # e.g. upper moon, lower moon
    assert event.unlabelled is None and len(panel.unlabelled.data) == 0  # every training point has its label
    points = panel.points.data
    for k, (sample, _label) in enumerate(panel.legend.items):
        legend_colour = _rgb(sample.item.opts["brush"])
        of_class = [_rgb(p["brush"]) for p, y in zip(points, event.labels) if int(y) == k]
        assert of_class and all(c == legend_colour for c in of_class)
    assert len({_rgb(s.item.opts["brush"]) for s, _ in panel.legend.items}) == 2


def test_blobs_name_three_classes_and_a_curve_has_no_legend(panel):
    xs, ys = np.linspace(-1, 1, 5, dtype=np.float32), np.linspace(-1, 1, 4, dtype=np.float32)
    values = np.zeros((4, 5), dtype=np.float32)
    pts = np.zeros((3, 2), dtype=np.float32)
    panel.show_events([BoundaryEvent(1, xs, ys, values, 3, pts, np.arange(3), class_names=("0", "dog", ""))])
    assert panel.legend_names() == ["class 0", "dog", "class 2"]   # a bare number or none: "class k"
    panel.show_events([CurveEvent(2, xs, xs, xs, xs)])
    assert panel.legend_names() == []


def test_semi_supervised_moons_show_the_unlabelled_points(panel, private_home):
    event, data = last_boundary("semi_moons_entropy")
    pool = data.x_unlabelled
    assert len(pool) == 114 and len(event.points) == 6 == len(data.x_train)   # 3 labels per class kept
    panel.show_events([event])
    shown = np.column_stack(panel.unlabelled.getData()).astype(float)
    assert len(shown) == min(len(pool), N_POINTS)
    assert np.allclose(np.sort(shown, axis=0), np.sort(pool[:len(shown)].astype(float), axis=0), atol=1e-5)
    assert len(panel.points.data) == 6
    assert panel.legend_names() == [*data.class_names, "unlabelled"]
    # the regions span the unlabelled points too, not only the box of the six labelled ones
    assert event.xs[0] <= pool[:, 0].min() and event.xs[-1] >= pool[:, 0].max()
    assert event.ys[0] <= pool[:, 1].min() and event.ys[-1] >= pool[:, 1].max()
    assert "114 unlabelled" in panel.caption()
    _header, rows = panel.csv_table()
    assert sum(r[0] == "unlabelled" for r in rows) == 114


def test_a_large_unlabelled_pool_is_sent_bounded(private_home):
    event, data = last_boundary("semi_moons_entropy", n_samples=3000, test_fraction=0.1, val_fraction=0.1)
    assert len(data.x_unlabelled) > N_POINTS
    assert event.unlabelled.shape == (N_POINTS, 2)
    assert np.allclose(event.unlabelled, data.x_unlabelled[:N_POINTS])


def test_the_grid_is_a_square_about_the_points_padded_by_the_longer_side():
    """By hand: points spanning 4 in x and 2 in y, pad 0.15: both axes span 4 · 1.3 = 5.2 about
    the box's centre (1, 0.5), so a plot in equal units is painted to its edges."""
    from playground.training.probes import decision_grid
    points = np.array([[-1.0, -0.5], [3.0, 1.5], [0.0, 0.0]])
    xs, ys, grid = decision_grid(points, size=11, pad=0.15)
    assert xs[0] == pytest.approx(1 - 2.6) and xs[-1] == pytest.approx(1 + 2.6)
    assert ys[0] == pytest.approx(0.5 - 2.6) and ys[-1] == pytest.approx(0.5 + 2.6)
    assert grid.shape == (121, 2)


@pytest.mark.parametrize("size", [(800, 300), (520, 520)], ids=["short wide dock", "square dock"])
def test_the_regions_fill_the_plot_in_a_short_dock_too(qtbot, size, private_home):
    """The view shows the plane the regions were computed over and no unpainted band beside it:
    a short, wide dock once left a 2:1 view with the regions in its middle third."""
    event, _ = last_boundary("spiral_tanh")
    p = DecisionBoundaryPanel()
    qtbot.addWidget(p)
    p.resize(*size)
    p.show()
    p.show_events([event])
    qtbot.wait(50)
    vb = p.plot.vb
    assert abs(vb.width() - vb.height()) <= 4, (vb.width(), vb.height())
    painted = p.regions.mapRectToView(p.regions.boundingRect())
    (x0, x1), (y0, y1) = vb.viewRange()
    slack = 0.01 * painted.width()
    assert painted.left() - slack <= x0 and x1 <= painted.right() + slack
    assert painted.top() - slack <= y0 and y1 <= painted.bottom() + slack


def test_a_curve_after_a_plane_is_shown_in_its_own_range(panel, private_home):
    """The plane's view is fixed to its grid; a regression curve drawn next (another preset in the
    same panel) gets its own range back, not the plane's."""
    xs = np.linspace(-1, 1, 4, dtype=np.float32)
    values = np.zeros((4, 4), dtype=np.float32)
    panel.show_events([BoundaryEvent(1, xs, xs, values, 2, np.zeros((3, 2), np.float32), np.arange(3) % 2)])
    far = np.linspace(50, 60, 20, dtype=np.float32)
    panel.show_events([CurveEvent(2, far, far * 3, far, far * 3)])
    panel.plot.vb.updateAutoRange()
    (x0, x1), (y0, y1) = panel.plot.vb.viewRange()
    assert x0 <= 50 and x1 >= 60 and y0 <= 150 and y1 >= 180, panel.plot.vb.viewRange()
