"""The compare view: the runs browser sorts, filters, selects, renames and deletes; the overlay
draws one line per run and a mean ± std band per repeat group; the settings table shows only
what differs; the scatter reads a learning rate on a log axis."""
from __future__ import annotations

import pytest

from playground.run_records.experiments import record_run, repeat, twin
from playground.network.overrides import apply_overrides
from playground.network.preset import resolve_preset
from widgets.compare.browser import COLUMNS
from widgets.compare.window import CompareWindow

TIMEOUT = 30_000


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory):
    """A plain run, its twin with another optimizer, and a 3-seed repeat with another lr."""
    folder = tmp_path_factory.mktemp("runs")
    base = apply_overrides(resolve_preset("xor_mlp"), ["training.epochs=3", "training.probe_every=5"])
    parent = record_run(base, folder)
    child = twin(parent.id, ["training.optimizer=sgd", "training.lr=0.5"], folder)
    group, members = repeat(apply_overrides(base, ["training.lr=0.003"]), range(3), folder, jobs=1)
    return folder, parent.id, child.id, group, members


@pytest.fixture
def window(qtbot, runs_folder):
    w = CompareWindow(runs_folder[0])
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.reloaded, timeout=TIMEOUT):
        pass
    w.show()
    return w


def reopen(qtbot, w: CompareWindow) -> None:
    with qtbot.waitSignal(w.reloaded, timeout=TIMEOUT):
        w.reload()


def test_the_browser_lists_sorts_and_filters(window, runs_folder):
    folder, parent, child, group, members = runs_folder
    b = window.browser
    assert b.proxy.rowCount() == 5
    col = COLUMNS.index("Val acc")
    b.table.sortByColumn(col, pytest.importorskip("PySide6.QtCore").Qt.SortOrder.DescendingOrder)
    accs = [r.metrics["val_accuracy"] for r in b.visible_runs()]
    assert accs == sorted(accs, reverse=True)
    b.filter_edit.setText("optimizer=sgd")
    assert [r.id for r in b.visible_runs()] == [child]
    b.filter_edit.setText(group[-4:])
    assert sorted(r.id for r in b.visible_runs()) == sorted(members)
    b.filter_edit.setText("")
    b.status_box.setCurrentIndex(b.status_box.findData("failed"))
    assert b.visible_runs() == []
    b.status_box.setCurrentIndex(b.status_box.findData("finished"))
    assert len(b.visible_runs()) == 5


def test_the_overlay_draws_a_line_per_run_and_a_band_per_group(window, runs_folder):
    folder, parent, child, group, members = runs_folder
    window.browser.select_ids([parent, child, *members])
    drawn = window.overlay.drawn
    assert len(drawn) == 3 and [e.is_group for e in drawn].count(True) == 1
    band_entry = next(e for e in drawn if e.is_group)
    assert sorted(r.id for r in band_entry.runs) == sorted(members) and "×3 seeds" in band_entry.label
    k = drawn.index(band_entry)
    slot = window.overlay.slots["loss"][k]
    assert slot.fills["val"].isVisible() and slot.lines["val"].isVisible()
    x, y = slot.lines["val"].getData()
    assert list(x) == [1.0, 2.0, 3.0] and len(y) == 3
    single = window.overlay.slots["loss"][drawn.index(next(e for e in drawn if not e.is_group))]
    assert "val" not in single.fills or not single.fills["val"].isVisible()
    # bands off: the group's runs are lines of their own
    window.overlay.bands.setChecked(False)
    assert len(window.overlay.drawn) == 5 and not any(e.is_group for e in window.overlay.drawn)
    window.overlay.bands.setChecked(True)
    assert window.overlay.verdict_text() == ""   # a verdict needs two repeat groups
    window.browser.select_ids([parent])
    assert len(window.overlay.drawn) == 1
    assert not any(s.lines["val"].isVisible() for s in window.overlay.slots["loss"][1:])


def test_the_settings_table_shows_only_what_differs(window, runs_folder):
    folder, parent, child, group, members = runs_folder
    window.tabs.setCurrentWidget(window.settings_view)
    window.browser.select_ids([parent, child])
    t = window.settings_view.table
    rows = [t.verticalHeaderItem(r).text() for r in range(t.rowCount())]
    assert rows == ["seeds (init, data, noise)", "training.optimizer", "training.lr"]
    by_run = {t.horizontalHeaderItem(c).toolTip(): t.item(1, c).text() for c in range(2)}
    assert by_run == {parent: "adam", child: "sgd"}
    window.settings_view.show_all.setChecked(True)
    assert t.rowCount() > 30
    window.settings_view.show_all.setChecked(False)


