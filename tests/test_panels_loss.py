"""The loss panel: per-step and per-epoch curves, smoothing, log scale, hover read-out, and a
million points without slowing the GUI."""
from __future__ import annotations

import time

import numpy as np
import pytest

from playground.training.events import EpochEvent, LossEvent
from widgets.panels.history import CAPACITY
from playground.network.preset import resolve_preset
from widgets.panels.loss import LossPanel


@pytest.fixture
def panel(qtbot):
    p = LossPanel()
    qtbot.addWidget(p)
    p.resize(700, 500)
    p.show()
    return p


def losses(start: int, n: int, seed: int = 0) -> LossEvent:
    rng = np.random.default_rng(seed + start)
    steps = np.arange(start, start + n)
    return LossEvent(steps, 1.0 / (1 + 0.01 * steps) + 0.05 * rng.random(n), epoch=0, lr=1e-3)


def points(curve) -> int:
    """How many points a curve holds (before downsampling for the screen)."""
    return 0 if curve.xData is None else len(curve.xData)


def test_steps_and_epochs_are_drawn(panel):
    panel.show_events([losses(0, 100), EpochEvent(1, 100, 0.5, 0.6, 0.8, 0.75, 1e-3, 1.0)])
    panel.show_events([losses(100, 100), EpochEvent(2, 200, 0.4, 0.5, 0.85, 0.8, 1e-3, 2.0)])
    assert points(panel.raw_curve) == 200 and points(panel.smooth_curve) == 200
    x, y = panel.val_epoch_curve.getData()
    assert list(x) == [100, 200] and list(y) == [0.6, 0.5]
    assert list(panel.val_acc_curve.getData()[1]) == [0.75, 0.8]
    assert panel.acc_plot.isVisible()


def test_no_accuracy_hides_the_accuracy_plot(panel):
    panel.show_events([losses(0, 10), EpochEvent(1, 10, 0.5, 0.6, None, None, 1e-3, 1.0)])
    assert not panel.acc_plot.isVisible()


def test_smoothing_is_a_trailing_moving_average(panel):
    ev = losses(0, 500)
    panel.show_events([LossEvent(ev.steps[:123], ev.losses[:123], 0, 1e-3)])
    panel.show_events([LossEvent(ev.steps[123:], ev.losses[123:], 0, 1e-3)])   # added in two parts
    window = panel.window
    expected = np.array([ev.losses[max(0, i + 1 - window):i + 1].mean() for i in range(500)])
    assert np.allclose(panel.smoothed.view(), expected)
    panel.smooth_slider.setValue(0)   # 1 step: no smoothing
    assert np.allclose(panel.smoothed.view(), ev.losses)
    panel.smooth_slider.setValue(panel.smooth_slider.maximum())
    assert panel.smooth_label.text() == "1000 steps"


def test_log_scale_toggle(panel):
    panel.show_events([losses(0, 50)])
    panel.log_box.setChecked(True)
    assert panel.loss_plot.getAxis("left").logMode
    panel.log_box.setChecked(False)
    assert not panel.loss_plot.getAxis("left").logMode


def test_hover_read_out_names_step_loss_and_epoch(panel):
    ev = losses(0, 100)
    panel.show_events([ev, EpochEvent(1, 100, 0.5, 0.6, 0.8, 0.75, 1e-3, 1.0)])
    text = panel.readout_at(41.7)
    assert text.startswith("step 42") and f"{ev.losses[42]:.4g}" in text
    assert "epoch 1" in text and "80.0% / 75.0%" in text


