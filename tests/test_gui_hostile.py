"""The window against hostile data (issue 21): a FIFO as a preset's data path, a symlink into
/proc in an image folder, a reader that fails or blocks, 1,000 classes to draw, weights that do
not fit their network. Each ends in one message while the event loop keeps running."""
from __future__ import annotations

import faulthandler
import json
import os
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from playground.core.files import FileProblem
from playground.network.preset import PRESETS_DIR, load_preset
from widgets.data_page import DataPage
from widgets.testing import Dialogs, close_window, make_window

FIFO_SAYS = "is a pipe (FIFO), not a regular file"   # the engine's refusal (playground/core/files.py)


@pytest.fixture(autouse=True)
def no_hang():
    """A test that blocks the GUI thread fails with a traceback, not a hung run."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch, unanswered=QMessageBox.StandardButton.Discard)


@pytest.fixture
def window(qtbot, private_home, dialogs):
    w = make_window(private_home, "xor_mlp")
    qtbot.addWidget(w)
    yield w
    close_window(w)


def event_loop_runs(qtbot) -> None:
    """A timer queued now fires: the GUI thread is not stuck."""
    fired: list[bool] = []
    QTimer.singleShot(0, lambda: fired.append(True))
    qtbot.waitUntil(lambda: bool(fired), timeout=5000)


def preset_reading(tmp_path: Path, data_path: Path) -> Path:
    """xor_mlp's network with a CSV data set at `data_path`."""
    doc = json.loads((PRESETS_DIR / "xor_mlp.json").read_text())
    doc["data"] = {"name": "csv", "params": {"path": str(data_path), "label": "y"}}
    path = tmp_path / "my_data.json"
    path.write_text(json.dumps(doc))
    return path


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "never_ends.csv"
    os.mkfifo(path)
    return path


# ---------------------------------------------------------------- a FIFO as the data path
def test_a_fifo_data_path_at_start_up_shows_the_engines_refusal(qtbot, private_home, dialogs):
    preset = preset_reading(private_home, fifo(private_home))
    w = make_window(private_home, str(preset))
    qtbot.addWidget(w)
    try:
        qtbot.waitUntil(lambda: FIFO_SAYS in w.train_block_reason(), timeout=10_000)
        qtbot.waitUntil(lambda: FIFO_SAYS in w.data_panel.preview.caption.text(), timeout=10_000)
        event_loop_runs(qtbot)
        assert w.doc.preset.data.params["path"] == str(private_home / "never_ends.csv")   # opened, not lost
        assert not w.actions_by_name["train_start"].isEnabled()
        assert dialogs.shown == []   # said in the Data dock and the status bar, not a dialog per read
    finally:
        close_window(w)


def test_a_fifo_data_path_opened_from_the_file_menu_keeps_the_window_responsive(qtbot, window, dialogs,
                                                                                tmp_path):
    assert window.open_path(preset_reading(tmp_path, fifo(tmp_path)))   # what File ▸ Open calls
    qtbot.waitUntil(lambda: FIFO_SAYS in window.train_block_reason(), timeout=10_000)
    qtbot.waitUntil(lambda: FIFO_SAYS in window.data_panel.preview.caption.text(), timeout=10_000)
    event_loop_runs(qtbot)
    assert dialogs.shown == []


def test_a_blocking_read_happens_off_the_gui_thread_and_is_read_once(qtbot, window, monkeypatch, tmp_path):
    """A read that blocks (a slow network mount; a FIFO the engine did not catch) leaves the
    window running and saying the data is being read; the fit check and the Data dock's preview
    share one read, and its message arrives when it ends."""
    import playground.data
    entered, release = threading.Event(), threading.Event()
    readers: list[str] = []

    def blocking_read(name, params=None):
        readers.append(threading.current_thread().name)
        entered.set()
        release.wait(15)
        raise FileProblem("the network mount did not answer")

    monkeypatch.setattr(playground.data, "make_dataset", blocking_read)
    csv = tmp_path / "slow.csv"
    csv.write_text("a,b,y\n1,2,0\n")
    assert window.open_path(preset_reading(tmp_path, csv))
    qtbot.waitUntil(entered.is_set, timeout=10_000)
    event_loop_runs(qtbot)   # the GUI thread is not the one waiting
    assert "being read" in window.train_block_reason()
    assert not window.actions_by_name["train_start"].isEnabled()
    qtbot.waitUntil(lambda: window.data_panel.reading, timeout=5000)
    assert "Reading the data set" in window.data_panel.preview.caption.text()
    release.set()
    qtbot.waitUntil(lambda: "did not answer" in window.train_block_reason(), timeout=10_000)
    qtbot.waitUntil(lambda: "did not answer" in window.data_panel.preview.caption.text(), timeout=10_000)
    assert len(readers) == 1 and readers[0] != threading.main_thread().name