def test_layers_and_scatter(window, runs_folder):
    folder, parent, child, group, members = runs_folder
    window.tabs.setCurrentWidget(window.layers)
    window.browser.select_ids([parent, child])
    assert window.layers.layers()[:1] == ["hidden"]
    window.tabs.setCurrentWidget(window.scatter)
    s = window.scatter
    assert s.setting.currentData() == "training.lr" and s.log_x
    assert len(s.scatter.data) == 5


def test_rename_and_delete_from_the_window(qtbot, window, runs_folder):
    folder, parent, child, group, members = runs_folder
    with qtbot.waitSignal(window.reloaded, timeout=TIMEOUT):
        window.rename(child, "plain sgd")
    assert any(r.label == "plain sgd" for r in window.browser.model.runs)
    with qtbot.waitSignal(window.reloaded, timeout=TIMEOUT):
        window.delete([child])
    assert child not in {r.id for r in window.browser.model.runs} and len(window.browser.model.runs) == 4


def test_train_menu_opens_the_compare_view_on_the_runs_folder(qtbot, tmp_path, monkeypatch, runs_folder):
    from widgets.testing import close_window, make_window
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(runs_folder[0]))
    w = make_window(tmp_path)
    try:
        action = w.actions_by_name["compare_runs"]
        train_menu = next(m.menu() for m in w.menuBar().actions() if m.text().replace("&", "") == "Train")
        assert action in train_menu.actions()
        action.trigger()
        compare = w.compare_window
        qtbot.waitUntil(lambda: len(compare.browser.model.runs) == len(runs_folder[4]) + 2 or
                        len(compare.browser.model.runs) >= 4, timeout=TIMEOUT)
        assert compare.isVisible() and compare.folder == runs_folder[0]
        action.trigger()   # a second time: the same window, read again
        assert w.compare_window is compare
    finally:
        w.compare_window.close()
        close_window(w)


def test_a_new_run_shows_up_without_a_click(qtbot, window, runs_folder):
    folder = runs_folder[0]
    before = len(window.browser.model.runs)
    record_run(apply_overrides(resolve_preset("xor_mlp"), ["training.epochs=1"]), folder)
    qtbot.waitUntil(lambda: len(window.browser.model.runs) == before + 1, timeout=TIMEOUT)


def test_run_a_twin_from_the_window_trains_it_and_selects_it(qtbot, window, runs_folder):
    folder, parent, *_ = runs_folder
    window.run_twin(parent, ["training.lr=0.2"])
    assert window.process is not None and not window.buttons["twin"].isEnabled()
    qtbot.waitUntil(lambda: window.process is None, timeout=120_000)
    qtbot.waitUntil(lambda: len(window.browser.selected()) == 1, timeout=TIMEOUT)
    new = window.browser.selected()[0]
    assert new.parent == parent and new.changed == {"training.lr": 0.2} and new.status == "finished"


def test_the_verdict_on_a_lesson_pair_comes_on_the_lessons_metric_first(qtbot, tmp_path):
    """overfit_moons_l2's lesson is about validation loss: its verdict comes first, before the
    accuracy a classifier's verdict would otherwise lead with; the same runs twice are identical."""
    short = ["training.epochs=3", "training.probe_every=100"]
    base = apply_overrides(resolve_preset("overfit_moons"), short)
    g_base, base_ids = repeat(base, range(2), tmp_path, jobs=1)
    g_l2, l2_ids = repeat(apply_overrides(resolve_preset("overfit_moons_l2"), short), range(2), tmp_path, jobs=1)
    g_again, again_ids = repeat(base, range(2), tmp_path, jobs=1)
    w = CompareWindow(tmp_path)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.reloaded, timeout=TIMEOUT):
        pass
    w.show()
    w.browser.select_ids([*base_ids, *l2_ids])
    text = w.overlay.verdict.text()
    assert w.overlay.verdict.isVisible()
    assert "overfit_moons_l2" in text and "lesson of overfit_moons_l2" in text
    assert -1 < text.index("val_loss:") < text.index("val_accuracy:")
    w.browser.select_ids([*base_ids, *again_ids])
    text = w.overlay.verdict.text()
    assert "lesson" not in text and text.index("val_accuracy:") < text.index("val_loss:")
    assert text.count("identical results") == 2 and "p = 1" not in text


