"""The compare view follows the runs folder (issue 28): a run that starts and then ends shows
first as running, then as finished, without a Reload; lesson presets' names are shown whole."""
from __future__ import annotations

from playground.run_records.reuse import trained_preset
from playground.run_records.run_to_end import make_trainer
from playground.run_records.store import RunRecorder

TIMEOUT = 30_000


def test_a_run_that_ends_shows_as_finished_without_a_reload(qtbot, runs_dir, monkeypatch):
    from widgets.compare.window import CompareWindow
    view = CompareWindow(runs_dir)
    qtbot.addWidget(view)
    reloads: list[int] = []
    monkeypatch.setattr(view.buttons["reload"], "click", lambda: reloads.append(1))   # nobody presses it
    preset = trained_preset("overfit_moons_max_norm", 0, ["training.epochs=1"])
    recorder = RunRecorder(runs_dir)
    trainer = make_trainer(preset, on_event=recorder)
    recorder.start(trainer)                                         # the record says "running" now
    qtbot.waitUntil(lambda: [r.status for r in view.runs] == ["running"], timeout=TIMEOUT)
    recorder.finish(trainer, trainer.run())                         # ...and "finished" in its run.json
    qtbot.waitUntil(lambda: [r.status for r in view.runs] == ["finished"], timeout=TIMEOUT)
    assert not reloads
    table = view.browser.table
    column = 1                                                      # Preset
    index = view.browser.proxy.index(0, column)
    assert index.data() == "overfit_moons_max_norm"
    assert table.columnWidth(column) >= table.fontMetrics().horizontalAdvance(index.data())   # not cut
    view.close()
