"""The network as a program: a `torch.export` archive (.pt2).

`torch.export` traces the model into a graph of ATen operations with the weights inside, so
`torch.export.load(path).module()(x)` runs it with nothing but torch installed: no playground,
no model class. The batch axis stays dynamic, so any batch size works. The model is exported in
eval mode (Dropout off, BatchNorm's running statistics, the VAE's Sampling returning μ), so the
program is deterministic.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch

from playground.export.common import (
    ExportError, ExportJob, UnsupportedLayer, check_folder, find_culprit, first_line, max_abs_diff,
    tolerance_for)
from playground.export.standardize import raw_input_model
from playground.core.files import atomic_write

FORMAT = "torch.export (.pt2)"
MAX_BATCH = 1 << 20

UNSUPPORTED: dict[str, str] = {}
"""Layer types torch.export cannot trace, with the reason (none today; kept for new layers)."""


def _export(module: torch.nn.Module, args: tuple[torch.Tensor, ...], dynamic_batch: bool = True
            ) -> torch.export.ExportedProgram:
    dynamic = None
    if dynamic_batch:
        batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
        dynamic = tuple({0: batch} for _ in args)
    with warnings.catch_warnings():
        # nn.LSTM re-assigns its flat weight list while tracing; torch warns, the result is right.
        warnings.simplefilter("ignore")
        return torch.export.export(module, args, dynamic_shapes=dynamic, strict=False)


def export_program(job: ExportJob) -> torch.export.ExportedProgram:
    """The traced program, checked against the model on a batch of another size."""
    for nid, _ in job.model.plan:
        reason = UNSUPPORTED.get(job.types[nid])
        if reason:
            raise UnsupportedLayer(FORMAT, job.types[nid], nid, reason)
    module = raw_input_model(job)  # takes raw inputs: the data set's standardization goes in front
    try:
        program = _export(module, (job.example_input(batch=3),))
    except Exception as e:  # noqa: BLE001  (torch.export raises many kinds; find the layer)
        culprit = find_culprit(job, lambda m, args: _export(m, args, dynamic_batch=False))
        if culprit:
            raise UnsupportedLayer(FORMAT, job.types[culprit[0]], culprit[0], culprit[1]) from None
        raise ExportError(f"{FORMAT} could not trace the network: {first_line(e)}") from None
    x = job.example_input(batch=5, seed=1)
    with torch.no_grad():
        expected = module(x)
        got = program.module()(x)
    diff = max_abs_diff(expected, got)
    if not diff <= tolerance_for(expected):
        raise ExportError(f"{FORMAT}: the traced program's outputs differ from the model's by {diff:.3g}")
    return program


def write_pt2(job: ExportJob, path: Path) -> list[Path]:
    check_folder(path)
    program = export_program(job)
    buf = io.BytesIO()
    torch.export.save(program, buf)
    return [atomic_write(path, buf.getvalue())]