def test_once_a_file_is_read_the_inspector_and_canvas_show_what_it_says(qtbot, window, tmp_path):
    """Opening a preset whose CSV is read off the GUI thread: the Inspector's "still being read"
    stayed after the read (and through a whole training), and the canvas did not mark an output
    that does not fit the file's classes."""
    from PySide6.QtWidgets import QLabel
    rows = "\n".join(f"{k % 7},{k % 5},{k % 3}" for k in range(90))   # three classes
    (tmp_path / "three.csv").write_text("a,b,y\n" + rows + "\n")
    assert window.open_path(preset_reading(tmp_path, tmp_path / "three.csv"))
    qtbot.waitUntil(lambda: "being read" not in window.train_block_reason(), timeout=10_000)
    output = window.doc.model.output_id()

    def inspector_text() -> str:
        return " ".join(label.text() for label in window.inspector.findChildren(QLabel))
    qtbot.waitUntil(lambda: "3 classes" in inspector_text() or "(3,)" in inspector_text(), timeout=5000)
    assert "being read" not in inspector_text()
    assert window.scene.nodes[output].error   # xor_mlp's two outputs for three classes: marked


# ---------------------------------------------------------------- the import page
def write_png(path: Path, seed: int) -> None:
    from PIL import Image
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (8, 8), dtype=np.uint8)).save(path)


def run_import(qtbot, page: DataPage) -> None:
    page.start_import()
    qtbot.waitUntil(lambda: page.task is None, timeout=20_000)


def test_a_symlink_into_proc_in_an_image_folder_is_left_out_and_the_page_closes(qtbot, window, tmp_path):
    folder = tmp_path / "pictures"
    for k, cls in enumerate(("cat", "dog")):
        (folder / cls).mkdir(parents=True)
        for n in range(3):
            write_png(folder / cls / f"{n}.png", 10 * k + n)
    (folder / "cat" / "pagemap.png").symlink_to("/proc/self/pagemap")
    page = DataPage(window)
    qtbot.addWidget(page)
    page.set_path(str(folder))
    run_import(qtbot, page)
    assert page.report is not None and page.report.n_samples == 6
    assert [s.path for s in page.report.skipped] == ["cat/pagemap.png"]
    assert "pagemap.png" in page.result.text()
    page.close()
    event_loop_runs(qtbot)


@pytest.mark.parametrize("error", [AttributeError("'float' object has no attribute 'strip'"),
                                   ValueError("column names must be unique: 'a' appears twice")])
def test_a_failed_background_read_ends_the_page_with_its_message(qtbot, window, tmp_path, monkeypatch, error):
    from playground.data import importers

    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(importers, "import_dataset", failing)
    csv = tmp_path / "table.csv"
    csv.write_text("f1,a,b\n1,2,x\n3,4,y\n")
    page = DataPage(window)
    qtbot.addWidget(page)
    page.set_path(str(csv))
    run_import(qtbot, page)
    text = page.result.text()
    assert "Cannot import" in text and str(error).split(":")[0] in text and "Importing" not in text
    assert page.import_button.isEnabled() and not page.use_button.isEnabled()


def test_a_header_with_a_blank_padded_duplicate_ends_the_page_with_a_message(qtbot, window, tmp_path):
    csv = tmp_path / "dup.csv"
    csv.write_text("f1,a ,a\n" + "".join(f"{k},{k % 2},{k % 3}\n" for k in range(30)))
    page = DataPage(window)
    qtbot.addWidget(page)
    page.set_path(str(csv))
    if page.import_button.isEnabled():   # the header may already be refused when the file is chosen
        run_import(qtbot, page)
    assert page.task is None and "Importing" not in page.result.text()
    assert page.report is not None or "Cannot import" in page.result.text()


def test_using_imported_data_reuses_the_read_for_the_preview_and_the_fit_check(qtbot, window, tmp_path,
                                                                               monkeypatch):
    """Issue 22: "Use this data" must not read the set again on the GUI thread for the Data dock."""
    import playground.data
    from widgets.data_page import open_data_page
    rows = ["x1,x2,kind"] + [f"{k % 7},{k % 5},{'ab'[k % 2]}" for k in range(200)]
    csv = tmp_path / "pairs.csv"
    csv.write_text("\n".join(rows) + "\n")
    reads: list[str] = []
    real = playground.data.make_dataset
    monkeypatch.setattr(playground.data, "make_dataset",
                        lambda name, *a, **k: reads.append(name) or real(name, *a, **k))
    page = open_data_page(window)
    page.set_path(str(csv))
    run_import(qtbot, page)
    assert page.report is not None
    page.use_button.click()
    assert window.doc.preset.data.name == "csv"
    assert not window.doc.problems   # known at once: the import's own read
    window.data_panel.update_preview()
    assert not window.data_panel.reading   # drawn without waiting for a second read
    assert "training samples" in window.data_panel.preview.caption.text()
    assert "csv" not in reads   # (the example's own data set may still be previewed)


# ---------------------------------------------------------------- many classes
def many_classes(n_classes: int, n: int) -> SimpleNamespace:
    rng = np.random.default_rng(0)
    y = np.arange(n) % n_classes
    return SimpleNamespace(kind="points", x_train=rng.normal(size=(n, 2)).astype(np.float32), y_train=y,
                           input_shape=(2,), n_classes=n_classes, class_names=[f"c{k}" for k in range(n_classes)],
                           target_shape=(), mean=None, std=None, unstandardize=lambda x: x)


