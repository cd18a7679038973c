"""The training speed control's choices (Qt-free and torch-free, so the toolbar is built fast)."""
from __future__ import annotations

SPEEDS: tuple[tuple[str, float], ...] = (
    ("1 step/s", 1.0), ("5 steps/s", 5.0), ("20 steps/s", 20.0), ("100 steps/s", 100.0),
    ("500 steps/s", 500.0), ("full speed", 0.0))
"""(label, steps per second; 0: as fast as it goes): slow motion to watch each update, up to full speed."""
