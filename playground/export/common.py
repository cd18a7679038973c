"""What every export format shares: the errors it raises, and the prepared job it reads.

An export first turns (preset, state_dict) into an `ExportJob`: the checked graph, a model in
eval mode holding the weights, and example inputs. Each format then writes its files from the
job. Anything wrong is raised before a file is touched, with a message a person can act on.
"""
from __future__ import annotations

import functools
import importlib.util
import keyword
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import torch

from playground.network.build import GraphModel, check_buildable
from playground.core.files import FileProblem, check_write_target, temporary_beside
from playground.network.shapes import GraphReport
from playground.network.spec import Preset

INSTALL_ONNX = "pip install 'nn-playground[onnx]'"


class ExportError(ValueError):
    """An export that cannot be made; the message says why and what to do."""


class UnsupportedLayer(ExportError):
    """A format cannot express one of the network's layers."""

    def __init__(self, fmt: str, layer_type: str, node_id: str, reason: str) -> None:
        self.fmt, self.layer_type, self.node_id, self.reason = fmt, layer_type, node_id, reason
        super().__init__(f"{fmt} cannot express {layer_type} '{node_id}': {reason}")


class MissingPackage(ExportError):
    """An optional package the format needs is not installed."""

    def __init__(self, fmt: str, package: str, install: str) -> None:
        self.fmt, self.package, self.install = fmt, package, install
        super().__init__(f"{fmt} export needs the Python package '{package}', which is not installed; "
                         f"install it with: {install}")


def is_installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken install
        return False


def require(fmt: str, package: str, install: str) -> None:
    """Raise MissingPackage unless `package` can be imported (checked before the slow work)."""
    if not is_installed(package):
        raise MissingPackage(fmt, package, install)


@dataclass
class ExportJob:
    """A preset with its weights, checked and ready for any format."""

    preset: Preset
    report: GraphReport
    model: GraphModel
    """In eval mode on the CPU: Dropout off, BatchNorm on running statistics, Sampling returns μ."""
    state_dict: dict[str, torch.Tensor]
    trained: bool
    types: dict[str, str] = field(default_factory=dict)
    """Layer type of each node id."""

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.report.shapes[self.model.input_id])

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(self.report.shapes[self.model.output_id])

    def example_input(self, batch: int = 2, seed: int = 0) -> torch.Tensor:
        """Random inputs of the network's shape: what tracing exporters run the model on."""
        g = torch.Generator().manual_seed(seed)
        return torch.randn((batch, *self.input_shape), generator=g)


@dataclass(frozen=True)
class DataFacts:
    """What the exported files say about the data the network learned from."""

    name: str
    title: str
    description: str
    class_names: tuple[str, ...] = ()
    input_names: tuple[str, ...] = ()
    inputs: str = ""
    """What a raw input value is: its scale (digits: pixel / 16) or the ranges the data spans."""
    note: str = ""
    """Set when the preset's description was written for another data set (data_text.data_note)."""

    def lines(self) -> list[str]:
        """The facts as short lines for a summary or a docstring."""
        def listing(names: tuple[str, ...], most: int = 24) -> str:
            return ", ".join(names[:most]) + (f", ... ({len(names)} in all)" if len(names) > most else "")
        out = [f"data: {self.title}: {self.description}".rstrip()]
        if self.class_names:
            out.append(f"classes (output index order): {listing(self.class_names)}")
        if self.input_names:
            out.append(f"input names (in order): {listing(self.input_names)}")
        if self.inputs:
            out.append(f"raw inputs: {self.inputs}")
        if self.note:
            out.append(self.note)
        return out

    def metadata(self) -> dict[str, str]:
        """For safetensors and ONNX metadata: text only."""
        import json
        meta = {"data_set": self.name, "classes": json.dumps(list(self.class_names)),
                "input_names": json.dumps(list(self.input_names))}
        if self.inputs:
            meta["raw_inputs"] = self.inputs
        return meta


