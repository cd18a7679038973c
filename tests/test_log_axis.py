"""The panels' log axes stay readable in a short dock: labels where they fit, ticks elsewhere."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def test_a_short_log_axis_labels_only_the_decades_it_has_room_for(qtbot):
    """LSTM internals' gradient plot spans seven decades in ~60 px at 1366×768: every decade
    labelled piled the labels on one another. Labelled ticks get LABEL_PX each; the rest are ticks."""
    from widgets.panels.base import LABEL_PX, LogAxis
    axis = LogAxis("left")
    (_, labelled), (_, unlabelled) = axis.logTickValues(-7.2, -1.8, 60.0, [])
    assert len(labelled) * LABEL_PX <= 60 and len(labelled) >= 1
    assert sorted(labelled + [v for v in unlabelled if float(v).is_integer()]) == [-7.0, -6.0, -5.0, -4.0, -3.0, -2.0]
    (_, tall), _ = axis.logTickValues(-7.2, -1.8, 400.0, [])
    assert tall == [-7.0, -6.0, -5.0, -4.0, -3.0, -2.0]   # room enough: every decade, as before


def test_within_two_decades_the_2s_and_5s_are_labelled_only_where_they_fit(qtbot):
    """sine_lstm's gradient plot spans 4e-4..3e-3 in ~60 px: 0.0005, 0.001 and 0.002 touched."""
    import math
    from widgets.panels.base import LogAxis
    axis = LogAxis("left")
    lo, hi = math.log10(4e-4), math.log10(3e-3)
    (_, tall), _ = axis.logTickValues(lo, hi, 400.0, [])
    assert [round(10 ** v, 6) for v in tall] == [0.0005, 0.001, 0.002]
    (_, short), (_, ticks) = axis.logTickValues(lo, hi, 40.0, [])   # room for two: the decade, then the 5s
    assert [round(10 ** v, 6) for v in short] == [0.0005, 0.001] and 0.002 in [round(10 ** v, 6) for v in ticks]
