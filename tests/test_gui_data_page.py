"""The data page: choose a CSV or an image folder, import it off the GUI thread (with progress and
cancel), see what the network will get, and put it into the preset as one undoable edit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from widgets.data_page import DataPage
from widgets.testing import close_window, make_window


def write_csv(path: Path, n: int = 60) -> Path:
    rng = np.random.default_rng(0)
    rows = ["width;height;shade;kind"]
    for i in range(n):
        c = i % 3
        rows.append(f"{rng.normal(3 * c):.2f};{rng.normal(-c):.2f};{'dark' if i % 2 else 'light'};"
                    f"{['alpha', 'beta', 'gamma'][c]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    w = make_window(tmp_path)
    qtbot.addWidget(w)
    yield w
    close_window(w)


def run_import(qtbot, page: DataPage) -> None:
    page.start_import()
    qtbot.waitUntil(lambda: page.task is None, timeout=20000)


def test_csv_columns_table_import_and_use_in_the_preset(qtbot, window, tmp_path):
    from widgets.data_page import open_data_page
    csv = write_csv(tmp_path / "shapes.csv")
    page = open_data_page(window)
    page.set_path(str(csv))
    label, features = page.import_form.field("label"), page.import_form.field("features")
    assert label.currentText() == "kind"  # the last column by default
    assert [features.item(k).text() for k in range(features.count())] == ["width", "height", "shade"]
    assert page.table.rowCount() == 50 and page.table.horizontalHeaderItem(0).text() == "width"
    assert "semicolon" in page.format_label.text()
    assert not page.use_button.isEnabled()
    features.item(2).setCheckState(features.item(2).checkState().Unchecked)  # leave out 'shade'
    run_import(qtbot, page)
    assert page.report is not None and page.report.n_classes == 3 and page.report.input_shape == (2,)
    assert "expected initial loss (cross-entropy): 1.099" in page.result.text()
    assert page.preview.currentWidget() is page.plot_holder  # two features: a scatter
    assert "Input takes (2,)" not in page.fit_hint.text() and "3 values" in page.fit_hint.text()
    assert page.fit_box.isVisible() and page.fit_box.isChecked()
    page.use_button.click()
    data = window.doc.preset.data
    assert data.name == "csv" and data.params["path"] == str(csv) and data.params["features"] == "width,height"
    assert len(data.params["sha256"]) == 64
    out = next(n for n in window.doc.model.nodes if n.id == window.doc.model.output_id())
    assert out.params["out_features"] == 3  # the network was fitted to the three classes
    assert not window.doc.problems  # and the data, loss and network now fit together
    window.doc.undo_stack.undo()  # one undo takes back the data and the fitting
    assert window.doc.preset.data.name != "csv"
    out = next(n for n in window.doc.model.nodes if n.id == window.doc.model.output_id())
    assert out.params["out_features"] == 2


def test_a_regression_csv_into_a_classifier_says_the_loss_must_change_and_fitting_changes_it(qtbot, window, tmp_path):
    """House prices into xor_mlp (cross-entropy): the page said only "the output needs 1 value",
    and after "Use this data" training was refused ("real-valued targets; use mse or l1")."""
    from widgets.data_page import open_data_page
    rng = np.random.default_rng(1)
    rows = ["rooms,area,house price"] + [f"{r},{a:.1f},{1000 * r + 3 * a:.0f}" for r, a in
                                         zip(rng.integers(1, 6, 80), rng.uniform(40, 200, 80))]
    csv = tmp_path / "houses.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert window.doc.preset.training.loss == "cross_entropy"
    page = open_data_page(window)
    page.set_path(str(csv))
    page.import_form.field("task").setCurrentIndex(page.import_form.field("task").findData("regression"))
    run_import(qtbot, page)
    assert page.report is not None and page.report.n_classes == 0
    assert "the loss must be mse" in page.fit_hint.text() and "1 value" in page.fit_hint.text()
    assert page.fit_box.isVisible() and page.fit_box.isChecked()
    page.use_button.click()
    assert window.doc.preset.training.loss == "mse"
    assert not window.doc.problems   # trainable as it is
    window.doc.undo_stack.undo()     # one undo takes back the data, the loss and the sizes
    assert window.doc.preset.training.loss == "cross_entropy"


def test_a_broken_csv_shows_its_problem_and_cannot_be_used(qtbot, window, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\nx1,0\n2,1\n3,0\n", encoding="utf-8")
    page = DataPage(window, (2,))
    qtbot.addWidget(page)
    page.set_path(str(bad))
    run_import(qtbot, page)
    assert "row 2, column 'a': 'x1' is not a number" in page.result.text()
    assert page.report is None and not page.use_button.isEnabled()


def test_image_folder_grid_and_cancel(qtbot, window, tmp_path):
    from PIL import Image
    root = tmp_path / "pets"
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for i in range(6):
            Image.fromarray((rng.random((9, 9, 3)) * 255).astype(np.uint8)).save(root / name / f"{i}.png")
    page = DataPage(window, (2,))
    qtbot.addWidget(page)
    page.set_path(str(root))
    assert "2 class subfolders" in page.format_label.text()
    page.import_form.field("size").setValue(12)
    run_import(qtbot, page)
    assert page.report.input_shape == (1, 12, 12) and page.preview.currentWidget() is page.grid_page
    assert page.grid.count() == len(page.dataset.x_train) == 8  # every training image, with its class
    assert "Input takes (2,); this data has (1, 12, 12)" in page.fit_hint.text()

    page.start_import()
    page.cancel_import()  # cancelled before or while it runs: either it ends cancelled or finishes
    qtbot.waitUntil(lambda: page.task is None, timeout=20000)
    assert page.import_button.isEnabled() and not page.cancel_button.isEnabled()


def test_a_folder_without_class_subfolders_shows_the_expected_tree(qtbot, window, tmp_path):
    (tmp_path / "flat").mkdir()
    page = DataPage(window, None)
    qtbot.addWidget(page)
    page.set_path(str(tmp_path / "flat"))
    assert "has no class subfolders" in page.result.text() and "cat/" in page.result.text()
    assert not page.import_button.isEnabled()


def write_wide_csv(path: Path, n: int = 60) -> Path:
    """Many long column names, a text label, one empty cell: the report's longest lines."""
    rng = np.random.default_rng(1)
    names = [f"measured_{part}_in_millimetres" for part in ("sepal_length", "sepal_width", "petal_length",
                                                               "petal_width", "stem_thickness", "leaf_span")]
    rows = [",".join(names + ["species"])]
    for i in range(n):
        c = i % 3
        cells = [f"{rng.normal(c):.3f}" for _ in names]
        if i == 5:
            cells[2] = ""
        rows.append(",".join(cells + [["setosa", "versicolor", "virginica"][c]]))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_import_report_wraps_inside_its_column_and_shortens_the_digest(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QApplication
    from widgets.data_page import open_data_page
    csv = write_wide_csv(tmp_path / "flowers_measured_in_the_greenhouse_during_spring.csv")
    page = open_data_page(window)
    page.show()
    page.set_path(str(csv))
    run_import(qtbot, page)
    qtbot.wait(50)   # the scroll area lays the report out
    sha = page.report.sha256
    text = page.result.text()
    area = page.result.parentWidget().parentWidget()   # the report's scroll area (label, viewport, area)
    assert area.horizontalScrollBar().maximum() == 0   # the 64-digit hash pushed it 78 px wider
    assert page.result.width() <= area.viewport().width()
    assert "dropped 1 row with missing values" in text
    from widgets.data_page import short_digest
    assert short_digest(sha) in text and short_digest(sha) == sha[:12] + "…"
    assert f"href='sha256:{sha}'" in text   # the whole digest is in the link (tooltip, copy)
    assert text.count(sha) == 1   # and shown only there
    page.result.linkActivated.emit(f"sha256:{sha}")
    assert QApplication.clipboard().text() == sha
    page.close()


def test_the_data_dock_fits_a_narrow_dock_with_a_csv_in_use(qtbot, window, tmp_path):
    from widgets.data_page import open_data_page
    from widgets.settings_panel import DataSettings
    csv = write_wide_csv(tmp_path / "flowers.csv")
    page = open_data_page(window)
    page.set_path(str(csv))
    run_import(qtbot, page)
    page.use_button.click()
    assert window.doc.preset.data.name == "csv"
    window.doc.undo_stack.setClean()   # closing the window asks nothing, even after a failure
    panel = DataSettings(window.doc)   # as the Data dock holds it, at its narrowest default width
    qtbot.addWidget(panel)
    panel.populate()
    panel.resize(300, 700)
    panel.show()
    qtbot.waitUntil(lambda: not panel.reading and "training samples" in panel.preview.caption.text(), timeout=20000)
    qtbot.wait(50)
    assert panel.combo.currentData() == "csv"
    assert panel.horizontalScrollBar().maximum() == 0   # the combo's longest title made it 380 px wide
    assert panel.widget().width() <= panel.viewport().width()
    assert panel.help.width() <= panel.viewport().width() and panel.preview.caption.width() <= panel.viewport().width()


def _activate(qtbot, page) -> None:
    """Focus moves between the page's widgets only in the active window."""
    page.raise_()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5000)


