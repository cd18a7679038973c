"""The live panels draw exactly the engine's events: synthetic events in, plot items out."""
from __future__ import annotations

import numpy as np
import pytest

from playground.training.events import (
    BoundaryEvent, ConfusionEvent, CurveEvent, FeatureMapEvent, LayerProbe, PerceptronEvent, ProbeEvent,
    ReconstructionEvent)
from widgets.panels.activations import ROWS, ActivationsPanel, GradientsPanel, rebin, rebin_many
from widgets.panels.base import GrowingArray, tile
from widgets.panels.confusion import ConfusionPanel
from widgets.panels.decision_boundary import DecisionBoundaryPanel
from widgets.panels.feature_maps import FeatureMapsPanel
from widgets.panels.perceptron import PerceptronPanel
from widgets.panels.reconstructions import ReconstructionsPanel
from widgets.panels.update_ratio import GUIDE, UpdateRatioPanel


@pytest.fixture
def show(qtbot):
    def make(cls):
        panel = cls()
        qtbot.addWidget(panel)
        panel.resize(600, 450)
        panel.show()
        return panel
    return make


def layer(node: str, kind: str, ratio: float | None, grad: float | None, lo: float = -1.0, hi: float = 1.0,
          dead: float | None = None) -> LayerProbe:
    counts = np.arange(1, 31, dtype=float)
    return LayerProbe(node, kind, ratio, grad, 1.0 if ratio is not None else None, counts,
                      np.linspace(lo, hi, 31), 0.1, 0.5, dead)


def probe(step: int, scale: float = 1.0) -> ProbeEvent:
    return ProbeEvent(step, 0, [layer("fc1", "Linear", 1e-3 * scale, 0.5 * scale, -2 * scale, 2 * scale),
                                layer("relu1", "ReLU", None, None, 0.0, 3 * scale, dead=0.25),
                                layer("out", "Linear", 2e-3 * scale, 0.1 * scale)])


def test_growing_array_doubles_and_keeps_values():
    a = GrowingArray(2)
    for k in range(10):
        a.extend(np.arange(k * 3, k * 3 + 3))
    assert len(a) == 30 and np.array_equal(a.view(), np.arange(30)) and a._data.size == 32


def test_tile_lays_out_a_grid_with_gaps():
    grid = tile(np.ones((5, 4, 3)), cols=3)
    assert grid.shape == (2 * 4 + 1, 3 * 3 + 2)
    assert np.isnan(grid[4]).all() and np.isnan(grid[5:, 8:]).all()   # the gap row, the empty 6th tile


def test_update_ratio_curves_per_layer_with_the_guide(show):
    panel = show(UpdateRatioPanel)
    panel.show_events([probe(0), probe(50, 2.0)])
    panel.show_events([probe(100, 4.0)])
    assert set(panel.layers.curves) == {"fc1", "out"}   # only layers with weights
    assert panel.latest() == pytest.approx({"fc1": 4e-3, "out": 8e-3})
    assert list(panel.layers.curves["fc1"].xData) == [0, 50, 100]
    assert panel.plot.getAxis("left").logMode
    assert panel.guide.value() == pytest.approx(np.log10(GUIDE))   # drawn at 1e-3 on the log axis
    assert [item[1].text for item in panel.plot.legend.items] == ["fc1 (Linear)", "out (Linear)"]
    panel.clear()
    assert panel.layers.curves == {} and panel.plot.legend.items == []


def test_gradient_norms_per_layer(show):
    panel = show(GradientsPanel)
    panel.show_events([probe(0), probe(10, 3.0)])
    assert list(panel.layers.curves["fc1"].yData) == pytest.approx([0.5, 1.5])


def test_rebin_keeps_the_mass_where_it_was():
    counts = np.array([0, 10, 0, 0], dtype=float)
    edges = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    col = rebin(counts, edges, 0.0, 4.0, rows=8)
    assert col.argmax() in (2, 3) and col[:2].sum() == 0 and col[4:].sum() == 0
    assert col.max() == 1.0


