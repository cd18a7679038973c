"""Exported models take raw inputs: the data set's standardization travels with the network.

Training sees inputs shifted and scaled by the mean and std of the training split (per feature
for points and sequences, per channel for images). A network exported without them gives wrong
answers on the data a person actually has, with no warning. So every export that runs the
network (pt2, ONNX, model.py's `load_model`) puts a `Standardize` step in front of it, and the
exports of the bare network (state_dict, safetensors, the summary) say which mean and std it
expects.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from playground.data.base import standardized_per, statistics_shape
from playground.export.common import ExportError, ExportJob, traceable
from playground.network.spec import Preset


@dataclass(frozen=True)
class InputStandardization:
    """Mean and std over the training split, shaped to broadcast with a batch (1, *input_shape)."""

    mean: np.ndarray
    std: np.ndarray
    per: str  # "feature" | "channel"

    def describe(self, digits: int = 4) -> str:
        def fmt(a: np.ndarray) -> str:
            values = [f"{float(v):.{digits}g}" for v in a.ravel()[:8]]
            return "[" + ", ".join(values) + (", ..." if a.size > 8 else "") + "]"
        return f"mean {fmt(self.mean)} and std {fmt(self.std)} per {self.per}"


class Standardize(torch.nn.Module):
    """x -> (x - mean) / std, with the training split's statistics as (non-trainable) buffers."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mean", mean.detach().clone().float())
        self.register_buffer("std", std.detach().clone().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class RawInputs(torch.nn.Module):
    """The network behind its input standardization: give it data in its own units."""

    def __init__(self, standardize: Standardize, network: torch.nn.Module) -> None:
        super().__init__()
        self.standardize = standardize
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(self.standardize(x))


def input_standardization(preset: Preset) -> InputStandardization | None:
    """The standardization the preset's data set applies, or None when it applies none.

    Raises ExportError when the data set cannot be made (an imported file that moved)."""
    from playground.data import DATASETS
    from playground.params import with_defaults
    data = preset.data
    entry = DATASETS.get(data.name)
    if entry is None or not with_defaults(entry.params, data.params).get("standardize", False):
        return None
    return _fitted(json.dumps(data.to_dict(), sort_keys=True))


@lru_cache(maxsize=8)
def _fitted(data_json: str) -> InputStandardization | None:
    from playground.data import make_dataset
    data = json.loads(data_json)
    try:
        ds = make_dataset(data["name"], data["params"])
    except ValueError as e:
        raise ExportError(f"cannot read the input standardization of data set {data['name']!r}, which "
                          f"the exported model needs to take raw inputs: {e}") from None
    if ds.mean is None or ds.std is None:
        return None
    shape = statistics_shape(ds.kind, 1 + len(ds.input_shape))
    return InputStandardization(ds.mean.reshape(shape).astype(np.float32),
                                ds.std.reshape(shape).astype(np.float32),
                                standardized_per(ds.kind))


def job_standardization(job: ExportJob) -> InputStandardization | None:
    """The standardization for this job's network, or None when its input does not take the
    data set's samples as they are (then there is nothing to put in front of it)."""
    s = input_standardization(job.preset)
    if s is None:
        return None
    try:
        np.broadcast_shapes(s.mean.shape, (1, *job.input_shape))
    except ValueError:
        return None
    if len(s.mean.shape) != 1 + len(job.input_shape):
        return None
    return s


def raw_input_model(job: ExportJob) -> torch.nn.Module:
    """What pt2 and ONNX trace: the network, behind its standardization when the data has one."""
    network = traceable(job)
    s = job_standardization(job)
    if s is None:
        return network
    return RawInputs(Standardize(torch.from_numpy(s.mean), torch.from_numpy(s.std)), network).eval()


def expects_note(job: ExportJob) -> str:
    """One line for a summary or header: what inputs the exported files take."""
    try:
        s = job_standardization(job)
    except ExportError as e:
        return f"inputs: unknown standardization ({e})"
    if s is None:
        return "inputs: raw (the data set is not standardized)"
    return (f"inputs: the pt2, ONNX and model.py (load_model) exports take raw inputs; the bare "
            f"network (state_dict, safetensors, raw_inputs=False) expects them standardized with "
            f"{s.describe()} (the training split's)")


def metadata(job: ExportJob) -> dict[str, str]:
    """safetensors metadata: the mean and std the bare network expects (empty when none)."""
    s = job_standardization(job)
    if s is None:
        return {}
    return {"input_mean": json.dumps(s.mean.ravel().tolist()), "input_std": json.dumps(s.std.ravel().tolist()),
            "input_standardization": f"subtract input_mean, divide by input_std, per {s.per} "
                                     f"(broadcast shape {list(s.mean.shape)})"}


def python_source(job: ExportJob) -> str:
    """model.py's standardization: constants and `with_standardization`, which `load_model` uses."""
    s = job_standardization(job)
    if s is None:
        return ('def with_standardization(network: nn.Module) -> nn.Module:\n'
                '    """The data set was not standardized: the network takes raw inputs as it is."""\n'
                '    return network')
    mean = ", ".join(repr(float(v)) for v in s.mean.ravel())
    std = ", ".join(repr(float(v)) for v in s.std.ravel())
    shape = tuple(int(d) for d in s.mean.shape)
    return f'''# The data set's standardization, fitted on its training split (per {s.per}): training saw
# (x - INPUT_MEAN) / INPUT_STD, so load_model puts this step in front of the network.
INPUT_MEAN = torch.tensor([{mean}]).reshape{shape!r}
INPUT_STD = torch.tensor([{std}]).reshape{shape!r}


class RawInputs(nn.Module):
    """The network behind its input standardization: give it data in its own units."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("mean", INPUT_MEAN.clone(), persistent=False)
        self.register_buffer("std", INPUT_STD.clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network((x - self.mean) / self.std)


def with_standardization(network: nn.Module) -> nn.Module:
    """The network taking raw inputs (what the data file holds)."""
    return RawInputs(network)'''
