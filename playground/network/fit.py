"""Does this network fit this data set and loss? And which device should train it?

The Trainer asks before it builds anything costly; the app asks live, after each edit, through
`fit_problems(preset)`, which needs no torch model: the shape analysis and the data set's
facts (input shape, classes, target shape) are enough. Each problem names the field to change
and, where one node is to blame, carries that node's id so the canvas can mark it.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

import torch

from playground.params import Problem, ProblemList
from playground.network.shapes import analyze
from playground.network.spec import CLASS_LOSSES

if TYPE_CHECKING:
    from playground.data import Dataset
    from playground.network.spec import Preset


@dataclass(frozen=True)
class FitProblem(Problem):
    """A Problem that one node causes: `node_id` is the node to mark on the canvas ("" when the
    problem is a setting, not a node)."""

    node_id: str = ""


@dataclass(frozen=True)
class DataFacts:
    """What the fit checks need to know about a data set (not its arrays)."""

    name: str
    input_shape: tuple[int, ...]
    n_classes: int
    target_shape: tuple[int, ...]

    @classmethod
    def of(cls, data: "Dataset") -> "DataFacts":
        return cls(data.name, tuple(data.input_shape), int(data.n_classes), tuple(data.target_shape))


class _Graph(Protocol):
    """What the checks read of a built GraphModel or of a GraphReport from the shape analysis."""

    shapes: dict[str, tuple[int, ...]]
    input_id: str
    output_id: str


BINARY_LOSSES = ("bce", "hinge")
"""Losses of one logit per sample on two classes (or one per class, each its own yes/no)."""


def loss_for_targets(loss: str, n_classes: int) -> str | None:
    """The loss to switch to when `loss` cannot train data with `n_classes` classes (0: real-valued
    targets): mse for a class loss on values; None when `loss` fits. The fit check's message and
    the data page's "fit the network to it" follow this one rule."""
    return "mse" if n_classes == 0 and loss in CLASS_LOSSES else None


def output_units(loss: str, n_classes: int, target_shape: tuple[int, ...] = ()) -> tuple[int, str]:
    """How many values the output layer gives for data with `n_classes` classes (0: real-valued
    targets of `target_shape`) under `loss`, and why in a few words: the one rule the fit check
    and the data page's "fit the network to it" follow."""
    if n_classes == 2 and loss in BINARY_LOSSES:
        return 1, "one logit for two classes"
    if n_classes:
        return n_classes, "one per class"
    units = math.prod(target_shape) if target_shape else 1
    return units, "one per target value" if units > 1 else "one target value"


def check_fit(preset: "Preset", data: "Dataset | DataFacts", model: _Graph) -> list[Problem]:
    """Does this network fit this data set and loss? Problems name the field to change."""
    facts = data if isinstance(data, DataFacts) else DataFacts.of(data)
    problems: list[Problem] = []
    index = {n.id: k for k, n in enumerate(preset.model.nodes)}
    in_shape = model.shapes[model.input_id]
    if tuple(in_shape) != tuple(facts.input_shape):
        problems.append(FitProblem(f"model.nodes[{index[model.input_id]}].params.shape",
                                   f"Input shape {in_shape} does not match data set '{facts.name}', "
                                   f"whose samples are {tuple(facts.input_shape)}", model.input_id))
    out_id = model.output_id
    out_shape = tuple(model.shapes[out_id])
    ts = preset.training
    where = f"model.nodes[{index[out_id]}]"
    name = f"{preset.model.node(out_id).type} '{out_id}'"
    if ts.target == "input":
        if out_shape != tuple(facts.input_shape):
            problems.append(FitProblem(where, f"an autoencoder's output must have the input's shape "
                                              f"{tuple(facts.input_shape)}, got {out_shape} from {name}", out_id))
    elif ts.mode == "gradient" and facts.n_classes > 0 and ts.loss == "cross_entropy":
        if out_shape != (output_units(ts.loss, facts.n_classes, facts.target_shape)[0],):
            problems.append(FitProblem(where, f"cross-entropy over {facts.n_classes} classes needs an output "
                                              f"of shape ({facts.n_classes},), got {out_shape} from {name}", out_id))
    elif facts.n_classes > 0 and ts.loss in BINARY_LOSSES and out_shape not in (
            (output_units(ts.loss, facts.n_classes, facts.target_shape)[0],), (facts.n_classes,)):
        problems.append(FitProblem(where, f"{ts.loss} needs one output (two classes) or one per class, "
                                          f"got {out_shape} from {name}", out_id))
    elif loss_for_targets(ts.loss, facts.n_classes):
        problems.append(FitProblem("training.loss", f"data set '{facts.name}' has real-valued targets; "
                                                    "use mse or l1"))
    elif facts.n_classes == 0 and math.prod(out_shape) != output_units(ts.loss, 0, facts.target_shape)[0]:
        problems.append(FitProblem(where, f"output {out_shape} of {name} does not match the target shape "
                                          f"{tuple(facts.target_shape)}", out_id))
    needs_code = ts.sparsity != "none" or ts.contractive > 0
    if needs_code and ts.code_node not in model.shapes:
        problems.append(FitProblem("training.code_node", "the sparse/contractive penalty needs the id of the code node"
                                   if not ts.code_node else f"no node '{ts.code_node}' in the network"))
    if ts.mode == "perceptron":
        problems += perceptron_problems(preset, facts, model)
    return problems


