"""Model files: safetensors with the preset inside, and safe reading of state_dict files.

Nothing here unpickles: safetensors holds only tensors and text, and a `.pt` state_dict is
read with `torch.load(weights_only=True)`, which refuses anything but tensors and plain
containers. A file a person was sent can never run code.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from playground.core.files import FileProblem, atomic_write
from playground.network.preset import PresetError, decode_json, preset_from_dict, preset_to_dict
from playground.network.spec import Preset

WEIGHTS_FORMAT = "nn-playground-weights"


def save_weights(path: str | Path, state_dict: dict[str, torch.Tensor], preset: Preset,
                 trained: bool = True, extra: dict[str, str] | None = None) -> Path:
    """Write weights and the preset (as JSON metadata) to one safetensors file, atomically."""
    from safetensors.torch import save_file
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    meta = {"format": WEIGHTS_FORMAT, "preset": json.dumps(preset_to_dict(preset)),
            "trained": "true" if trained else "false", **(extra or {})}
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=meta))


def read_metadata(path: str | Path) -> dict[str, str]:
    """The text metadata of a safetensors file, or FileProblem if it is not one."""
    from safetensors import safe_open
    p = _existing(path)
    try:
        with safe_open(str(p), framework="pt") as f:
            return dict(f.metadata() or {})
    except Exception as e:  # safetensors raises its own error types for foreign bytes
        if looks_like_safetensors(p):
            raise FileProblem(damaged(p)) from None
        raise FileProblem(f"{p.name} is not a safetensors file ({_first_line(e)}); "
                          "NN Playground only opens model files it can read without running code") from None


def looks_like_safetensors(path: Path) -> bool:
    """A safetensors file starts with its header's length (8 bytes, little-endian) and the
    header's opening brace: enough to tell a damaged one from a file of another kind."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError:
        return False
    return len(head) == 9 and head[8:9] == b"{" and 2 <= int.from_bytes(head[:8], "little") <= 100 * 1024 * 1024


def damaged(p: Path) -> str:
    return (f"{p.name} cannot be read: the file is truncated or damaged (an interrupted copy or "
            "download?); export or copy it again")


def load_weights(path: str | Path) -> tuple[Preset, dict[str, torch.Tensor], dict[str, str]]:
    """The embedded preset, the state_dict and the metadata of a playground safetensors file."""
    from safetensors.torch import load_file
    p = _existing(path)
    meta = read_metadata(p)
    if meta.get("format") != WEIGHTS_FORMAT or "preset" not in meta:
        raise FileProblem(f"{p.name} is a safetensors file without an NN Playground preset inside; "
                          "export it from the playground, or open it as a plain state_dict")
    try:
        doc = decode_json(meta["preset"], f"the preset inside {p.name}")   # bounded: size and depth
    except PresetError as e:
        raise FileProblem(f"{p.name}: the embedded preset cannot be read ({'; '.join(map(str, e.problems))})") from None
    preset = preset_from_dict(doc)
    return preset, load_file(str(p)), meta


def load_state_dict_file(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain PyTorch state_dict file, read with weights_only=True (pickled code is refused)."""
    p = _existing(path)
    if looks_like_safetensors(p):
        read_metadata(p)   # a damaged one is named as such; a sound one is no state_dict file
        raise FileProblem(f"{p.name} is a safetensors file: open it as one, not as a state_dict")
    try:
        with warnings.catch_warnings():  # torch's hints about pickle protocols mean nothing to a user
            warnings.simplefilter("ignore")
            obj = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as e:
        if not _refused_object(e, p):
            raise FileProblem(damaged(p) + " (or it is not a PyTorch file)") from None
        raise FileProblem(f"{p.name} was refused: it is not a plain tensor file; it holds Python "
                          "objects that would have to run code to load, and NN Playground never does that. "
                          "Ask for a safetensors file or a state_dict saved from plain tensors") from None
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise FileProblem(f"{p.name} does not hold a state_dict (a mapping of names to tensors)")
    return obj


def _refused_object(e: BaseException, p: Path) -> bool:
    """torch.load refused a pickled object it may not build (rather than failing to read the
    bytes): it names a global it will not load, or the file is a plain pickle stream."""
    text = str(e).lower()
    if "global" in text:
        return True
    try:
        with open(p, "rb") as f:
            head = f.read(2)
    except OSError:
        return False
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5   # pickle's PROTO opcode


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        if p.exists():   # a folder, FIFO or device: never opened (a FIFO would block the reader)
            raise FileProblem(f"{p} is not a regular file; give a model file")
        raise FileProblem(f"no such model file: {p}")
    return p


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__