def test_rebinning_many_histograms_at_once_matches_one_by_one():
    rng = np.random.default_rng(3)
    raw = []
    for _ in range(40):
        lo, hi = sorted(rng.normal(size=2) * 3)
        raw.append((rng.integers(0, 40, 30).astype(float), np.linspace(lo, hi, 31)))
    raw.append((np.zeros(30), np.linspace(0.0, 1.0, 31)))   # an empty one stays empty
    one_by_one = np.stack([rebin(c, e, -9.0, 9.0) for c, e in raw], axis=1)
    assert rebin_many(raw, -9.0, 9.0).shape == (ROWS, 41)
    assert np.allclose(rebin_many(raw, -9.0, 9.0), one_by_one)
    uneven = [(np.array([0, 10, 0, 0.0]), np.array([0, 1, 2, 3.5, 4.0]))]   # not equal-width: still right
    assert np.allclose(rebin_many(uneven, 0.0, 4.0, rows=8)[:, 0], rebin(*uneven[0], 0.0, 4.0, rows=8))


def test_activation_heatmaps_and_dead_units(show):
    panel = show(ActivationsPanel)
    panel.show_events([probe(s, 1 + s / 100) for s in range(0, 250, 50)])
    assert list(panel.heatmaps) == ["fc1", "relu1", "out"]
    for h in panel.heatmaps.values():
        assert h.image.image.shape == (ROWS, 5)
        assert np.nanmax(h.image.image) == pytest.approx(1.0)
    fc1 = panel.heatmaps["fc1"]
    assert fc1.lo < -6 and fc1.hi > 6   # the value axis grew with the spread (±2 up to ±6)
    assert "dead 25%" in panel.heatmaps["relu1"].plot.titleLabel.text
    assert list(panel.dead.curves["relu1"].yData) == [0.25] * 5
    panel.clear()
    assert panel.heatmaps == {} and panel.dead is None


def test_feature_maps_grid_filters_and_layer_choice(show):
    panel = show(FeatureMapsPanel)
    e = FeatureMapEvent(10, np.random.rand(1, 8, 8).astype(np.float32), 3,
                        {"conv1": np.random.rand(16, 8, 8), "pool1": np.random.rand(16, 4, 4)},
                        np.random.rand(16, 1, 3, 3), "conv1")
    panel.show_events([e])
    assert [panel.layer_box.itemText(k) for k in range(panel.layer_box.count())] == ["conv1", "pool1"]
    assert panel.input_image.image.shape == (8, 8)
    assert panel.maps_image.image.shape == (4 * 9 - 1, 4 * 9 - 1)
    assert panel.filters_image.image.shape == (4 * 4 - 1, 4 * 4 - 1)
    panel.layer_box.setCurrentText("pool1")
    assert panel.maps_image.image.shape == (4 * 5 - 1, 4 * 5 - 1)
    rgb = FeatureMapEvent(20, np.random.rand(3, 8, 8), None, {"c": np.random.rand(4, 6, 6)},
                          np.random.rand(4, 3, 3, 3), "c")
    panel.show_events([rgb])   # 3 input channels: one row per filter, one column per channel
    assert panel.filters_image.image.shape == (4 * 4 - 1, 3 * 4 - 1)
    assert panel.layer_box.currentText() == "c"


def test_feature_map_input_choice_reaches_the_controller_signal(show, qtbot):
    panel = show(FeatureMapsPanel)
    with qtbot.waitSignal(panel.probe_image_changed) as blocker:
        panel.input_box.setValue(7)
    assert blocker.args == [7]


def recon(denoising: bool, codes_dim: int = 8, walk: bool = False) -> ReconstructionEvent:
    rng = np.random.default_rng(0)
    clean = rng.random((8, 1, 8, 8)).astype(np.float32)
    inputs = clean + 0.3 * rng.standard_normal(clean.shape).astype(np.float32) if denoising else clean
    return ReconstructionEvent(5, inputs, clean, clean * 0.9, rng.standard_normal((100, codes_dim)),
                               np.arange(100) % 10, rng.random((10, 1, 8, 8)) if walk else None)


def test_reconstructions_rows_and_latent_scatter(show):
    panel = show(ReconstructionsPanel)
    panel.show_events([recon(denoising=True)])
    assert panel.row_names == ["corrupted input", "clean", "reconstruction"]
    assert panel.images.image.shape == (3 * 9 - 1, 8 * 9 - 1)
    assert len(panel.scatter.data) == 100
    assert len(panel.latent_legend.items) == 10
    first_two = panel.projected_codes()
    panel.projection_box.setCurrentIndex(1)
    pca = panel.projected_codes()
    assert pca.shape == (100, 2) and not np.allclose(pca, first_two)
    assert not panel.walk_plot.isVisible()
    panel.show_events([recon(denoising=False, codes_dim=2, walk=True)])
    assert panel.row_names == ["input", "reconstruction"]
    assert panel.images.image.shape == (2 * 9 - 1, 8 * 9 - 1)
    rows, cols = (1, 10) if panel.wide else (2, 5)   # two rows in a narrow column: larger pictures
    assert panel.walk_plot.isVisible() and panel.walk.image.shape == (rows * 9 - 1, cols * 9 - 1)


