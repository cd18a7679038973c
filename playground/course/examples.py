"""The built-in examples with their descriptions, read once.

The Examples menu, the concept notes and anything else that lists the built-ins ask here, so
the preset files are read a single time and every list shows the same words.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from playground.network.preset import PRESETS_DIR, builtin_names


@dataclass(frozen=True)
class Example:
    name: str
    description: str

    @property
    def summary(self) -> str:
        """A short phrase for a menu beside the name: the first sentence up to its colon, or its
        first clauses, never cut inside a word (the whole description goes in the tooltip)."""
        first = self.description.split(". ")[0].strip().rstrip(".")
        for mark in (":", ";", " — "):
            head = first.split(mark)[0].strip()
            if len(head) <= MENU_CHARS:
                return head
            first = head
        words, out = first.split(), ""
        for w in words:
            if len(out) + len(w) + 1 > MENU_CHARS:
                break
            out = f"{out} {w}".strip()
        return out.rstrip(",") + "…"


MENU_CHARS = 64


@functools.cache
def builtin_examples() -> tuple[Example, ...]:
    """Every built-in preset, sorted by name (an unreadable file shows without a description)."""
    out = []
    for name in builtin_names():
        try:
            doc = json.loads((PRESETS_DIR / f"{name}.json").read_text(encoding="utf-8"))
            description = str(doc.get("description", "")) if isinstance(doc, dict) else ""
        except (OSError, ValueError):
            description = ""
        out.append(Example(name, description))
    return tuple(out)
