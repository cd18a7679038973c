"""Warm-started layers: a network's first layers start from another network's weights.

Pretrain, then fine-tune: an autoencoder learns a code from images without labels, and its
encoder layers start a classifier trained on a few labels. Where the source's weights come from
(a run's model file, a preset trained first) is decided above training
(`playground.run_records.warm_start`); the Trainer receives the tensors and hands them here,
which checks them against the network it built, loads them, and freezes the layers for the first
`freeze_epochs` epochs ("frozen, then unfrozen"): while frozen they get no gradient, so no
optimizer moves them, and the new layers learn to read the pretrained code first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Union

import torch

from playground.params import Problem, ProblemList
from playground.network.spec import ModelSpec, TrainSpec, warm_start_layer_ids, warm_start_problems

WeightsSource = Union[Mapping[str, torch.Tensor], Callable[[], Mapping[str, torch.Tensor]]]
"""The warm-start tensors (state_dict names → tensors), or a function that fetches them: the
app's training thread calls it, so a source trained first never holds the GUI thread."""


def fetch_warm_weights(model: ModelSpec, ts: TrainSpec,
                       given: WeightsSource | None) -> Mapping[str, torch.Tensor] | None:
    """The warm-start tensors the settings ask for (None: no warm start), fetched now if `given`
    is a function: the Trainer calls this before it seeds torch's global generator, so a source
    trained first draws nothing from it. Raises ProblemList for settings that cannot be met."""
    if not ts.warm_start.strip():
        return None
    problems = warm_start_problems(model, ts)
    if problems:
        raise ProblemList(problems, "cannot start from the warm-start weights")
    if given is None:
        raise ProblemList([Problem("training.warm_start", f"the weights of {ts.warm_start!r} were not fetched: "
                                                         "this command trains networks from their seed only; "
                                                         "`playground train` and the app's Train start from "
                                                         "them, or set warm_start to empty")],
                          "cannot start from the warm-start weights")
    return given() if callable(given) else given


def _shape(t: torch.Tensor) -> str:
    return "×".join(str(n) for n in t.shape) or "scalar"


@dataclass
class WarmLayers:
    """The warm-started tensors of one network, as given, and its parameters among them."""

    source: str
    weights: dict[str, torch.Tensor]
    parameters: list[torch.nn.Parameter]

    @classmethod
    def of(cls, model: torch.nn.Module, ts: TrainSpec,
           weights: Mapping[str, torch.Tensor] | None) -> "WarmLayers | None":
        """Check the fetched `weights` against `model` and load them; None without a warm start.
        Raises ProblemList, one line per problem naming the layer, for tensors that do not fit."""
        if weights is None:
            return None
        own = model.state_dict()
        layers = warm_start_layer_ids(ts)
        problems = []
        for nid in layers:
            names = [k for k in own if k.startswith(nid + ".")]
            if not names:
                problems.append(Problem("training.warm_start_layers", f"layer {nid!r} has no weights to start "
                                                                      "from (only layers with weights can be warm-started)"))
            missing = [name for name in names if name not in weights]
            if missing:
                problems.append(Problem("training.warm_start_layers", f"layer {nid!r}: {ts.warm_start!r} has no "
                                                                      f"tensor {', '.join(missing)}"))
                continue
            unlike = [name for name in names if weights[name].shape != own[name].shape]
            if unlike:
                here = ", ".join(f"{name.split('.', 1)[1]} {_shape(own[name])}" for name in unlike)
                there = ", ".join(_shape(weights[name]) for name in unlike)
                problems.append(Problem("training.warm_start_layers", f"layer {nid!r} has {here} here but "
                                        f"{there} in {ts.warm_start!r}; a warm-started layer needs the source's shapes"))
        if problems:
            raise ProblemList(problems, "cannot start from the warm-start weights")
        chosen = {k: weights[k].detach().to("cpu", copy=True) for k in own
                  if any(k.startswith(nid + ".") for nid in layers)}
        named = dict(model.named_parameters())
        parameters = [named[k] for k in chosen if k in named]
        trainable = [p for p in model.parameters() if all(p is not q for q in parameters)]
        if ts.freeze_epochs > 0 and not trainable:
            raise ProblemList([Problem("training.freeze_epochs", "every layer with weights is warm-started, so "
                                                                 "freezing them leaves nothing to train; set "
                                                                 "freeze_epochs to 0 or warm-start fewer layers")],
                              "cannot start from the warm-start weights")
        warm = cls(ts.warm_start, chosen, parameters)
        warm.load(model)
        return warm

    def load(self, model: torch.nn.Module) -> None:
        """Put the warm-start tensors into `model` (at the start, and again on a reset)."""
        own = model.state_dict()
        with torch.no_grad():
            for name, tensor in self.weights.items():
                own[name].copy_(tensor)

    def freeze(self, frozen: bool) -> None:
        """Stop (or restart) the warm-started parameters' gradients: frozen, no optimizer moves them."""
        for p in self.parameters:
            p.requires_grad_(not frozen)
