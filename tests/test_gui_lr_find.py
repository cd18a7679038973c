"""The range test's dialog: a "Use" button for each suggestion the engine stands behind, none for
one it withheld, and the engine's note in plain view."""
from __future__ import annotations

import pytestqt  # noqa: F401  (a test dependency: missing, this file fails instead of skipping)

from playground.babysit.lr_find import RangeTest
from playground.network.preset import resolve_preset
from widgets.babysit.lr_find_dialog import LrFindDialog


def _dialog(qtbot) -> tuple[LrFindDialog, list[float]]:
    used: list[float] = []
    dialog = LrFindDialog(resolve_preset("overfit_moons"), used.append)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    return dialog, used


def test_each_suggestion_has_a_use_button(qtbot):
    dialog, used = _dialog(qtbot)
    assert set(dialog.result.suggestions) == {"steepest", "min_over_10", "valley"}
    assert all(b.isVisibleTo(dialog) and b.isEnabled() for b in dialog.buttons.values())
    assert "Valley (fast.ai's default) is the safest" in dialog.status.text()
    dialog.buttons["steepest"].click()
    assert used == [float(f"{dialog.result.suggestions['steepest']:.2g}")]
    # The valley (fast.ai's default) is offered first and called recommended; the others are not.
    dialog.show()
    qtbot.waitExposed(dialog)
    placed = sorted(dialog.buttons, key=lambda k: dialog.buttons[k].x())   # left to right
    assert placed[0] == "valley" and "(recommended)" in dialog.buttons["valley"].text()
    assert not any("recommended" in dialog.buttons[k].text() for k in ("steepest", "min_over_10"))
    dialog.close()


def test_a_withheld_suggestion_has_no_button_and_the_note_is_shown(qtbot):
    dialog, used = _dialog(qtbot)
    note = "No clear descent: the smoothed loss falls at most 0.01 below its starting level of 0.7."
    lrs = [1e-7 * 10 ** (k / 12) for k in range(30)]
    dialog.show_result(RangeTest(lrs, [0.7] * 30, [0.7] * 30, {}, 1e-5, note))
    assert not any(b.isVisibleTo(dialog) or b.isEnabled() for b in dialog.buttons.values())
    assert note in dialog.status.text()
    partial = "Withheld: minimum / 10 (1e-07), below the learning rates the sweep can read."
    dialog.show_result(RangeTest(lrs, [0.7] * 30, [0.7] * 30, {"steepest": 1e-4, "valley": 3e-5}, 1e-3, partial))
    assert {k for k, b in dialog.buttons.items() if b.isVisibleTo(dialog)} == {"steepest", "valley"}
    assert not dialog.buttons["min_over_10"].isEnabled()
    assert partial in dialog.status.text()
    assert used == []
    dialog.close()
