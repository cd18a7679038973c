"""Autosave: unsaved work is written to a recovery file now and then, and offered back after a crash.

Each running window writes `autosave-<pid>.json` in the state folder and removes it when the
work is saved, discarded or the window closes normally. A file whose process is gone was left
by a crash: the next start offers it back.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from playground.core.files import atomic_write, process_alive, read_bounded
from playground.network.preset import MAX_FILE_BYTES, PresetError, decode_json

RECOVERY_FORMAT = "nn-playground-recovery"


@dataclass
class Recovered:
    file: Path
    saved_at: float
    source_path: str
    name: str
    preset_doc: dict

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))


class Recovery:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / f"autosave-{os.getpid()}.json"

    def save(self, preset_doc: dict, source_path: str = "") -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        doc = {"format": RECOVERY_FORMAT, "saved_at": time.time(), "source_path": source_path,
               "preset": preset_doc}
        return atomic_write(self.path, json.dumps(doc).encode("utf-8"))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def orphans(self) -> list[Recovered]:
        """Recovery files left by processes that are gone, newest first; unreadable ones are removed."""
        found: list[Recovered] = []
        if not self.folder.is_dir():
            return found
        for f in self.folder.glob("autosave-*.json"):
            try:
                pid = int(f.stem.split("-", 1)[1])
            except ValueError:
                continue
            if process_alive(pid):
                continue
            try:
                # bounded, like any file read at start-up: a FIFO, a huge or deeply nested file is dropped
                doc = decode_json(read_bounded(f, MAX_FILE_BYTES, "recovery file").decode("utf-8"), f.name)
                if doc.get("format") != RECOVERY_FORMAT or not isinstance(doc.get("preset"), dict):
                    raise ValueError("not a recovery file")
                found.append(Recovered(f, float(doc.get("saved_at", 0)), str(doc.get("source_path", "")),
                                       str(doc["preset"].get("name", "untitled")), doc["preset"]))
            except (OSError, ValueError, TypeError, PresetError):
                f.unlink(missing_ok=True)
        return sorted(found, key=lambda r: -r.saved_at)

    @staticmethod
    def discard(item: Recovered) -> None:
        item.file.unlink(missing_ok=True)
