"""A lesson's family as twins: the Lesson dock's "Compare with …" trains the open network and the
chosen member with the same three seeds, then opens the compare view with both runs selected.

The student then sees the one setting that differs (Settings tab) and both curves (Curves tab)
from runs made alike, instead of two presets opened one after the other. The trainings are the
compare view's own background `playground train` processes (CompareWindow.run_family); a
finished record of the same preset, seeds and library versions is shown instead of training it
again, and what the trainings are doing shows in the main window's status bar as well.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Sequence

from playground.network.preset import save_preset


def compare_family(window: Any, member: str, assignments: Sequence[str] = ()) -> Any:
    """Train `window`'s open preset (as it is now, edits included) and built-in `member` with the
    open preset's seed, and show them in the window's compare view; returns that view."""
    from widgets.compare.window import open_compare
    folder = getattr(window, "_lesson_twins_dir", None)
    if folder is None:   # removed with the window's Python object (at exit at the latest)
        folder = window._lesson_twins_dir = tempfile.TemporaryDirectory(prefix="playground-lesson-")
    preset = window.doc.preset
    path = save_preset(preset, Path(folder.name) / f"{preset.name or 'network'}.json")
    view = open_compare(window)
    if not getattr(view, "_tells_main_window", False):
        view.activity.connect(lambda text: window.statusBar().showMessage(f"Compare: {text}", 15000))
        view._tells_main_window = True
    view.run_family([str(path), member], preset.training.seed, assignments)
    return view