def boundary(n_classes: int) -> BoundaryEvent:
    xs, ys = np.linspace(-2, 2, 40), np.linspace(-1, 1, 30)
    gx, gy = np.meshgrid(xs, ys)
    values = (gx > 0).astype(np.float32) if n_classes == 2 else (np.abs(gx * 3).astype(int) % n_classes)
    pts = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    return BoundaryEvent(7, xs, ys, values.astype(np.float32), n_classes, pts, np.arange(50) % max(n_classes, 2))


def test_decision_boundary_regions_points_and_contour(show):
    panel = show(DecisionBoundaryPanel)
    panel.show_events([boundary(2)])
    assert panel.regions.image.shape == (30, 40) and len(panel.points.data) == 50
    rect = panel.regions.mapRectToParent(panel.regions.boundingRect())
    assert rect.left() == pytest.approx(-2 - 2 / 39, abs=1e-6) and rect.width() == pytest.approx(4 + 4 / 39)
    line = panel.contour.boundingRect()   # the 0.5 line: vertical, at x = 0 (column 20 of 40)
    assert panel.contour.isVisible() and line.height() == 30 and 19 <= line.left() <= 21
    panel.show_events([boundary(4)])   # more classes: a colour per predicted class, no contour
    assert not panel.contour.isVisible() and panel.regions.lut.shape[0] == 4


def test_regression_curve_over_the_data(show):
    panel = show(DecisionBoundaryPanel)
    xs = np.linspace(-3, 3, 200)
    panel.show_events([CurveEvent(3, xs, np.sin(xs), xs[::2], np.sin(xs[::2]) + 0.1)])
    assert len(panel.fit_curve.xData) == 200 and len(panel.data_points.data) == 100
    assert panel.fit_curve.isVisible() and not panel.regions.isVisible()


def test_confusion_matrix_counts_and_accuracy(show):
    panel = show(ConfusionPanel)
    m = np.array([[8, 2, 0], [1, 9, 0], [0, 0, 10]])
    panel.show_events([ConfusionEvent(4, m, ["cat", "dog", "cow"])])
    assert panel.image.image.shape == (3, 3)
    assert panel.image.image[0, 0] == pytest.approx(0.8)   # row-normalised colour
    assert [t.toPlainText() for t in panel.texts] == ["8", "2", "0", "1", "9", "0", "0", "0", "10"]
    assert "90.0%" in panel.hint.text()
    assert [label for _, label in panel.plot.getAxis("bottom")._tickLevels[0]] == ["cat", "dog", "cow"]
    header, rows = panel.csv_table()
    assert header[1:] == ["cat", "dog", "cow"] and rows[1] == ["dog", 1, 9, 0]


def test_perceptron_mistakes_and_bound(show):
    panel = show(PerceptronPanel)
    panel.show_events([PerceptronEvent(1, 5, 5, 2.0, 0.5, 16.0, True, "5 mistakes so far"),
                       PerceptronEvent(2, 1, 6, 2.0, 0.5, 16.0, True, "6 mistakes so far")])
    assert list(panel.total_curve.yData) == [5, 6]
    assert panel.bound.isVisible() and panel.bound.value() == 16.0
    assert "separable" in panel.hint.text()


@pytest.mark.parametrize("cls, events", [
    (UpdateRatioPanel, [probe(0), probe(10)]),
    (ActivationsPanel, [probe(0), probe(10)]),
    (ConfusionPanel, [ConfusionEvent(1, np.eye(2, dtype=int) * 5, ["a", "b"])]),
    (DecisionBoundaryPanel, [boundary(2)]),
    (ReconstructionsPanel, [recon(True)]),
])
def test_every_panel_saves_png_svg_and_csv(show, tmp_path, cls, events):
    panel = show(cls)
    panel.show_events(events)
    assert panel.save_png(tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in panel.save_svg(tmp_path / "p.svg").read_text()
    lines = panel.save_csv(tmp_path / "p.csv").read_text().splitlines()
    assert len(lines) > 1
