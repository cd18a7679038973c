"""The inspector's editor for a list of numbers (data `feature_scale`): typed as `1, 100`, shown
back the same way, refused (and marked) when a value is not a positive number."""
from __future__ import annotations

from widgets.param_editors import TextEditor, make_editor
from playground.data.base import FEATURE_SCALE


def commit(qtbot, editor: TextEditor, text: str) -> list:
    seen: list = []
    editor.edited.connect(seen.append)
    editor.setText(text)
    editor.editingFinished.emit()
    return seen


def test_a_list_of_numbers_is_typed_shown_and_checked(qtbot):
    editor = make_editor(FEATURE_SCALE, [])
    qtbot.addWidget(editor)
    assert isinstance(editor, TextEditor) and editor.text() == ""
    assert commit(qtbot, editor, "1, 100") == [[1.0, 100.0]]
    assert editor.property("invalid") is False
    editor.set_value([1.0, 1000.0, 0.5])
    assert editor.text() == "1, 1000, 0.5"
    assert commit(qtbot, editor, "1, 0") == []     # 0 is not a positive scale
    assert editor.property("invalid") is True and "feature_scale" in editor.toolTip()
    assert commit(qtbot, editor, "1, x") == []     # not a number
    assert editor.property("invalid") is True
    assert commit(qtbot, editor, "") == [[]]       # empty: the inputs as generated
