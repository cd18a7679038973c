"""Weights only: safetensors with the preset inside, and a plain PyTorch state_dict file.

safetensors is the default because it holds only tensors and text: the preset rides along as
metadata, so one file reopens in the playground with its architecture, and reading it can never
run code. The `.pt` state_dict is for people who load weights with `torch.load`; it holds only
tensors, so `torch.load(path, weights_only=True)` reads it.
"""
from __future__ import annotations

from pathlib import Path

import torch

from playground.export import standardize
from playground.export.common import ExportJob, check_folder, require
from playground.files import atomic_write
from playground.weights import save_weights


def write_safetensors(job: ExportJob, path: Path) -> list[Path]:
    require("safetensors", "safetensors", "pip install safetensors")
    check_folder(path)
    extra = {"exported_by": "nn-playground export", **standardize.metadata(job)}
    return [save_weights(path, job.state_dict, job.preset, trained=job.trained, extra=extra)]


def write_state_dict(job: ExportJob, path: Path) -> list[Path]:
    check_folder(path)
    # Plain tensors in a plain dict: nothing in the file needs a class to unpickle.
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in job.state_dict.items()}
    return [atomic_write(path, lambda tmp: torch.save(tensors, str(tmp)))]
