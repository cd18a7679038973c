"""What every live panel promises beyond drawing: a reset that leaves nothing of an earlier run
(axes included), no warnings for all-NaN data, legends that never cover the data, a history
that stays bounded over a long run, and the loss panel's validation, test and setting marks."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from playground.training.events import (
    BoundaryEvent, ConfusionEvent, CurveEvent, EpochEvent, FeatureMapEvent, FinishedEvent, LayerProbe, LossEvent,
    PerceptronEvent, ProbeEvent, ReconstructionEvent)
from widgets.panels.activations import MAX_COLUMNS, ActivationsPanel
from widgets.panels.confusion import ConfusionPanel
from widgets.panels.decision_boundary import DecisionBoundaryPanel
from widgets.panels.feature_maps import FeatureMapsPanel
from widgets.panels.history import MinMaxHistory, ThinnedList, trailing_mean
from widgets.panels.loss import LossPanel
from widgets.panels.perceptron import PerceptronPanel
from widgets.panels.reconstructions import ReconstructionsPanel
from widgets.panels.update_ratio import GradientsPanel, LayerMetricPanel, UpdateRatioPanel

PANELS = [LossPanel, UpdateRatioPanel, GradientsPanel, ActivationsPanel, FeatureMapsPanel, ReconstructionsPanel,
          DecisionBoundaryPanel, ConfusionPanel, PerceptronPanel]


def probe(step: int, value: float = 1.0) -> ProbeEvent:
    rng = np.random.default_rng(step)
    layers = [LayerProbe(name, kind, 1e-3 * value, 0.5 * value, 2.0, rng.integers(0, 9, 10).astype(float),
                         np.linspace(-value, value, 11), 0.1, 0.9 * value, 0.25 if kind == "ReLU" else None)
              for name, kind in (("fc1", "Linear"), ("relu1", "ReLU"), ("out", "Linear"))]
    return ProbeEvent(step, 0, layers)


def run_events(scale: float = 10.0, nan: bool = False) -> list[object]:
    """One of each event a panel takes in (values far from the unit range, or all NaN)."""
    v = np.nan if nan else scale
    img = np.full((1, 8, 8), v)
    grid = np.full((5, 5), v)
    events: list[object] = [
        LossEvent(np.arange(0, 100), np.full(100, v), 0, 1e-3),
        EpochEvent(1, 100, v, v, None if nan else 0.5, np.nan if nan else 0.75, 1e-3, 1.0),
        probe(50, v),
        FeatureMapEvent(100, img, 3, {"conv1": np.full((4, 6, 6), v)}, np.full((4, 1, 3, 3), v), "conv1", 3),
        ReconstructionEvent(100, np.full((4, 1, 8, 8), v), np.full((4, 1, 8, 8), v), np.full((4, 1, 8, 8), v),
                            np.full((30, 2), v), np.arange(30) % 3, np.full((5, 1, 8, 8), v)),
        BoundaryEvent(100, np.linspace(-v, v, 5) if not nan else np.linspace(-1, 1, 5), np.linspace(-1, 1, 5),
                      grid, 2, np.full((20, 2), v), np.arange(20) % 2),
        ConfusionEvent(1, np.array([[5, 1], [2, 7]]), ["a", "b"]),
        PerceptronEvent(1, 3, 3, 2.0, None, None, False, "not separable"),
    ]
    return events


@pytest.fixture
def panels(qtbot):
    made = []
    for cls in PANELS:
        p = cls()
        qtbot.addWidget(p)
        p.resize(900, 380)
        p.show()
        made.append(p)
    return made


def view_ranges(p) -> list:
    return [plot.vb.viewRange() for plot in p.plots()]


def test_reset_leaves_nothing_of_the_earlier_run_axes_included(panels, qtbot):
    fresh = {type(p).__name__: (view_ranges(p), p.hint.text()) for p in panels}
    for p in panels:
        p.show_events(run_events(scale=50.0))
    shown = [p for p in panels if p.received]
    assert len(shown) == len(panels)
    for p in panels:
        p.reset()
        qtbot.wait(1)
        ranges, hint = fresh[type(p).__name__]
        assert p.received == 0 and not p.dirty
        assert p.hint.text() == hint == p.idle_hint
        for plot, before in zip(p.plots(), ranges):
            (x0, x1), (y0, y1) = plot.vb.viewRange()
            assert x1 - x0 < 10 and y1 - y0 < 10, (type(p).__name__, plot.vb.viewRange())   # not the run's ±50
            if plot is not getattr(p, "acc_plot", None):   # (accuracy keeps its 0..1 axis, x follows the loss)
                assert all(plot.vb.autoRangeEnabled())
    loss = panels[0]
    assert len(loss.steps) == 0 and loss.raw_curve.xData is None or len(loss.raw_curve.xData) == 0
    assert loss.marks == [] and loss.test_results == {}
    boundary = next(p for p in panels if isinstance(p, DecisionBoundaryPanel))
    assert boundary.regions.image is None and boundary.hint.text() == boundary.idle_hint
    maps = next(p for p in panels if isinstance(p, FeatureMapsPanel))
    assert maps.input_plot.titleLabel.text == "Input" and maps.layer_box.count() == 0


def test_all_nan_data_draws_nothing_and_warns_nothing(panels, qtbot):
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # "All-NaN slice encountered" would fail the test
        for p in panels:
            p.show_events(run_events(nan=True))
            if p.canvas is not None:
                p.canvas.grab()
    boundary = next(p for p in panels if isinstance(p, DecisionBoundaryPanel))
    assert boundary.regions.image is None
    recon = next(p for p in panels if isinstance(p, ReconstructionsPanel))
    assert recon.scatter.data.size == 0


def _overlaps(legend, plot) -> bool:
    return legend.sceneBoundingRect().intersects(plot.vb.sceneBoundingRect())


def test_legends_sit_outside_the_data(qtbot):
    loss, ratio, recon = LossPanel(), UpdateRatioPanel(), ReconstructionsPanel()
    for p, size in ((loss, (1366, 330)), (ratio, (700, 500)), (recon, (600, 500))):
        qtbot.addWidget(p)
        p.resize(*size)
        p.show()
        p.show_events(run_events())
        qtbot.wait(5)
    assert len(loss.legend.items) >= 3 and not _overlaps(loss.legend, loss.loss_plot)
    assert not _overlaps(loss.legend, loss.acc_plot)
    assert len(ratio.plot.legend.items) == 3 and not _overlaps(ratio.plot.legend, ratio.plot)
    assert len(recon.latent_legend.items) == 3 and not _overlaps(recon.latent_legend, recon.latent_plot)


def test_gradients_and_update_ratio_are_one_panel_class_shown_twice(qtbot):
    ratio, grads = UpdateRatioPanel(), GradientsPanel()
    for p in (ratio, grads):
        qtbot.addWidget(p)
        p.show_events([probe(0), probe(10, 2.0)])
    assert isinstance(ratio, LayerMetricPanel) and isinstance(grads, LayerMetricPanel)
    assert type(ratio).__mro__[1] is LayerMetricPanel and type(grads).__mro__[1] is LayerMetricPanel
    assert ratio.latest() == pytest.approx({"fc1": 2e-3, "relu1": 2e-3, "out": 2e-3})
    assert grads.latest() == pytest.approx({"fc1": 1.0, "relu1": 1.0, "out": 1.0})
    assert ratio.guide is not None and grads.guide is None
    assert ratio.title == "Update/weight ratio" and grads.title == "Gradients"


# ---------------------------------------------------------------- the loss panel's extras

def test_validation_accuracy_test_figures_and_setting_marks(qtbot):
    p = LossPanel()
    qtbot.addWidget(p)
    p.resize(1000, 400)
    p.show()
    p.show_events([LossEvent(np.arange(100), np.linspace(1, 0.1, 100), 0, 1e-2),
                   EpochEvent(1, 100, 0.5, 0.6, 0.8, 0.875, 1e-2, 1.0)])
    assert "val accuracy 87.5%" in p.hint.text()
    p.mark_setting_change(60, "lr 0.01 → 0.5")
    (step, text, lines), = p.marks
    assert step == 60 and lines[0].value() == 60 and lines[0].label.format == "lr 0.01 → 0.5"
    assert all(line.scene() is not None for line in lines)   # on both plots
    p.show_events([FinishedEvent("finished", 100, 1, "", {"val_loss": 0.6, "test_accuracy": 0.91,
                                                          "test_loss": 0.33})])
    assert "test: accuracy 91.0%, loss 0.33" in p.hint.text()
    assert list(p.test_acc_point.data["y"]) == [0.91] and list(p.test_acc_point.data["x"]) == [99]
    header, rows = p.csv_table()
    assert ["test_accuracy", 99.0, 0.91] in rows
    for k in range(60):   # marks are bounded
        p.mark_setting_change(k, f"lr {k}")
    assert len(p.marks) == 40
    p.reset()
    assert p.marks == [] and p.test_acc_point.data.size == 0 and "test" not in p.hint.text()


def test_the_decision_boundary_caption_names_the_last_step(qtbot):
    p = DecisionBoundaryPanel()
    qtbot.addWidget(p)
    events = run_events(scale=1.0)
    p.show_events([e for e in events if isinstance(e, BoundaryEvent)])
    assert p.hint.text().startswith("Step 100:")
    p.show_events([LossEvent(np.arange(100, 140), np.ones(40), 0, 1e-3), FinishedEvent("finished", 140, 2)])
    assert "Step 100" in p.hint.text() and "the run ended at step 140" in p.hint.text()   # 140 steps taken, as
    # the FinishedEvent and the status bar count them (the last loss's index is 139)
    p.show_events([CurveEvent(140, np.arange(5.0), np.arange(5.0), np.arange(5.0), np.arange(5.0))])
    assert p.hint.text().startswith("Step 140:")


def test_the_feature_map_caption_shows_the_prediction_beside_the_label(qtbot):
    p = FeatureMapsPanel()
    qtbot.addWidget(p)
    img = np.random.default_rng(0).random((1, 8, 8))
    p.show_events([FeatureMapEvent(5, img, 3, {"conv1": img.repeat(4, 0)}, None, "conv1", 5)])
    assert p.input_plot.titleLabel.text == "Input (label 3, predicted 5 ✗)"
    assert "at the right" in p.hint.text()


# ---------------------------------------------------------------- bounded history

def test_min_max_history_is_bounded_and_keeps_the_envelope():
    rng = np.random.default_rng(1)
    h = MinMaxHistory(capacity=1024, group=8, weighted=True)
    ys = rng.random(200_000)
    ys[12_345], ys[150_000] = 7.0, -3.0   # spikes an envelope must keep
    for k in range(0, len(ys), 997):
        h.extend(np.arange(k, min(k + 997, len(ys))), ys[k:k + 997])
    assert len(h) <= 1024 and h.total == len(ys)
    x, y = h.view()
    assert x[0] == 0 and y[0] == ys[0] and x[-1] == len(ys) - 1
    assert np.all(np.diff(x) >= 0)
    assert y.max() == 7.0 and y.min() == -3.0 and x[np.argmax(y)] == 12_345
    sums, counts = h.sums_and_counts()
    assert counts.sum() == pytest.approx(len(ys)) and sums.sum() == pytest.approx(ys.sum())
    assert np.allclose(x[-50:], np.arange(len(ys) - 50, len(ys)))   # the newest steps at full resolution


def test_trailing_mean_is_the_moving_average_where_points_are_single_steps():
    ys = np.random.default_rng(2).random(300)
    x = np.arange(300.0)
    got = trailing_mean(x, ys, np.ones(300), 20)
    want = np.array([ys[max(0, i - 19):i + 1].mean() for i in range(300)])
    assert np.allclose(got, want)


def test_thinned_probes_stay_evenly_spaced_and_bounded():
    kept = ThinnedList(10)
    for step in range(0, 10_000, 5):
        kept.offer(step, step)
    assert 10 <= len(kept) < 20
    gaps = np.diff(kept.keys)
    assert len(set(gaps.tolist())) == 1 and kept.keys[0] == 0


def test_a_long_run_holds_the_panels_memory_steady(qtbot):
    """An hour's worth of steps and probes: the loss curve and the activation heatmaps keep a
    bounded number of points."""
    loss, acts = LossPanel(), ActivationsPanel()
    for p in (loss, acts):
        qtbot.addWidget(p)
    for k in range(300):
        steps = np.arange(k * 2000, (k + 1) * 2000)
        loss.ingest([LossEvent(steps, np.ones(2000), 0, 1e-3)])
        acts.ingest([probe(int(steps[-1]))] * 10)
    assert loss.history.total == 600_000 and len(loss.steps) <= loss.history.capacity
    assert len(loss.smoothed) == len(loss.steps) and np.allclose(loss.smoothed.view(), 1.0)
    assert all(len(h.raw) < 2 * MAX_COLUMNS for h in acts.heatmaps.values())
    acts.render()
    assert acts.heatmaps["fc1"].image.image.shape[1] <= MAX_COLUMNS


def test_a_bounded_series_thins_its_older_half_and_keeps_columns_aligned():
    """A per-epoch series past its limit keeps the older half at every other value and the
    recent half whole; x and y columns appended in step thin alike."""
    from widgets.panels.base import GrowingArray
    x, y = GrowingArray(4, limit=16), GrowingArray(4, limit=16)
    reference: list[int] = []   # the rule by hand: at a full buffer, halve the older half
    for k in range(1000):
        if len(reference) == 16:
            reference = reference[:8:2] + reference[8:]
        reference.append(k)
        x.append(k)
        y.append(2.0 * k)
    assert x.view().tolist() == reference and x.total == 1000
    assert np.array_equal(y.view(), 2.0 * x.view())
    assert 12 <= len(x) <= 16 and x.view()[-1] == 999 and x.view()[0] == 0


def test_an_hour_of_epochs_keeps_the_loss_panel_small_and_its_epoch_numbers_true(qtbot):
    loss = LossPanel()
    qtbot.addWidget(loss)
    n = 30_000   # a small data set's hour-long run
    for k in range(1, n + 1, 100):
        loss.ingest([EpochEvent(e, 10 * e, 1.0 / e, 1.1 / e, 0.5, 0.5, 1e-3, 0.01) for e in range(k, k + 100)])
    assert len(loss.epoch_steps) <= 8192 and loss.epoch_steps.total == n
    assert np.array_equal(loss.epoch_steps.view(), 10 * loss.epoch_numbers.view())   # aligned
    assert np.allclose(loss.val_epoch.view(), 1.1 / loss.epoch_numbers.view())
    loss.ingest([LossEvent(np.arange(10 * n - 5, 10 * n + 1), np.ones(6), n, 1e-3)])
    loss.render()
    assert f"epoch {n}: val loss" in loss.caption()
    assert f"epoch {n}: train" in loss.readout_at(10 * n)