def test_every_column_header_is_readable_at_the_default_size(window, runs_folder):
    """At the window's own size (1366×768) the runs table fits without scrolling sideways, and
    every column shown is at least as wide as its header's text: the metrics are not pushed off
    the edge by a long run id (cut in the middle instead, its tooltip whole)."""
    from PySide6.QtCore import Qt
    from widgets.compare.browser import COLUMNS
    table = window.browser.table
    header = table.horizontalHeader()
    shown = [c for c in range(len(COLUMNS)) if not table.isColumnHidden(c)]
    assert {"Run", "Val acc", "Val loss", "Test acc", "Changed", "Group"} <= {COLUMNS[c] for c in shown}
    assert sum(table.columnWidth(c) for c in shown) <= table.viewport().width()
    assert not table.horizontalScrollBar().isVisible()
    for c in shown:
        assert table.columnWidth(c) >= header.fontMetrics().horizontalAdvance(COLUMNS[c]) + 8, COLUMNS[c]
    run_col = COLUMNS.index("Run")
    tip = table.model().index(0, run_col).data(Qt.ItemDataRole.ToolTipRole)
    assert window.browser.visible_runs()[0].id in tip
    assert window.status.text().startswith(f"{len(window.browser.model.runs)} runs in ")


def test_one_run_is_counted_as_one_run(qtbot, tmp_path, runs_folder):
    import shutil
    folder, parent = runs_folder[0], runs_folder[1]
    shutil.copytree(folder / parent, tmp_path / parent)
    w = CompareWindow(tmp_path)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.reloaded, timeout=TIMEOUT):
        pass
    assert w.status.text().startswith("1 run in "), w.status.text()
    w.show()
    table = w.browser.table
    assert table.isColumnHidden(COLUMNS.index("Group"))   # no run in a group: no empty column


def test_a_narrow_table_cuts_the_date_before_what_a_run_changed(qtbot, tmp_path):
    """At 1366×768 the table has half the window: "Changed" (what tells the runs apart) was cut
    to "opt….01" while every row spent ~120 px on its date and ~200 on its id. The date, the id (to
    its tail) and the group's id give way first, and a cut "Changed" keeps its beginning."""
    from PySide6.QtCore import Qt
    from widgets.compare.browser import date_text
    assert date_text("2026-12-07T15:49:10", this_year="2026") == "12-07 15:49"
    assert date_text("2025-11-30T09:12:00", this_year="2026") == "2025-11-30 09:12"
    base = apply_overrides(resolve_preset("xor_mlp"), ["training.epochs=2", "training.probe_every=50"])
    parent = record_run(base, tmp_path)
    twin(parent.id, ["training.optimizer=sgd", "training.lr=0.5", "training.l2=0.01"], tmp_path)
    repeat(base, range(2), tmp_path, jobs=1)   # a group, whose id wants ~200 px too
    w = CompareWindow(tmp_path)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.reloaded, timeout=TIMEOUT):
        pass
    w.show()
    table = w.browser.table
    changed, date = COLUMNS.index("Changed"), COLUMNS.index("Date")
    fm = table.fontMetrics()
    assert table.viewport().width() < 700   # (the window's own 1366 px: the table has half)
    # the room the others leave: here its first two settings whole, the rest cut at the end ("l2…")
    assert table.columnWidth(changed) >= fm.horizontalAdvance("optimizer=sgd, lr=0.5, l2")
    assert table.columnWidth(date) < fm.horizontalAdvance("12-07 15:49")   # it gave way first
    assert table.columnWidth(COLUMNS.index("Run")) >= 120                  # an id's tail still shows
    run = w.browser.model.runs[0]
    tip = table.model().index(0, date).data(Qt.ItemDataRole.ToolTipRole)
    assert run.started[:10] in tip   # the date a cut column hides is in the row's tooltip
    assert type(table.itemDelegateForColumn(changed)).__name__ == "ElideRightDelegate"
