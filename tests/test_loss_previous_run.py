"""Issue 12: earlier runs show on the live loss panel only as a faint 'previous run' overlay the
person turns on (off by default); a reset clears the current run only."""
from __future__ import annotations

import numpy as np

from playground.training.events import EpochEvent, LossEvent
from widgets.panels.loss import LossPanel


def run(panel: LossPanel, start_loss: float, steps: int = 40) -> None:
    x = np.arange(steps)
    panel.show_events([LossEvent(x, start_loss / (1 + x), epoch=0, lr=0.1),
                       EpochEvent(epoch=1, step=steps - 1, train_loss=start_loss / 10, val_loss=start_loss / 8,
                                  train_accuracy=None, val_accuracy=None, lr=0.1, seconds=1.0)])


def legend_labels(panel: LossPanel) -> list[str]:
    return [label.text for _, label in panel.legend.items]


def test_the_overlay_is_off_until_turned_on_and_shows_the_run_before(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    assert not panel.previous_box.isEnabled() and not panel.previous_box.isChecked()   # no run before
    run(panel, 9.0)
    panel.reset()   # Reset Weights / a new run: the panel starts clean ...
    assert len(panel.steps) == 0
    assert panel.previous_box.isEnabled() and not panel.previous_box.isChecked()
    assert not panel.previous.train_curve.isVisible()   # ... and shows nothing of the old run by default
    run(panel, 2.0, steps=20)
    panel.previous_box.setChecked(True)
    xs, ys = panel.previous.train_curve.getData()
    assert len(xs) == 40 and ys[0] == 9.0          # the previous run's smoothed curve, faintly
    assert panel.smoothed.view()[0] == 2.0          # the current run is untouched
    vx, vy = panel.previous.val_curve.getData()
    assert list(vx) == [39] and list(vy) == [9.0 / 8]
    assert any("previous run" in t for t in legend_labels(panel))
    panel.previous_box.setChecked(False)
    assert not panel.previous.train_curve.isVisible()
    assert not any("previous run" in t for t in legend_labels(panel))


def test_a_reset_keeps_the_previous_run_and_only_a_run_with_data_replaces_it(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.previous_box.setEnabled(True)
    run(panel, 5.0)
    panel.reset()
    panel.previous_box.setChecked(True)
    panel.reset()   # cleared again before any new step: the run before stays the previous one
    assert panel.previous.train_curve.getData()[1][0] == 5.0 and panel.previous.train_curve.isVisible()
    run(panel, 3.0)
    panel.reset()
    assert panel.previous.train_curve.getData()[1][0] == 3.0
