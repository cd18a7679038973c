"""A finished run that can stand in for a new one: the same preset, seeds and library versions.

Training a preset again with the same three seeds on the same versions gives the same record
bit for bit, so a lesson comparison ("Compare with …") that finds such a record shows it instead
of training for minutes. The preset is matched by the sha256 of its JSON as a record keeps it
(preset.json: what `playground train PRESET --seed S --set ...` writes), which covers the data
set and, for imported data, the file's own hash; the record must say `finished` and hold its
weights.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

from playground.core.files import FileProblem
from playground.core.seeds import Seeds
from playground.network.overrides import apply_overrides
from playground.network.preset import preset_to_json, resolve_preset
from playground.network.spec import Preset
from playground.params import ProblemList
from playground.run_records.store import RunInfo, list_runs, read_json, versions


def trained_preset(preset: str | Preset, seed: int, assignments: Sequence[str] = ()) -> Preset:
    """The preset `playground train PRESET --seed SEED --set A ...` trains and records."""
    base = resolve_preset(preset) if isinstance(preset, str) else preset.copy()
    out = apply_overrides(base, assignments) if assignments else base
    out.training.seed = int(seed)
    return out


def preset_hash(preset: Preset) -> str:
    """sha256 of the preset's JSON as a run record keeps it."""
    return hashlib.sha256(preset_to_json(preset).encode("utf-8")).hexdigest()


def reusable_run(preset: Preset, runs: Sequence[RunInfo], current_versions: dict[str, str] | None = None
                 ) -> RunInfo | None:
    """The newest finished record among `runs` that trained exactly `preset` (its seed giving the
    three seeds) with these library versions, or None. Reads the candidates' preset.json and
    run.json (small, bounded reads); a record that cannot be read is passed over."""
    seeds = Seeds.from_seed(preset.training.seed).to_dict()
    wanted = preset_hash(preset)
    now = current_versions if current_versions is not None else versions()
    for run in sorted(runs, key=lambda r: r.started or "", reverse=True):
        if run.status != "finished" or run.preset != preset.name or run.seeds != seeds:
            continue
        folder = Path(run.path)
        try:
            info = read_json(folder / "run.json")
            text = (folder / "preset.json").read_bytes()
        except (FileProblem, OSError):
            continue
        if not isinstance(info, dict) or info.get("versions") != now:
            continue
        if hashlib.sha256(text).hexdigest() == wanted and (folder / "model.safetensors").is_file():
            return run
    return None


def reusable_family(refs: Sequence[str], seed: int, assignments: Sequence[str] = (),
                    folder: str | os.PathLike | None = None) -> list[str | None]:
    """For each preset (a file or a built-in name) trained with `seed` and `assignments`, the id of
    a finished record that stands in for it, or None where it must be trained (a preset that
    cannot be read is trained, and the training says what is wrong with it)."""
    wanted: list[Preset | None] = []
    for ref in refs:
        try:
            wanted.append(trained_preset(ref, seed, assignments))
        except (FileProblem, ProblemList, ValueError, OSError):
            wanted.append(None)
    runs = list_runs(folder)
    now = versions()
    found = [reusable_run(p, runs, now) if p is not None else None for p in wanted]
    return [r.id if r is not None else None for r in found]
