"""The Lesson dock's "Compare with …" trains the open network and a family member as twins and
shows both in the compare view: same three seeds, the one differing setting, both curves."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from widgets.lesson_twins import compare_family
from widgets.testing import close_window, make_window

TIMEOUT = 120_000   # two short trainings in background processes on a loaded machine


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError(a[1:3])))
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    w = make_window(tmp_path)
    yield w
    if getattr(w, "compare_window", None) is not None:
        w.compare_window.close()
    close_window(w)


def test_compare_with_trains_both_as_twins_and_selects_them(qtbot, window):
    assert window.open_example("overfit_moons")
    view = compare_family(window, "overfit_moons_l2", ["training.epochs=3"])
    assert window.compare_window is view and view.isVisible()
    qtbot.waitUntil(lambda: view.process is None and len(view.browser.selected()) == 2, timeout=TIMEOUT)
    runs = view.browser.selected()
    assert sorted(r.preset for r in runs) == ["overfit_moons", "overfit_moons_l2"]
    assert all(r.status == "finished" for r in runs)
    assert runs[0].seeds == runs[1].seeds                      # twins: all three seeds alike
    view.tabs.setCurrentWidget(view.settings_view)
    settings = [s for s in view.settings_view.differ if s.startswith(("training.", "data.", "model."))]
    assert settings == ["training.l2"]                         # the one setting that differs
    view.tabs.setCurrentWidget(view.overlay)
    assert len(view.overlay.entry_labels()) == 2               # both curves
    assert window.doc.preset.name == "overfit_moons"           # the open network stays open
    assert "Done:" in window.statusBar().currentMessage()       # the main window said what happened

    # The same comparison again: the finished records stand in for the trainings (same presets,
    # seeds and versions), so no process starts and no record is added.
    folder = view.folder
    before = sorted(p.name for p in folder.iterdir())
    view.browser.table.clearSelection()
    again = compare_family(window, "overfit_moons_l2", ["training.epochs=3"])
    assert again is view
    qtbot.waitUntil(lambda: view._planning is None and len(view.browser.selected()) == 2, timeout=TIMEOUT)
    assert view.process is None and sorted(p.name for p in folder.iterdir()) == before
    assert {r.id for r in view.browser.selected()} == {r.id for r in runs}
    assert "nothing to train" in window.statusBar().currentMessage()


def test_the_lesson_dock_offers_compare_and_open_for_each_member(qtbot, window, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(window, "compare_lesson_twins", asked.append)
    window.lesson_view.compare_requested.disconnect()
    window.lesson_view.compare_requested.connect(window.compare_lesson_twins)
    assert window.open_example("deep_sigmoid")
    buttons = {b.objectName(): b for b in window.lesson_view.buttons}
    assert {"compare:deep_relu", "open:deep_relu"} <= set(buttons)
    assert buttons["compare:deep_relu"].text() == "Compare with deep_relu"
    buttons["compare:deep_relu"].click()
    assert asked == ["deep_relu"] and window.doc.preset.name == "deep_sigmoid"
    buttons["open:deep_relu"].click()
    assert window.doc.preset.name == "deep_relu"
