"""Opening presets in the builder: like the engine's `load_preset`, except that a network still
being built (a missing connection, a shape that does not fit yet) opens with its errors shown on
the canvas instead of being refused. Everything else the engine checks (format, field types,
parameter ranges, data set, training settings) still refuses the file with the engine's message.

Without this, work saved half-built (or autosaved) could never be opened again.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from playground import preset as engine
from playground.files import FileProblem
from playground.spec import Preset


def preset_for_editing(doc: Any) -> tuple[Preset, list[str]]:
    """A Preset from a decoded document, and the network problems it was opened with."""
    preset = engine.preset_from_dict(doc, check_graph=False)
    return preset, [str(p) for p in engine.graph_problems(preset.model)]


def open_preset(path: str | Path) -> tuple[Preset, list[str]]:
    """Read a preset file for the builder; raises PresetError or FileProblem with a clear message."""
    preset = engine.load_preset(path, check_graph=False)
    return preset, [str(p) for p in engine.graph_problems(preset.model)]


def open_any(name_or_path: str) -> tuple[Preset, Path | None, list[str]]:
    """A preset file, or a built-in by name; the path is None for built-ins (they open as copies)."""
    p = Path(name_or_path)
    if p.suffix == ".json" or p.exists():
        preset, problems = open_preset(p)
        return preset, p.resolve(), problems
    builtin = engine.PRESETS_DIR / f"{name_or_path}.json"
    if builtin.exists():
        return engine.load_preset(builtin), None, []
    raise FileProblem(f"no preset file or built-in preset named {name_or_path!r} "
                      f"(built-ins: {', '.join(engine.builtin_names()) or 'none yet'})")