def test_a_million_points_stay_fast_and_small(panel, qtbot):
    """A bounded history, downsampling and clip-to-view: adding and drawing a million steps
    in 1,000 batches takes seconds, not minutes, one frame stays cheap, and the panel holds a
    fixed number of points (old steps min/max binned), so an hour's run does not grow it."""
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for k in range(1000):   # taken in as batches arrive; drawn every 100th (the scheduler spaces frames)
        steps = np.arange(k * 1000, (k + 1) * 1000)
        panel.dirty |= panel.ingest([LossEvent(steps, rng.random(1000), 0, 1e-3)])
        if k % 100 == 99:
            panel.draw_now()
    fill = time.perf_counter() - t0
    assert panel.history.total == 1_000_000
    assert len(panel.steps) <= CAPACITY and panel.history.nbytes <= 4 * 8 * CAPACITY
    assert panel.steps.view()[-1] == 999_999 and panel.steps.view()[0] == 0
    t0 = time.perf_counter()
    panel.canvas.grab()   # paint one frame at full size
    paint = time.perf_counter() - t0
    assert fill < 20 and paint < 2 and panel.render_cost < 1, (fill, paint, panel.render_cost)
    assert len(panel.raw_curve.xData) == len(panel.steps)
    x, _ = panel.raw_curve.getData()   # what is drawn: downsampled for the screen
    assert 0 < len(x) < 20_000


def test_the_axes_hold_still_while_the_curves_grow_within_them(panel):
    """The view is held at rounded bounds, so a frame does not lay the axes out again (the
    costly part of drawing while training) for every new step."""
    panel.show_events([losses(0, 1050)])
    (x0, x1), (y0, y1) = panel.loss_plot.vb.viewRange()
    assert x0 <= 0 and 1200 <= x1 < 1300 and y0 <= 0.5 and y1 >= 1.0
    panel.show_events([losses(1050, 100)])
    assert panel.loss_plot.vb.viewRange() == [[x0, x1], [y0, y1]]
    panel.show_events([losses(1150, 300)])   # past 1200: the step axis grows to the next mark
    (x0, x1), _ = panel.loss_plot.vb.viewRange()
    assert 1450 <= x1 < 1700
    panel.set_log(True)   # quarter decades on a log axis
    panel.canvas.grab()
    _, (y0, y1) = panel.loss_plot.vb.viewRange()
    assert y0 <= np.log10(panel.losses.view().min()) and y1 >= np.log10(panel.losses.view().max())


def test_clear_forgets_everything(panel):
    panel.show_events([losses(0, 50), EpochEvent(1, 50, 0.5, 0.6, 0.8, 0.75, 1e-3, 1.0)])
    panel.clear()
    assert len(panel.steps) == 0 and points(panel.raw_curve) == 0 and panel.received == 0
    panel.show_events([losses(0, 5)])
    assert points(panel.smooth_curve) == 5


def test_save_png_svg_csv(panel, tmp_path):
    panel.show_events([losses(0, 30), EpochEvent(1, 30, 0.5, 0.6, 0.8, 0.75, 1e-3, 1.0)])
    png = panel.save_png(tmp_path / "loss.png")
    svg = panel.save_svg(tmp_path / "loss.svg")
    csv = panel.save_csv(tmp_path / "loss.csv")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()
    rows = csv.read_text().splitlines()
    assert rows[0] == "series,x,y"
    assert sum(r.startswith("train_loss_per_step,") for r in rows) == 30
    assert sum(r.startswith("val_accuracy_per_epoch,") for r in rows) == 1


def test_the_expected_initial_loss_label_stays_readable_over_the_curves(qtbot):
    """An overfitting run's validation loss climbs to about ln C, where the label sits: it is drawn
    above every curve of the plot, on a nearly opaque backdrop of the plot's white."""
    from widgets.panels.loss_marks import mark_expected_initial_loss
    panel = LossPanel()
    qtbot.addWidget(panel)
    mark_expected_initial_loss(panel, resolve_preset("overfit_moons_l2"))
    line = panel.babysit.expected_line
    assert line.isVisible() and "ln 2" in line.label.toPlainText()
    curves = [item for item in panel.loss_plot.listDataItems()]
    assert curves and all(line.zValue() > c.zValue() for c in curves)
    fill = line.label.fill.color()
    assert (fill.red(), fill.green(), fill.blue()) == (255, 255, 255) and fill.alpha() >= 200