def data_facts(preset: Preset) -> DataFacts:
    """The data set's description, class names, input names and raw scale; when the data cannot
    be made (an imported file that moved), what the preset alone tells, and why."""
    import json
    return _data_facts(json.dumps(preset.data.to_dict(), sort_keys=True), preset.name)


@functools.lru_cache(maxsize=8)
def _data_facts(data_json: str, preset_name: str) -> DataFacts:
    import json
    from playground.data import make_dataset
    from playground.network.preset_text import data_note, data_set_title
    from playground.network.spec import DataSpec
    data = DataSpec.from_dict(json.loads(data_json))
    note = data_note(preset_name, data, "description")
    try:
        ds = make_dataset(data.name, data.params)
    except ValueError as e:
        return DataFacts(data.name, data_set_title(data.name), f"(cannot be read now: {e})", note=note)
    return DataFacts(data.name, data_set_title(data.name), ds.description, tuple(ds.class_names),
                     tuple(ds.input_names), ds.inputs or raw_ranges(ds), note)


def raw_ranges(ds) -> str:
    """The span of the raw (unstandardized) training inputs: per input for a few named inputs,
    else over all values; what "raw" means for a generated set."""
    import numpy as np
    raw = ds.unstandardize(ds.x_train) if len(ds.x_train) else ds.x_train
    if not raw.size:
        return ""
    flat = raw.reshape(len(raw), -1)
    if ds.kind in ("points", "regression") and flat.shape[1] <= 6:
        names = list(ds.input_names) or [f"input {k + 1}" for k in range(flat.shape[1])]
        spans = ", ".join(f"{n} {float(lo):.3g} .. {float(hi):.3g}"
                          for n, lo, hi in zip(names, flat.min(axis=0), flat.max(axis=0)))
        return f"the data's own units; the training split spans {spans}"
    return (f"the data's own units; the training split's values span {float(np.min(flat)):.3g} .. "
            f"{float(np.max(flat)):.3g}")