def _click_check(qtbot, features, row: int) -> None:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    rect = features.visualItemRect(features.item(row))
    QTest.mouseClick(features.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(rect.left() + 8, rect.center().y()))


def test_a_click_on_the_form_while_the_file_field_has_focus_keeps_the_form(qtbot, window, tmp_path):
    """Typing a path, Return, then ticking an input: the File field lost focus to the click and
    re-read the file, rebuilding the form inside the click (a segmentation fault); with the same
    path it also reset the ticks set before Import."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from widgets.data_page import open_data_page
    csv = write_csv(tmp_path / "shapes.csv")
    page = open_data_page(window)
    _activate(qtbot, page)
    page.path_edit.setFocus()
    QTest.keyClicks(page.path_edit, str(csv))
    QTest.keyClick(page.path_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.shown_path == str(csv), timeout=5000)
    features = page.import_form.field("features")
    assert features.count() == 3
    page.path_edit.setFocus()
    _click_check(qtbot, features, 2)   # leave out 'shade'
    qtbot.wait(50)
    assert page.import_form.field("features") is features   # the same list, not a rebuilt one
    assert features.item(2).checkState() == Qt.CheckState.Unchecked
    page.path_edit.setFocus()
    page.import_button.setFocus()   # focus leaves the unchanged field again: nothing is re-read
    qtbot.wait(50)
    run_import(qtbot, page)
    assert page.report is not None and page.report.input_shape == (2,)


def test_a_new_path_typed_then_a_click_on_the_old_form_reads_the_new_file_after_the_click(qtbot, window, tmp_path):
    from widgets.data_page import open_data_page
    first = write_csv(tmp_path / "shapes.csv")
    second = tmp_path / "two.csv"
    second.write_text("a,b,label\n" + "".join(f"{k},{k % 3},{k % 2}\n" for k in range(40)), encoding="utf-8")
    page = open_data_page(window)
    _activate(qtbot, page)
    page.set_path(str(first))
    old = page.import_form.field("features")
    from PySide6.QtTest import QTest
    page.path_edit.setFocus()
    page.path_edit.selectAll()
    QTest.keyClicks(page.path_edit, str(second))
    _click_check(qtbot, old, 0)   # focus leaves the field inside this click
    qtbot.waitUntil(lambda: page.shown_path == str(second), timeout=5000)
    new = page.import_form.field("features")
    assert [new.item(k).text() for k in range(new.count())] == ["a", "b"]


def test_a_file_that_cannot_be_read_clears_the_last_files_preview(qtbot, window, tmp_path):
    from widgets.data_page import open_data_page
    good = write_csv(tmp_path / "shapes.csv")
    bad = tmp_path / "dup.csv"
    bad.write_text("x,x,label\n1,2,0\n3,4,1\n", encoding="utf-8")
    page = open_data_page(window)
    page.set_path(str(good))
    assert page.table.rowCount() > 0 and page.format_label.text()
    page.set_path(str(bad))
    assert page.table.rowCount() == 0 and page.format_label.text() == ""
    assert page.preview.currentWidget() is page.empty and not page.import_button.isEnabled()