def drawn(plot_item) -> tuple[int, int]:
    """(scatter series, points) in a plot."""
    import pyqtgraph as pg
    series = [i for i in plot_item.items if isinstance(i, pg.ScatterPlotItem)]
    return len(series), sum(len(s.data) for s in series)


def test_the_data_dock_draws_a_sample_of_a_thousand_classes(qtbot):
    from widgets.data_preview import DataPreview
    preview = DataPreview()
    qtbot.addWidget(preview)
    preview.show_dataset(many_classes(1000, 50_000))
    series, points = drawn(preview.plot.getPlotItem())
    assert series <= 10 and points == 600   # not one series per class, not every point
    caption = preview.caption.text()
    assert "50000 training samples" in caption and "showing 600" in caption and "sampled" in caption
    assert "990 more classes" in caption and "c999" not in caption


def test_the_data_dock_draws_a_classification_with_one_input(qtbot):
    """One input column (a one-feature CSV or .npz): its values across, each class on its own
    row; it once raised IndexError on the missing second column."""
    from widgets.data_preview import DataPreview
    preview = DataPreview()
    qtbot.addWidget(preview)
    ds = many_classes(3, 90)
    ds.x_train = np.arange(90, dtype=np.float32).reshape(90, 1)
    ds.input_shape = (1,)
    preview.show_dataset(ds)
    series, points = drawn(preview.plot.getPlotItem())
    assert series == 3 and points == 90
    import pyqtgraph as pg
    rows = {round(float(np.mean(s.data["y"]))) for s in preview.plot.getPlotItem().items if isinstance(s, pg.ScatterPlotItem)}
    assert rows == {0, 1, 2} and "one input" in preview.caption.text()
    # the rows are named by their classes, not numbered in halves
    left = preview.plot.getPlotItem().getAxis("left")
    assert left._tickLevels == [[(0.0, ds.class_names[0]), (1.0, ds.class_names[1]), (2.0, ds.class_names[2])]]
    ds.x_train = np.zeros((90, 2), dtype=np.float32)   # the next data set's axis is numbered again
    ds.input_shape = (2,)
    preview.show_dataset(ds)
    assert left._tickLevels is None


def test_the_import_form_offers_no_array_for_two_fields(qtbot, tmp_path):
    """An archive whose label the peek cannot tell: the label field gets another array than the
    inputs field (it once fell back to the last array for both)."""
    from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

    from playground.data.importers import IMPORTERS
    from playground.data.importers.peeks import peek_archive
    from widgets.import_form import ImportForm
    np.savez(tmp_path / "odd.npz", first=np.zeros((10, 2)), second=np.zeros((10, 3)))
    holder = QWidget()
    qtbot.addWidget(holder)
    layout = QFormLayout(holder)
    layout.addRow("format", QLabel("npz"))
    form = ImportForm(layout, lambda: None)
    form.show(IMPORTERS["npz"])
    form.fill(peek_archive(tmp_path / "odd.npz"))
    values = form.values()
    assert values["x_key"] == "first" and values["y_key"] == "second"


def test_the_import_page_draws_a_sample_of_a_thousand_classes(qtbot, window):
    page = DataPage(window)
    qtbot.addWidget(page)
    ds = many_classes(1000, 20_000)
    report = SimpleNamespace(feature_names=["a", "b"], n_classes=1000, class_names=ds.class_names,
                             label="kind", task="classification")
    page._draw_scatter(ds, report)
    series, points = drawn(page.plot.getPlotItem())
    assert series <= 10 and points == 800
    assert "800 of its 20,000 samples" in page.preview_title.text()


# ---------------------------------------------------------------- weights that do not fit
def test_weights_that_do_not_fit_their_network_are_refused_at_import(qtbot, window, dialogs, tmp_path):
    from playground.network.build import build_model
    from playground.network.model_file import save_weights
    preset = load_preset(PRESETS_DIR / "xor_mlp.json")
    state = build_model(preset.model, seed=0).state_dict()
    name, tensor = next((k, v) for k, v in state.items() if v.ndim == 2)
    state[name] = np.zeros((tensor.shape[0] + 3, tensor.shape[1]), dtype=np.float32)
    import torch
    state = {k: torch.as_tensor(v) for k, v in state.items()}
    path = save_weights(tmp_path / "wrong.safetensors", state, preset)
    window.palette.activated.emit("ReLU")   # the current work: an unsaved edit
    before = window.doc.snapshot()
    assert not window.import_weights(path)
    assert len(dialogs.shown) == 1
    kind, _title, text = dialogs.shown[0]
    wrong, needed = (tensor.shape[0] + 3, tensor.shape[1]), tuple(tensor.shape)
    assert kind == "critical" and "wrong.safetensors" in text
    assert f"{name} is {wrong}, the network needs {needed}" in text
    assert window.doc.snapshot() == before and window.doc.imported is None
