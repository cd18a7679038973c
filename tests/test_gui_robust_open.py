"""The window against hostile files: whatever is opened (at start-up or later), the window
finishes starting, stays usable and keeps the current work; nothing blocks the GUI thread."""
from __future__ import annotations

import copy
import faulthandler
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QLabel, QMessageBox

from playground.network.preset import MAX_DESCRIPTION_CHARS, PRESETS_DIR, preset_to_dict
from widgets.testing import Dialogs, close_window, make_window

BUILTINS = ["xor_mlp", "spiral_tanh", "digits_cnn", "vae_digits"]


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch, unanswered=QMessageBox.StandardButton.Cancel)


@pytest.fixture(autouse=True)
def no_hang():
    """A test that blocks (a FIFO read on the GUI thread) fails with a traceback, not a hung run."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def assert_usable(w) -> None:
    """Started up and usable: file and training actions on, the inspector past its placeholder,
    autosave running."""
    assert w.ready
    a = w.actions_by_name
    assert all(a[k].isEnabled() for k in ("open", "save", "save_as", "new"))
    assert a["train_start"].isEnabled()
    assert "Loading…" not in [label.text() for label in w.inspector.findChildren(QLabel)]
    assert w.autosave_timer.isActive()


def nested(tmp_path: Path) -> Path:
    path = tmp_path / "nested.json"
    path.write_text("[" * 200_000)
    return path


def long_description(tmp_path: Path) -> Path:
    doc = json.loads((PRESETS_DIR / "xor_mlp.json").read_text())
    doc["description"] = "x" * (50 * MAX_DESCRIPTION_CHARS)
    path = tmp_path / "long.json"
    path.write_text(json.dumps(doc))
    return path


def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    path = tmp_path / "never_ends.json"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("make, says", [(nested, "nests more than"), (long_description, "description"),
                                        (fifo, "not a regular file")])
def test_a_bad_file_at_start_up_still_finishes_starting(qtbot, tmp_path, dialogs, make, says):
    path = make(tmp_path)
    w = make_window(tmp_path, str(path))
    try:
        assert_usable(w)
        assert [k for k, *_ in dialogs.shown] == ["critical"] and says in dialogs.shown[0][2]
        assert w.doc.preset.name == "xor_mlp"   # the default example instead
    finally:
        close_window(w)


# ---------------------------------------------------------------- fuzzing the open-file path

def _valid_docs() -> st.SearchStrategy:
    return st.sampled_from(BUILTINS).map(lambda n: json.loads((PRESETS_DIR / f"{n}.json").read_text()))


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


@st.composite
def mutated(draw) -> dict:
    """A real preset with one field replaced by arbitrary JSON (or removed)."""
    doc = copy.deepcopy(draw(_valid_docs()))
    paths = [("name",), ("description",), ("version",), ("model",), ("model", "nodes"), ("data",),
             ("data", "name"), ("training",), ("training", "lr"), ("training", "epochs"), ("expect",)]
    nodes = doc["model"]["nodes"]
    k = draw(st.integers(0, len(nodes) - 1))
    paths += [("model", "nodes", k), ("model", "nodes", k, "params"), ("model", "nodes", k, "inputs"),
              ("model", "nodes", k, "type"), ("model", "nodes", k, "pos")]
    path = draw(st.sampled_from(paths))
    target = doc
    for key in path[:-1]:
        target = target[key]
    if draw(st.booleans()) and isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = draw(json_value)
    return doc


HOSTILE = {
    "deep": lambda: "[" * 100_000,
    "deep_valid": lambda: json.dumps({"format": "nn-playground-preset", "version": 1, "name": "n",
                                      "description": "", "model": {"nodes": [], "output": ""}}).replace(
        '"description": ""', '"description": ' + "[" * 5000 + "]" * 5000),
    "huge_description": lambda: json.dumps({**json.loads((PRESETS_DIR / "xor_mlp.json").read_text()),
                                            "description": "é" * (MAX_DESCRIPTION_CHARS + 5)}),
    "many_nodes": lambda: json.dumps({**json.loads((PRESETS_DIR / "xor_mlp.json").read_text()),
                                      "model": {"nodes": [{"id": f"n{k}", "type": "ReLU", "inputs": []}
                                                          for k in range(5000)], "output": "n0"}}),
    "huge_number": lambda: (PRESETS_DIR / "xor_mlp.json").read_text().replace('"version": 1', '"version": 1e999'),
    "big_int": lambda: (PRESETS_DIR / "xor_mlp.json").read_text().replace('"version": 1', '"version": ' + "9" * 5000),
    "nan": lambda: (PRESETS_DIR / "xor_mlp.json").read_text().replace('"version": 1', '"version": NaN'),
    "binary": lambda: b"\x00\xff\xfe" * 1000,
    "bom": lambda: b"\xef\xbb\xbf" + (PRESETS_DIR / "xor_mlp.json").read_bytes(),
    "empty": lambda: "",
    "unterminated": lambda: '{"format": "nn-playground-preset", "name": "' + "\\\"" * 10000,
}

documents = st.one_of(
    _valid_docs().map(json.dumps),
    mutated().map(lambda d: json.dumps(d, allow_nan=True)),
    json_value.map(lambda v: json.dumps(v, allow_nan=True)),
    st.text(max_size=200),
    st.sampled_from(sorted(HOSTILE)).map(lambda k: HOSTILE[k]()),
)


@pytest.fixture(scope="module")
def fuzz_window(tmp_path_factory):
    from pytestqt.qt_compat import qt_api  # noqa: F401  (the QApplication pytest-qt makes)
    tmp = tmp_path_factory.mktemp("fuzz")
    mp = pytest.MonkeyPatch()
    dialogs = Dialogs(mp, unanswered=QMessageBox.StandardButton.Cancel)
    w = make_window(tmp, "xor_mlp")
    w.palette.activated.emit("ReLU")   # the current work: an unsaved edit
    yield w, dialogs, tmp
    close_window(w)
    mp.undo()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(content=documents)
def test_opening_any_file_keeps_the_window_usable_and_the_work(qapp, fuzz_window, content):
    w, dialogs, tmp = fuzz_window
    before = preset_to_dict(w.doc.preset)
    assert w.doc.dirty
    path = tmp / "fuzzed.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    dialogs.shown.clear()
    opened = w.open_path(path)
    assert not opened   # refused, or (a good file) the unsaved-work question answered Cancel
    assert len(dialogs.shown) == 1
    kind, _, text = dialogs.shown[0]
    assert kind in ("critical", "question") and text and "Traceback" not in text
    assert preset_to_dict(w.doc.preset) == before and w.doc.dirty
    assert_usable(w)


@pytest.mark.parametrize("content", ["[" * 200_000, "{", "\x00\xff", '{"format": 1}'])
def test_a_damaged_recovery_file_is_dropped_and_the_window_starts(qtbot, tmp_path, dialogs, content):
    folder = tmp_path / "state" / "recovery"
    folder.mkdir(parents=True)
    damaged = folder / "autosave-999999.json"   # left by a process that is gone
    damaged.write_bytes(content.encode("utf-8", "surrogatepass"))
    w = make_window(tmp_path, "xor_mlp")
    try:
        assert_usable(w)
        assert not damaged.exists()
    finally:
        close_window(w)