def prepare(preset: Preset, state_dict: Mapping[str, torch.Tensor] | None,
            trained: bool | None = None) -> ExportJob:
    """Check the graph, build the model and load the weights; no weights: the seed's initial ones."""
    report = check_buildable(preset.model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(preset.training.seed)
        model = GraphModel(preset.model, report)
    if state_dict is None:
        weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        trained = False
    else:
        weights = {k: v.detach().to("cpu") for k, v in state_dict.items()}
        _check_fit(model, weights)
        model.load_state_dict(weights)
        trained = True if trained is None else trained
    model.eval()
    types = {n.id: n.type for n in preset.model.nodes}
    return ExportJob(preset, report, model, weights, bool(trained), types)


class _RenamedGraph(torch.nn.Module):
    """The job's network with keyword node ids renamed (`class` → `class_`), same modules."""

    def __init__(self, model: GraphModel, names: dict[str, str]) -> None:
        super().__init__()
        self.input_id, self.output_id, self.names = model.input_id, model.output_id, names
        self.plan = model.plan
        for nid, _ in model.plan:
            self.add_module(names[nid], getattr(model, nid))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {self.input_id: x}
        for nid, inputs in self.plan:
            values[nid] = getattr(self, self.names[nid])(*[values[i] for i in inputs])
        return values[self.output_id]


def traceable(job: ExportJob) -> torch.nn.Module:
    """The model as tracing exporters can take it. torch.export writes Python code that names
    submodules (`self.class.weight` is a syntax error), so a node id that is a Python keyword is
    renamed inside the program; its outputs are the same."""
    ids = [nid for nid, _ in job.model.plan]
    if not any(keyword.iskeyword(nid) for nid in ids):
        return job.model
    taken, names = set(ids), {}
    for nid in ids:
        name = nid
        while keyword.iskeyword(name) or (name != nid and name in taken):
            name += "_"
        taken.add(name)
        names[nid] = name
    return _RenamedGraph(job.model, names).eval()


def _check_fit(model: GraphModel, weights: Mapping[str, torch.Tensor]) -> None:
    """The weights must be the network's: same names, same shapes. Name what differs."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    extra = [k for k in weights if k not in expected]
    wrong = [f"{k} is {tuple(weights[k].shape)}, the network needs {tuple(v.shape)}"
             for k, v in expected.items() if k in weights and tuple(weights[k].shape) != tuple(v.shape)]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else ""))
    if extra:
        problems.append("not in the network " + ", ".join(extra[:6]) + (" ..." if len(extra) > 6 else ""))
    problems += wrong[:6]
    if problems:
        raise ExportError("the weights do not fit the preset's network: " + "; ".join(problems))


def output_file(path: str | os.PathLike, default_name: str) -> Path:
    """The file to write: `path` itself, or `default_name` inside it when it is a folder (an
    existing one, or any path written with a trailing slash)."""
    text = os.fspath(path)
    p = Path(text)
    is_folder = p.is_dir() or text.endswith(("/", os.sep))
    return p / default_name if is_folder else p


def check_folder(path: Path) -> None:
    """Fail early, naming the folder, when the file cannot be written there: before a minute of
    tracing, not after it."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise FileProblem(f"cannot write {path}: the folder {folder} {what}")
    check_write_target(path)
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as e:
        raise FileProblem(f"cannot write {path}: {e.strerror or e}") from None
    os.close(fd)
    Path(probe).unlink(missing_ok=True)


def write_together(items: list[tuple[Path, bytes]]) -> list[Path]:
    """Write several files so that all of them appear or none does: each goes to a temporary
    file beside its target (flushed, fsynced), and only when every one is written are they
    renamed into place. A failure part way removes the temporary files and names the cause."""
    for path, _ in items:
        check_folder(path)
    temps: list[Path] = []
    held: list[int] = []   # (locks that say "being written"; see files.temporary_beside)
    current = items[0][0] if items else Path(".")
    try:
        for path, data in items:
            current = path
            fd, tmp, mode = temporary_beside(path)   # also removes a killed export's leftovers
            held.append(fd)
            temps.append(tmp)
            with os.fdopen(os.dup(fd), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)   # an existing file keeps its mode; a new one follows the umask
        for (path, _), tmp in zip(items, temps):
            current = path
            check_write_target(path)   # (a FIFO may have taken its place while we wrote)
        for (path, _), tmp in zip(items, temps):
            current = path
            os.replace(tmp, path)
    except FileProblem:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    except OSError as e:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise FileProblem(f"cannot write {current}: {e.strerror or e}") from e
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        for fd in held:
            os.close(fd)
    return [path for path, _ in items]


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    d = (a.detach().double() - b.detach().double()).abs()
    return float(d.max()) if d.numel() else 0.0


def find_culprit(job: ExportJob, attempt: Callable[[torch.nn.Module, tuple[torch.Tensor, ...]], None]
                 ) -> tuple[str, str] | None:
    """Which node a format chokes on: export each node's module alone on its real inputs and
    return (node id, first line of the error) for the first that fails, or None."""
    x = job.example_input()
    with torch.no_grad():
        values = job.model.forward_all(x)
    for nid, inputs in job.model.plan:
        module = getattr(job.model, nid)
        try:
            attempt(module, tuple(values[i] for i in inputs))
        except Exception as e:  # noqa: BLE001  (any exporter failure is the answer we look for)
            return nid, first_line(e)
    return None


def first_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else type(e).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def tolerance_for(values: torch.Tensor) -> float:
    """1e-4 absolute, loosened for large outputs (float32 rounding grows with magnitude)."""
    scale = float(values.detach().abs().max()) if values.numel() else 0.0
    return 1e-4 * max(1.0, scale / 10.0 if math.isfinite(scale) else 1.0)
