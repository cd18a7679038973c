"""Weights only: safetensors with the preset inside, and a plain PyTorch state_dict file.

safetensors is the default because it holds only tensors and text: the preset rides along as
metadata, so one file reopens in the playground with its architecture, and reading it can never
run code. The `.pt` state_dict is for people who load weights with `torch.load`; it holds only
tensors, so `torch.load(path, weights_only=True)` reads it.

The other model files a person meets (an ONNX model, a torch.export `.pt2` program, a TorchScript
archive) are recognised by their structure, so `load` names what they are and what opens them
instead of calling a sound file damaged.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import torch

from playground.export import standardize
from playground.export.common import ExportJob, check_folder, data_facts, require
from playground.core.files import atomic_write, open_regular
from playground.network.model_file import save_weights


def write_safetensors(job: ExportJob, path: Path) -> list[Path]:
    require("safetensors", "safetensors", "pip install safetensors")
    check_folder(path)
    extra = {"exported_by": "nn-playground export", **standardize.metadata(job),
             **data_facts(job.preset).metadata()}
    return [save_weights(path, job.state_dict, job.preset, trained=job.trained, extra=extra)]


def write_state_dict(job: ExportJob, path: Path) -> list[Path]:
    check_folder(path)
    # Plain tensors in a plain dict: nothing in the file needs a class to unpickle.
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in job.state_dict.items()}
    return [atomic_write(path, lambda tmp: torch.save(tensors, str(tmp)))]


@dataclass(frozen=True)
class ForeignFormat:
    """A model file format that NN Playground does not read back, and what opens it."""

    what: str     # "an ONNX model"
    opener: str   # "open ONNX files with ONNX Runtime or Netron"

    def refusal(self, path: Path) -> str:
        return (f"{path.name} is {self.what}; load reads NN Playground .safetensors files and PyTorch .pt "
                f"state dicts; {self.opener}")


ONNX = ForeignFormat("an ONNX model", "open ONNX files with ONNX Runtime or Netron")
TORCH_EXPORT = ForeignFormat("a torch.export program (.pt2)", "open .pt2 files with torch.export.load in Python")
TORCHSCRIPT = ForeignFormat("a TorchScript program (torch.jit.save), which holds code",
                            "open it with torch.jit.load in Python, if you trust its author")

_ONNX_MODEL_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2}
"""onnx.proto's ModelProto: field number -> protobuf wire type (0 varint, 2 length-delimited)."""
MAX_ONNX_FIELDS = 10_000
"""A model has a few dozen top-level fields; a walk past this many is not reading a model."""


def foreign_model_format(path: str | Path) -> ForeignFormat | None:
    """Which other model format `path` holds, told from its structure (never its name), or None.
    Only the zip directory or the top-level protobuf keys are read: nothing is loaded."""
    with open_regular(path, "model file") as f:
        head = f.read(4)
        if head.startswith(b"PK"):
            return _zip_program(f)
        return ONNX if _is_onnx_model(f) else None


def _zip_program(f: BinaryIO) -> ForeignFormat | None:
    """torch.export writes `NAME/archive_format` ("pt2"); TorchScript writes code under `NAME/code/`."""
    try:
        names = zipfile.ZipFile(f).namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    tails = {name.partition("/")[2] for name in names}
    if "archive_format" in tails:
        return TORCH_EXPORT
    if "constants.pkl" in tails and any(t.startswith("code/") for t in tails):
        return TORCHSCRIPT
    return None


def _is_onnx_model(f: BinaryIO) -> bool:
    """Whether the whole file parses as a ModelProto's top-level fields, ending exactly at the end
    of the file, with an IR version and a graph: random or truncated bytes fail within a few keys."""
    size = f.seek(0, 2)
    f.seek(0)
    seen: set[int] = set()
    for _ in range(MAX_ONNX_FIELDS):
        if f.tell() == size:
            return {1, 7} <= seen
        key = _varint(f)
        if key is None or _ONNX_MODEL_FIELDS.get(key >> 3) != key & 7:
            return False
        value = _varint(f)
        if value is None:
            return False
        if key & 7 == 2:
            if f.tell() + value > size:
                return False
            f.seek(value, 1)
        seen.add(key >> 3)
    return False


def _varint(f: BinaryIO) -> int | None:
    value = 0
    for shift in range(0, 70, 7):
        byte = f.read(1)
        if not byte:
            return None
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
    return None
