"""Where a fine-tuning's first weights come from: `training.warm_start` made into tensors.

The source is a built-in preset's name or a finished run. A built-in preset (an autoencoder
trained on the images without their labels, say) is trained first with the fine-tuning run's own
seeds, so a run, a repeat and a lesson's verification over seeds each pretrain their own source
and nothing depends on what happens to be in the runs folder; a run is read from its record's
model file (safetensors: nothing in it runs). The Trainer gets the tensors of the layers named in
`warm_start_layers` and checks them against the network it builds
(`playground.training.warm_layers`); training sits below run records, so it never looks here.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import torch

from playground.core.files import FileProblem
from playground.core.seeds import Seeds
from playground.network.model_file import load_weights
from playground.network.preset import builtin_names, preset_to_json, resolve_preset
from playground.network.spec import Preset, warm_start_layer_ids
from playground.params import Problem, ProblemList
from playground.run_records.store import find_run, require_intact
from playground.training.trainer import Trainer

PRETRAINED_KEPT = 4
"""Pretrained sources kept in memory (by preset, seeds and device): the app's second Start of a
fine-tuning does not train its source again."""
_pretrained: OrderedDict[tuple[str, Seeds, str], dict[str, torch.Tensor]] = OrderedDict()
_lock = threading.Lock()

WHAT = "cannot start from the warm-start weights"


def warm_start_weights(preset: Preset, seeds: Seeds | None = None, *, runs_folder: str | os.PathLike | None = None,
                       device: str | None = None) -> dict[str, torch.Tensor] | None:
    """The source's tensors of the layers `preset` warm-starts (state_dict names → CPU tensors), or
    None when it warm-starts nothing. Raises ProblemList, in one line, for a source that cannot be
    found, read or trained, or that lacks a layer."""
    return _weights(preset, seeds or Seeds.from_seed(preset.training.seed), runs_folder, device, ())


def warm_start_fetcher(preset: Preset, seeds: Seeds | None = None, *, runs_folder: str | os.PathLike | None = None,
                       device: str | None = None) -> Callable[[], dict[str, torch.Tensor]] | None:
    """`warm_start_weights` to call later, where the training runs (the app's training thread:
    a source trained first must never hold the GUI); None when `preset` warm-starts nothing."""
    if not preset.training.warm_start.strip():
        return None
    preset = preset.copy()

    def fetch() -> dict[str, torch.Tensor]:
        return warm_start_weights(preset, seeds, runs_folder=runs_folder, device=device) or {}
    return fetch


def _weights(preset: Preset, seeds: Seeds, runs_folder: str | os.PathLike | None, device: str | None,
             seen: tuple[str, ...]) -> dict[str, torch.Tensor] | None:
    source = preset.training.warm_start.strip()
    if not source:
        return None
    if source in seen or source == preset.name:
        chain = " → ".join((*seen, preset.name, source))
        raise ProblemList([Problem("training.warm_start", f"the warm starts go round in a circle ({chain})")], WHAT)
    state, where = _source_state(source, seeds, runs_folder, device, (*seen, preset.name))
    chosen: dict[str, torch.Tensor] = {}
    for nid in warm_start_layer_ids(preset.training):
        names = [k for k in state if k.startswith(nid + ".")]
        if not names:
            has = sorted({k.split(".", 1)[0] for k in state})
            raise ProblemList([Problem("training.warm_start_layers", f"{where} has no layer {nid!r} with weights "
                                                                     f"(its layers with weights: {', '.join(has)})")],
                              WHAT)
        chosen.update({k: state[k] for k in names})
    return chosen


def _source_state(source: str, seeds: Seeds, runs_folder: str | os.PathLike | None, device: str | None,
                  seen: tuple[str, ...]) -> tuple[dict[str, torch.Tensor], str]:
    """The source's whole state_dict and how to name it in a message."""
    if source in builtin_names():
        return _pretrained_state(resolve_preset(source), seeds, runs_folder, device, seen), f"the preset {source!r}"
    try:
        run = require_intact(find_run(source, runs_folder))
    except FileProblem as e:
        raise ProblemList([Problem("training.warm_start", f"{source!r} is no built-in preset, and as a run: {e}")],
                          WHAT) from None
    model_file = Path(run.path) / "model.safetensors"
    if not model_file.is_file():
        raise ProblemList([Problem("training.warm_start", f"run {run.id} has no weights to start from "
                                                          f"({run.status}, no model.safetensors)")], WHAT)
    try:
        _, state, _ = load_weights(model_file)
    except FileProblem as e:
        raise ProblemList([Problem("training.warm_start", f"run {run.id}: {e}")], WHAT) from None
    return state, f"run {run.id}"


def _pretrained_state(source: Preset, seeds: Seeds, runs_folder: str | os.PathLike | None, device: str | None,
                      seen: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """A built-in source trained to its end with `seeds` (kept for the next run that asks)."""
    key = (preset_to_json(source), seeds, device or "")
    with _lock:
        if key in _pretrained:
            _pretrained.move_to_end(key)
            return _pretrained[key]
    trainer = Trainer(source, device=device, seeds=seeds,
                      initial_weights=_weights(source, seeds, runs_folder, device, seen))
    finished = trainer.run()
    if trainer.state == "problem":
        raise ProblemList([Problem("training.warm_start", f"pretraining {source.name} failed: {finished.message}")],
                          WHAT)
    state = trainer.state_dict_copy()
    with _lock:
        _pretrained[key] = state
        while len(_pretrained) > PRETRAINED_KEPT:
            _pretrained.popitem(last=False)
    return state
