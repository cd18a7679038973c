"""The Schedule panel draws the η and momentum each step used, from a real run's LossEvents."""
from __future__ import annotations

import numpy as np
import pytest

from playground.training.events import LossEvent
from playground.network.preset import resolve_preset
from playground.training.trainer import Trainer
from widgets.panels.schedule import SchedulePanel


@pytest.fixture
def panel(qtbot):
    p = SchedulePanel()
    qtbot.addWidget(p)
    return p


def test_a_step_decay_and_its_momentum_are_drawn_as_trained(panel):
    preset = resolve_preset("lr_decay_step")
    preset.training.epochs, preset.training.step_size = 4, 1   # η halves every epoch
    events: list = []
    Trainer(preset, device="cpu", on_event=events.append).run()
    panel.show_events(events)
    x, y = panel.lr_curve.getOriginalDataset()
    steps_per_epoch = int(np.ceil(360 / 32))
    assert len(x) == 4 * steps_per_epoch and y[0] == pytest.approx(0.5)
    assert y[-1] == pytest.approx(0.5 / 8)   # three halvings by the fourth epoch
    assert set(np.round(y, 6)) == {0.5, 0.25, 0.125, 0.0625}
    mx, my = panel.momentum_curve.getOriginalDataset()
    assert len(mx) == len(x) and np.all(my == pytest.approx(0.9))
    assert "η = 0.0625" in panel.hint.text()
    header, rows = panel.csv_table()
    assert len(rows) == 2 * len(x)


def test_an_inverse_sqrt_decay_follows_the_notes_formula(panel):
    steps = np.arange(100)
    lrs = 0.5 / np.sqrt(steps + 1)
    panel.show_events([LossEvent(steps, np.ones(100), 1, lrs[-1], lrs, np.zeros(100))])
    x, y = panel.lr_curve.getOriginalDataset()
    assert np.allclose(y, 0.5 / np.sqrt(x + 1))
    panel.reset()
    assert panel.lr_curve.getOriginalDataset()[0] is None or len(panel.lr_curve.getOriginalDataset()[0]) == 0


def test_a_constant_learning_rate_is_shown_in_a_range_of_its_own_size(panel):
    """A constant η = 0.002 gets a y-axis around 0.002, not 0..0.25 with the line on zero."""
    from widgets.panels.ranges import rounded_span
    lo, hi = rounded_span(0.002, 0.002, False)
    assert lo < 0.002 < hi and hi - lo <= 4 * 0.002
    assert rounded_span(0.0, 0.0, False)[0] < 0 < rounded_span(0.0, 0.0, False)[1]
    lo, hi = rounded_span(0.001, 0.001, True)   # on a log axis, a constant on a quarter-decade mark
    assert lo < 0.001 < hi and hi / lo <= 10
    steps = np.arange(50)
    panel.show_events([LossEvent(steps, np.ones(50), 1, 0.002, np.full(50, 0.002), np.zeros(50))])
    (y0, y1) = panel.lr_plot.getViewBox().viewRange()[1]
    assert y0 < 0.002 < y1 and y1 - y0 <= 4 * 0.002
