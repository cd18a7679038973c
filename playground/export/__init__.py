"""Export a preset with its weights to files that real tools load.

    from playground.export import FORMATS, export
    paths = export(preset, state_dict, "onnx", "out/model.onnx")   # a list of the files written
    paths.warnings                                                 # e.g. untrained weights

`FORMATS` lists each format with a title, a one-line description and its default file name (the
GUI's Export dialog reads it). `export` writes atomically: a failure leaves no half-written file
and raises FileProblem (cannot write), UnsupportedLayer (the format cannot express a layer),
MissingPackage (an optional package is not installed; the message names the install command)
or ExportError. Only the format being written is imported, so listing formats is cheap.

May import: `core`, `params`, `layers`, `data`, `network`, `training`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import torch

from playground.export.common import (
    ExportError, MissingPackage, UnsupportedLayer, is_installed, output_file, prepare)
from playground.network.spec import Preset

__all__ = ["FORMATS", "ExportFormat", "ExportResult", "ExportError", "MissingPackage", "UnsupportedLayer",
           "export", "missing_packages", "summary_text", "target_path", "untrained_warning", "written_paths"]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    title: str
    description: str
    default_name: str
    """File (or, for a folder format, folder) name the dialog proposes."""
    is_folder: bool = False
    carries_weights: bool = True
    """False for the script and the summary: they hold no weights, so untrained ones need no warning."""
    needs: tuple[str, ...] = ()
    """Optional packages it needs, installed by `pip install 'nn-playground[onnx]'`."""
    writer: str = ""
    """`module:function` inside playground.export that writes it."""
    paths: str = ""
    """`module:function` giving the files it writes for a target path, where they are more than the
    target itself (the weights beside model.py, the files inside the script's folder)."""

    @property
    def extension(self) -> str:
        return "" if self.is_folder else Path(self.default_name).suffix


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("safetensors", "Weights (safetensors)",
                 "Weights with the preset inside: reopens in the playground; reading it never runs code",
                 "model.safetensors", writer="weights_formats:write_safetensors"),
    ExportFormat("state_dict", "Weights (PyTorch state_dict)",
                 "A plain state_dict for your own PyTorch code: torch.load(path, weights_only=True)",
                 "model_state_dict.pt", writer="weights_formats:write_state_dict"),
    ExportFormat("pt2", "Program (torch.export .pt2)",
                 "The network as a traced program: torch.export.load(path).module() runs it, no class needed",
                 "model.pt2", writer="program:write_pt2"),
    ExportFormat("onnx", "ONNX",
                 "For ONNX Runtime, Netron and other tools (opset 18, dynamic batch size)",
                 "model.onnx", needs=("onnx", "onnxscript"), writer="onnx_format:write_onnx"),
    ExportFormat("python", "Python source (nn.Module)",
                 "A readable nn.Module written node by node, with the weights beside it; needs only torch",
                 "model.py", writer="python_source:write_python", paths="python_source:python_paths"),
    ExportFormat("script", "Training script (train.py + data.npz)",
                 "Train with plain PyTorch on any machine, or on many GPUs with torchrun (DDP)",
                 "train_script", is_folder=True, carries_weights=False, writer="script:write_script",
                 paths="script:script_paths"),
    ExportFormat("summary", "Summary (text)",
                 "A table of layers, output shapes, parameters, receptive fields and multiply-adds",
                 "summary.txt", carries_weights=False, writer="summary:write_summary"),
)}


class ExportResult(list):
    """The paths written (a list of Path), with what the person should be told."""

    def __init__(self, paths: list[Path], fmt: str, trained: bool, warnings: list[str]) -> None:
        super().__init__(paths)
        self.format = fmt
        self.trained = trained
        self.warnings = warnings


def missing_packages(fmt: str) -> list[str]:
    """The optional packages `fmt` needs that are not installed (the dialog can say so up front)."""
    return [package for package in _format(fmt).needs if not is_installed(package)]


def untrained_warning(preset: Preset) -> str:
    return (f"exporting untrained weights (initialized with seed {preset.training.seed}): train the preset "
            f"first (playground train PRESET --out DIR) and export DIR to get trained ones")


def target_path(fmt: str, out_path: str | Path) -> Path:
    """Where `export` writes: `out_path`, or the format's default name inside it when it is a folder."""
    f = _format(fmt)
    return Path(out_path) if f.is_folder else output_file(out_path, f.default_name)


def written_paths(fmt: str, out_path: str | Path) -> list[Path]:
    """Every file an export to `out_path` writes, so a front end can ask before replacing any
    that exist (model.py's weights beside it, train.py and data.npz inside the script's folder)."""
    f = _format(fmt)
    target = target_path(fmt, out_path)
    if not f.paths:
        return [target]
    module_name, function = f.paths.split(":")
    return list(getattr(importlib.import_module(f"playground.export.{module_name}"), function)(target))


def export(preset: Preset, state_dict: Mapping[str, torch.Tensor] | None, fmt: str,
           out_path: str | Path, *, trained: bool | None = None) -> ExportResult:
    """Write `preset` with `state_dict` (None: the untrained weights its seed gives) as `fmt`.

    `trained` says whether the weights came from training (default: True when given); untrained
    weights add a warning to the result. Raises ExportError (and its subclasses UnsupportedLayer,
    MissingPackage), FileProblem or ProblemList (an invalid network) before anything is written.
    """
    f = _format(fmt)
    job = prepare(preset, state_dict, trained)
    module_name, function = f.writer.split(":")
    writer = getattr(importlib.import_module(f"playground.export.{module_name}"), function)
    paths = writer(job, target_path(fmt, out_path))
    warnings = [] if job.trained or not f.carries_weights else [untrained_warning(preset)]
    return ExportResult([Path(p) for p in paths], fmt, job.trained, warnings)


def summary_text(preset: Preset, state_dict: Mapping[str, torch.Tensor] | None = None) -> str:
    """The summary table (layers, shapes, parameters, receptive fields, multiply-adds) as text."""
    from playground.export.summary import summarize
    return summarize(prepare(preset, state_dict)).text()


def _format(fmt: str) -> ExportFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})") from None
