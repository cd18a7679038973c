"""Opening presets in the builder: like the engine's `load_preset`, except that a network still
being built (a missing connection, a shape that does not fit yet) opens with its errors shown on
the canvas instead of being refused. Everything else the engine checks (format, field types,
parameter ranges, data set, training settings) still refuses the file with the engine's message.

Without this, work saved half-built (or autosaved) could never be opened again.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from playground.network import preset as engine
from playground.params import Problem
from playground.network.spec import Preset


def _refused(path: str | Path, e: BaseException) -> engine.PresetError:
    """What is left after the engine's own checks (they bound size and depth before parsing)
    must still end in a message, never in a traceback that leaves the window half-opened."""
    reason = {RecursionError: "it nests too deeply", MemoryError: "it is too large to hold in memory"}.get(
        type(e), f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'unreadable'}")
    return engine.PresetError([Problem("", f"cannot be opened: {reason}")], f"{Path(path).name}")


def preset_for_editing(doc: Any) -> tuple[Preset, list[str]]:
    """A Preset from a decoded document, and the network problems it was opened with."""
    try:
        preset = engine.preset_from_dict(doc, check_graph=False)
        return preset, [str(p) for p in engine.graph_problems(preset.model)]
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError) as e:
        raise _refused("preset", e) from None


def open_preset(path: str | Path) -> tuple[Preset, list[str]]:
    """Read a preset file for the builder; raises PresetError or FileProblem with a clear message.

    Safe to call on the GUI thread: the engine refuses a FIFO or device without opening it and
    reads at most its size limit, so no file can block the window."""
    try:
        preset = engine.load_preset(path, check_graph=False)
        return preset, [str(p) for p in engine.graph_problems(preset.model)]
    except (RecursionError, MemoryError, ValueError, TypeError, KeyError) as e:
        raise _refused(path, e) from None
