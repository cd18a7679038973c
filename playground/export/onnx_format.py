"""ONNX: one `.onnx` file for ONNX Runtime, Netron and the many tools that read ONNX.

Opset 18. torch's dynamo-based exporter (torch.export + onnxscript) is tried first; if it fails
or its graph does not reproduce the model, the older TorchScript-based exporter (opset 17) is
tried. Either result is run in ONNX Runtime (when installed) on a batch of another size and kept
only if it matches the model within tolerance, so a file that is written is a file that works.
The graph's input and output carry the ids of the Input and output nodes, and the batch axis is
dynamic. Needs the optional packages of `pip install 'nn-playground[onnx]'`.
"""
from __future__ import annotations

import io
import json
import logging
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch

from playground.export.common import (
    INSTALL_ONNX, ExportError, ExportJob, UnsupportedLayer, check_folder, data_facts, find_culprit, first_line,
    max_abs_diff, require, tolerance_for)
from playground.export.standardize import expects_note, raw_input_model
from playground.core.files import atomic_write

FORMAT = "ONNX"
OPSET = 18
LEGACY_OPSET = 17

UNSUPPORTED: dict[str, str] = {}
"""Layer types ONNX cannot express, with the reason. Every layer of today's catalogue exports
(Sign becomes Where, Maxout a Reshape and ReduceMax, Sampling in eval mode is μ), so this is
empty; a new layer that ONNX cannot express is listed here with its reason."""


@contextmanager
def _quiet() -> Iterator[None]:
    """The exporters log and warn about things a user cannot act on (torchvision ops, deprecations)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _names(module: torch.nn.Module, n_inputs: int, job: ExportJob | None) -> tuple[list[str], list[str]]:
    if job is not None:
        return [job.model.input_id], [job.model.output_id]
    return [f"input{k}" for k in range(n_inputs)], ["output"]


_registry_cache: list = []


def _cached_registry() -> object | None:
    """torch.onnx.export rebuilds its table of ONNX translations (~0.4 s) on every call, most of
    the time a small network's export takes. Build it once and hand it to the exporter's core,
    when this torch has that (private) entry point; None means: use the public API."""
    if not _registry_cache:
        registry = None
        try:
            import inspect
            from torch.onnx._internal.exporter import _core, _registration
            if "registry" in inspect.signature(_core.export).parameters:
                registry = _registration.ONNXRegistry().from_torchlib(opset_version=OPSET)
        except Exception:  # noqa: BLE001  (another torch: the public API is always there)
            registry = None
        _registry_cache.append(registry)
    return _registry_cache[0]


def _dynamo(module: torch.nn.Module, args: tuple[torch.Tensor, ...], job: ExportJob | None = None
            ) -> bytes:
    inputs, outputs = _names(module, len(args), job)
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    dynamic = tuple({0: batch} for _ in args)
    with _quiet():
        registry = _cached_registry()
        if registry is not None:
            try:
                from torch.onnx._internal.exporter import _core
                program = _core.export(module, args, None, registry=registry, dynamic_shapes=dynamic,
                                       input_names=inputs, output_names=outputs, verbose=False,
                                       optimize=True, opset_version=OPSET)
                return program.model_proto.SerializeToString()
            except Exception:  # noqa: BLE001  (the public API below gives the verdict and its message)
                pass
        program = torch.onnx.export(module, args, dynamo=True, opset_version=OPSET, verbose=False,
                                    input_names=inputs, output_names=outputs, dynamic_shapes=dynamic)
    return program.model_proto.SerializeToString()


def _legacy(module: torch.nn.Module, args: tuple[torch.Tensor, ...], job: ExportJob | None = None
            ) -> bytes:
    inputs, outputs = _names(module, len(args), job)
    buf = io.BytesIO()
    with _quiet():
        torch.onnx.export(module, args, buf, dynamo=False, opset_version=LEGACY_OPSET,
                          input_names=inputs, output_names=outputs,
                          dynamic_axes={name: {0: "batch"} for name in inputs + outputs})
    return buf.getvalue()


def _check(data: bytes, module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> str | None:
    """Why this ONNX graph of `module` is not good enough, or None: it must pass the checker and,
    where ONNX Runtime is installed, reproduce the module's outputs on `args`."""
    import onnx
    try:
        onnx.checker.check_model(onnx.load_model_from_string(data))
    except Exception as e:  # noqa: BLE001
        return f"the ONNX checker refused the graph ({first_line(e)})"
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    with torch.no_grad():
        expected = module(*args)
    try:
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        feed = {i.name: a.detach().numpy() for i, a in zip(session.get_inputs(), args)}
        got = session.run(None, feed)[0]
    except Exception as e:  # noqa: BLE001
        return f"ONNX Runtime cannot run the graph ({first_line(e)})"
    if tuple(got.shape) != tuple(expected.shape):
        return f"ONNX Runtime's output has shape {tuple(got.shape)}, the model's {tuple(expected.shape)}"
    diff = max_abs_diff(expected, torch.from_numpy(got))
    if not diff <= tolerance_for(expected):
        return f"ONNX Runtime's outputs differ from the model's by {diff:.3g}"
    return None


def _export_alone(module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
    """Export one layer by itself and check it: how a failing network's culprit is found."""
    problem = _check(_dynamo(module, args), module, args)
    if problem:
        raise ExportError(problem)


def export_onnx(job: ExportJob) -> bytes:
    """The serialized ONNX model, checked; raises UnsupportedLayer naming the layer ONNX lacks."""
    require(FORMAT, "onnx", INSTALL_ONNX)
    require(FORMAT, "onnxscript", INSTALL_ONNX)
    for nid, _ in job.model.plan:
        reason = UNSUPPORTED.get(job.types[nid])
        if reason:
            raise UnsupportedLayer(FORMAT, job.types[nid], nid, reason)
    x = job.example_input(batch=3)
    module = raw_input_model(job)  # takes raw inputs: the data set's standardization goes in front
    failures: list[str] = []
    for name, exporter in (("dynamo exporter", _dynamo), ("TorchScript exporter", _legacy)):
        try:
            data = exporter(module, (x,), job)
        except Exception as e:  # noqa: BLE001  (exporters raise many kinds)
            failures.append(f"{name}: {first_line(e)}")
            continue
        problem = _check(data, module, (job.example_input(batch=5, seed=1),))
        if problem is None:
            return _with_metadata(data, job, name)
        failures.append(f"{name}: {problem}")
    culprit = find_culprit(job, _export_alone)
    if culprit:
        raise UnsupportedLayer(FORMAT, job.types[culprit[0]], culprit[0], culprit[1])
    raise ExportError(f"{FORMAT} export failed: " + "; ".join(failures))


def _with_metadata(data: bytes, job: ExportJob, exporter: str) -> bytes:
    """Name the preset inside the file, so Netron and a person opening it see where it came from."""
    import onnx
    model = onnx.load_model_from_string(data)
    props = {"nn_playground_preset": job.preset.name, "trained": "true" if job.trained else "false",
             "input_shape": json.dumps(list(job.input_shape)),
             "output_shape": json.dumps(list(job.output_shape)),
             "exporter": f"torch {torch.__version__} {exporter}", "inputs": expects_note(job),
             **data_facts(job.preset).metadata()}
    onnx.helper.set_model_props(model, props)
    model.doc_string = job.preset.description[:2000]
    return model.SerializeToString()


def write_onnx(job: ExportJob, path: Path) -> list[Path]:
    check_folder(path)
    return [atomic_write(path, export_onnx(job))]
