"""Build a torch module from a valid spec: its forward follows the DAG."""
from __future__ import annotations

import torch
from torch import nn

from playground.layers import CATALOGUE
from playground.layers.modules import Sampling
from playground.params import Problem, ProblemList
from playground.network.shapes import GraphReport, analyze
from playground.network.spec import ModelSpec


class GraphModel(nn.Module):
    """The network of a spec. Each node's module is an attribute named by the node's id, so the
    state_dict reads `conv1.weight`, the same names the exported `model.py` uses."""

    def __init__(self, spec: ModelSpec, report: GraphReport) -> None:
        super().__init__()
        by_id = {n.id: n for n in spec.nodes}
        needed = spec.upstream(report.output_id)
        self.input_id = report.input_id
        self.output_id = report.output_id
        self.plan: list[tuple[str, tuple[str, ...]]] = []
        for nid in report.order:
            if nid not in needed or nid == report.input_id:
                continue
            node = by_id[nid]
            in_shapes = [report.shapes[i] for i in node.inputs]
            try:
                module = CATALOGUE[node.type].make(in_shapes, report.params[nid])
            except (RuntimeError, MemoryError, ValueError) as e:  # e.g. a layer too large for memory
                reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
                raise ProblemList([Problem("model", f"{node.type} '{nid}' cannot be created: {reason}")],
                                  "the network cannot be built") from None
            self.add_module(nid, module)
            self.plan.append((nid, tuple(node.inputs)))
        self.shapes = dict(report.shapes)
        is_chain = all(inputs == ((self.plan[k - 1][0],) if k else (self.input_id,))
                       for k, (_, inputs) in enumerate(self.plan)) and self.plan and self.plan[-1][0] == self.output_id
        # A plain list, not a ModuleList: the modules are registered once, under their node ids.
        self._chain: list[nn.Module] | None = [getattr(self, nid) for nid, _ in self.plan] if is_chain else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._chain is not None:  # a plain chain (most networks): no bookkeeping of values
            for module in self._chain:
                x = module(x)
            return x
        values = {self.input_id: x}
        for nid, inputs in self.plan:
            values[nid] = getattr(self, nid)(*[values[i] for i in inputs])
        return values[self.output_id]

    def forward_all(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every node's output for `x`: what the probes look at (activations, feature maps, codes)."""
        values = {self.input_id: x}
        for nid, inputs in self.plan:
            values[nid] = getattr(self, nid)(*[values[i] for i in inputs])
        return values

    def kl_divergence(self) -> torch.Tensor | None:
        """The summed KL terms of the Sampling nodes from the last training forward (VAE)."""
        terms = [m.kl for m in self.modules() if isinstance(m, Sampling)]
        return sum(terms[1:], terms[0]) if terms else None


def check_buildable(spec: ModelSpec) -> GraphReport:
    """The graph report, or ProblemList naming every error."""
    report = analyze(spec)
    if not report.ok:
        raise ProblemList([Problem("model", e) for e in report.errors()], "the network is not valid")
    return report


def build_model(spec: ModelSpec, seed: int | None = None) -> GraphModel:
    """A fresh GraphModel; with a seed its initial weights are the same on every run."""
    report = check_buildable(spec)
    if seed is None:
        return GraphModel(spec, report)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GraphModel(spec, report)
