"""Text from files a person opens, made safe to print on a terminal.

A class name, a CSV header or a file name is data, and data can hold terminal escape codes:
printed raw, "\\x1b[2J" clears the screen, "\\x07" rings the bell, an OSC sequence retitles the
window or plants a hyperlink, a right-to-left override reorders what the reader sees. Every
command that prints such text passes it through `printable` (or `printable_json`), which
escapes those characters the way `repr` writes them and leaves all other text, accents and
scripts included, as it is.
"""
from __future__ import annotations

import re

_CONTROLS = "\x00-\x1f\x7f-\x9f"   # C0, DEL and C1: where ESC, BEL and the 8-bit CSI live
_INVISIBLE = ("\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"  # bidi marks and overrides, line/paragraph separators
              "\ud800-\udfff")   # lone surrogates: a file name that is not UTF-8; printing one raises
_UNSAFE = re.compile(f"[{_CONTROLS}{_INVISIBLE}]")
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")
"""json.dumps escapes C0 itself (and its own newlines between fields must stay)."""


def printable(text: str) -> str:
    """`text` with every control, bidi-override and lone-surrogate character written as `repr`
    writes it (`\\x1b`, `\\n`, `\\u202e`, `\\udc80`): one line, and nothing a terminal acts on."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def printable_json(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with the characters `printable`
    escapes written as \\uXXXX: still the same JSON, and safe on a terminal."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