def perceptron_problems(preset: "Preset", data: "Dataset | DataFacts", model: _Graph) -> list[Problem]:
    """The perceptron rule needs Input → Linear(1) → Sign on two classes."""
    facts = data if isinstance(data, DataFacts) else DataFacts.of(data)
    spec = preset.model
    needed = spec.upstream(model.output_id)
    plan = getattr(model, "plan", None)  # a GraphModel's build order, or the report's topological one
    order = [nid for nid, _ in plan] if plan is not None else \
        [nid for nid in getattr(model, "order", ()) if nid in needed and nid != model.input_id]
    types = [spec.node(nid).type for nid in order]
    problems: list[Problem] = []
    if types != ["Linear", "Sign"] or tuple(model.shapes[model.output_id]) != (1,):
        problems.append(FitProblem("training.mode", "the perceptron rule trains exactly Input → Linear "
                                                    "(out_features 1) → Sign; use gradient mode for other networks"))
    if facts.n_classes != 2:
        problems.append(FitProblem("data.name", f"the perceptron separates two classes; '{facts.name}' has "
                                                f"{facts.n_classes or 'real-valued targets, no'} classes"))
    return problems


_facts_cache: dict[str, DataFacts] = {}
_facts_lock = threading.Lock()


def data_facts(name: str, params: dict) -> DataFacts:
    """The facts of a data set, made once per (name, parameters) and then remembered."""
    from playground.data import make_dataset
    key = name + "\0" + json.dumps(params, sort_keys=True, default=str)
    with _facts_lock:
        hit = _facts_cache.get(key)
    if hit is None:
        hit = DataFacts.of(make_dataset(name, params))
        with _facts_lock:
            _facts_cache[key] = hit
    return hit


def fit_problems(preset: "Preset", read_data: "Callable[[str, dict], DataFacts]" = data_facts) -> list[Problem]:
    """Every reason this preset cannot train, found without building a model or training: graph
    and shape errors first (only those, while there are any), then the data set, then the fit of
    network, data and loss. Fast enough to call after every edit (the data set is made once).
    `read_data` gives the data set's facts or raises ValueError saying why there are none (the
    app passes one that never reads a person's file on its GUI thread)."""
    report = analyze(preset.model)
    index = {n.id: k for k, n in enumerate(preset.model.nodes)}
    if not report.ok:
        return [FitProblem(f"model.nodes[{index[nid]}]" if nid in index else "model", msg, nid)
                for nid, msg in report.node_errors.items()] + \
               [FitProblem("model", msg) for msg in report.graph_errors]
    try:
        facts = read_data(preset.data.name, preset.data.params)
    except (ValueError, KeyError) as e:
        return [FitProblem("data", str(e))]
    return check_fit(preset, facts, report)


# ---------------------------------------------------------------------------- devices
def resolve_device(name: str) -> torch.device:
    """auto: CUDA, then MPS, then CPU; otherwise the named device, checked to exist. (The Trainer
    refines `auto` with `playground.training.device_choice`, which times the model on each candidate.)"""
    if name in ("", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except (RuntimeError, ValueError):
        raise ProblemList([Problem("training.device", f"{name!r} is not a device name (try auto, cpu, cuda, cuda:1, mps)")],
                          "cannot train") from None
    if dev.type == "cuda" and (not torch.cuda.is_available() or (dev.index or 0) >= torch.cuda.device_count()):
        raise ProblemList([Problem("training.device", f"{name} is not available on this machine")], "cannot train")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ProblemList([Problem("training.device", "mps is not available on this machine")], "cannot train")
    return dev
