"""Looking inside the running model: the probes behind the Weights, Neuron maps, Hidden space
and LSTM internals panels.

`InsideProbes` is a Trainer helper like `VisualProbes`: built once per Trainer (it decides
there which views the network and data allow), asked only at probe steps and only for the
views the Trainer's consumer wants (`INSIDE_VIEWS`; none unless asked), and it returns events of
plain numpy arrays. Between probe steps it costs nothing: no hooks, no copies.

The numbers are the course's:
- weights: per-layer quantile bands over time (TensorBoard's "distributions"), histograms of
  weights and of their last gradients, the fraction of weights at zero (L1 drives weights
  there), the largest row norm (what max-norm clips), and the first Linear layer's weight rows
  drawn as images when its input is an image (templates, as for a linear classifier);
- neuron maps: every hidden unit's output over the input plane, for 2-D inputs;
- hidden space: a hidden layer's representation of the data in 2-D (its two units, or PCA);
- recurrent internals: gates and cell state over time, the saturated-gate fraction (< 0.1 or
  > 0.9) and ‖∂L/∂h_t‖ flowing back through time.
"""
from __future__ import annotations

import math
from typing import Any, Iterator, Protocol

import numpy as np
import torch
from torch import nn

from playground.training import losses
from playground.training.events import ZERO_WEIGHT_SCALE, HiddenSpaceEvent, NeuronMapEvent, RecurrentEvent, WeightsEvent
from playground.layers.modules import Recurrent


class ProbeContext(Protocol):
    """What the probes read of the Trainer (and nothing more): the model and data it trains."""

    model: Any            # playground.network.build.GraphModel
    dataset: Any          # playground.data.Dataset
    ts: Any               # playground.network.spec.TrainSpec
    node_types: dict[str, str]
    kind: str             # the output's kind, for the loss
    device: torch.device
    is_classifier: bool
    step_count: int
    x_probe: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    y_train: torch.Tensor

BINS = 40
QUANTILES = (0.0, 0.07, 0.16, 0.31, 0.5, 0.69, 0.84, 0.93, 1.0)
"""The bands of TensorBoard's distributions view: min, ±1.5σ, ±1σ, ±0.5σ of a normal, median, max."""
MAX_SAMPLE = 200_000
"""Quantiles of a larger layer are read from an even sample of this many weights."""
MAX_TEMPLATES = 64
MAP_GRID = 32
MAX_UNITS = 16
"""Neuron maps per node: a wide layer shows its first units."""
INSIDE_VIEWS = frozenset({"weights", "neuron_maps", "hidden_space", "lstm_internals"})
"""The views (names as in `playground.training.views`) these probes feed. They cost most of a probe step
(histograms, quantiles, a PCA, a pass over a grid, an unrolled recurrent layer with its own
backward pass), so a Trainer runs each only when its consumer asks for that view."""
N_HIDDEN_POINTS = 400
N_SEQUENCES = 8
"""Recurrent probes: gates of this many probe sequences (the panel picks one)."""
GRAD_SEQUENCES = 32
SATURATED = (0.1, 0.9)


# ------------------------------------------------------------------ pure computations
def weight_matrix_params(module: nn.Module) -> list[torch.Tensor]:
    """A layer's weight matrices and kernels (not biases, not norm scales)."""
    return [p for p in module.parameters() if p.dim() >= 2]


def histogram(values: torch.Tensor, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges over a range symmetric about 0 (so sign and shrinkage read at a glance)."""
    v = values.detach().float().reshape(-1)
    hi = float(v.abs().max()) if v.numel() else 1.0
    hi = hi if hi > 0 and math.isfinite(hi) else 1.0
    counts = torch.histc(v, bins=bins, min=-hi, max=hi)
    return counts.cpu().numpy().astype(np.int64), np.linspace(-hi, hi, bins + 1)


def quantiles(values: torch.Tensor) -> np.ndarray:
    v = values.detach().float().reshape(-1)
    if v.numel() > MAX_SAMPLE:
        v = v[:: math.ceil(v.numel() / MAX_SAMPLE)]
    return torch.quantile(v, torch.tensor(QUANTILES, device=v.device)).cpu().numpy()


def zero_share(w: torch.Tensor) -> float:
    """The share of a layer's weights at zero: |w| at most `ZERO_WEIGHT_SCALE` of its largest
    |w|, the rule run summaries use (`zero_weights`). Relative, because an L1 penalty optimised by
    Adam leaves unused weights hovering near 0 within a step's size, not at exactly 0 (and an absolute
    0.001 once showed L1 fewer zeros than L2)."""
    magnitudes = w.abs()
    top = float(magnitudes.max()) if magnitudes.numel() else 0.0
    return float((magnitudes <= ZERO_WEIGHT_SCALE * top).float().mean()) if top > 0 else 1.0


def max_row_norm(params: list[torch.Tensor]) -> float:
    """The largest norm of one unit's incoming weights: max-norm clips this to c."""
    return max((float(p.detach().reshape(len(p), -1).norm(dim=1).max()) for p in params if len(p)), default=0.0)


def depth_columns(plan: list[tuple[str, tuple[str, ...]]], input_id: str) -> list[list[str]]:
    """Node ids by depth (longest path from the input), so any DAG lays out in columns as
    TensorFlow Playground lays out its chains."""
    depth = {input_id: 0}
    for nid, inputs in plan:
        depth[nid] = 1 + max(depth.get(i, 0) for i in inputs)
    cols: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for nid, d in depth.items():
        cols[d].append(nid)
    return [c for c in cols if c]


def _eigh(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.linalg.eigh, again in float64 where float32 fails to converge: a Gram matrix of
    (nearly) rank one, many eigenvalues ~0, as a layer at too high a rate gives."""
    try:
        return torch.linalg.eigh(m)
    except RuntimeError:   # torch.linalg.LinAlgError
        evals, evecs = torch.linalg.eigh(m.double())
        return evals.to(m.dtype), evecs.to(m.dtype)


def project_2d(h: torch.Tensor) -> tuple[np.ndarray, str, float]:
    """(n, 2) coordinates of a hidden representation: its units when it has two, else its first
    two principal components (sign fixed so the picture does not flip between probes), and the
    share of the variance those two axes keep."""
    h = h.detach().float().reshape(len(h), -1)
    if h.shape[1] == 2:
        return h.cpu().numpy(), "units", 1.0
    if h.shape[1] == 1:
        return torch.cat([h, torch.zeros_like(h)], dim=1).cpu().numpy(), "units", 1.0
    if len(h) < 2:   # one point (a split of one sample): it is its own mean, at the origin
        return np.zeros((len(h), 2), dtype=np.float32), "pca", 1.0
    centred = h - h.mean(dim=0)
    # Divided by its largest |value| first: a network at too high a rate reaches values of 1e19
    # and more, whose squares overflow float32 and break the eigensolver (the axes and the share
    # kept do not change with the scale).
    scale = centred.abs().amax()
    unit = centred / scale if torch.isfinite(scale) and scale > 0 else centred
    # The two leading eigenvectors of the smaller Gram matrix (a symmetric eigenproblem costs
    # a fraction of an SVD, which took most of a probe step's time on a 128-wide layer).
    if centred.shape[1] <= centred.shape[0]:
        evals, evecs = _eigh(unit.T @ unit)
        axes = evecs[:, -2:].flip(1).T
    else:
        evals, u = _eigh(unit @ unit.T)
        axes = (unit.T @ u[:, -2:].flip(1)).T
        axes = axes / axes.norm(dim=1, keepdim=True).clamp_min(1e-30)
    signs = torch.sign(axes.gather(1, axes.abs().argmax(dim=1, keepdim=True)))
    axes = axes * torch.where(signs == 0, torch.ones_like(signs), signs)
    unit_var = float(unit.var(dim=0).sum()) or 1.0
    kept = float(evals[-2:].clamp_min(0).sum() / (len(h) - 1)) / unit_var
    return (centred @ axes.T).cpu().numpy(), "pca", min(1.0, kept)


def unroll(module: Recurrent, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], dict[str, torch.Tensor]]:
    """Run an RNN/LSTM/GRU step by step with its own weights: the output `module(x)` gives, the
    first layer's hidden states h_t (tensors in the graph, for ∂L/∂h_t), and its gates over
    time (batch, T, H): LSTM input/forget/output gates and cell state; GRU reset/update gates;
    RNN its hidden state (a bidirectional layer's: its forward direction's)."""
    out, first_h, gates, _ = unroll_directions(module, x)
    return out, first_h, gates


def unroll_directions(module: Recurrent, x: torch.Tensor
                      ) -> tuple[torch.Tensor, list[torch.Tensor], dict[str, torch.Tensor], list[torch.Tensor]]:
    """`unroll`, and as a fourth item a bidirectional layer's backward direction's first-layer
    h_t, in time order (empty for a one-way layer). The hidden states and gates of the first three
    are the forward direction's."""
    rnn = module.rnn
    kind = type(rnn).__name__
    layer_in = x
    first_h: list[torch.Tensor] = []
    back_h: list[torch.Tensor] = []
    gates: dict[str, list[torch.Tensor]] = {}
    for layer in range(rnn.num_layers):
        n, steps = layer_in.shape[0], layer_in.shape[1]
        directions = []
        for suffix in ("", "_reverse") if rnn.bidirectional else ("",):
            w_ih, w_hh = getattr(rnn, f"weight_ih_l{layer}{suffix}"), getattr(rnn, f"weight_hh_l{layer}{suffix}")
            b_ih = getattr(rnn, f"bias_ih_l{layer}{suffix}", None)
            b_hh = getattr(rnn, f"bias_hh_l{layer}{suffix}", None)
            h = layer_in.new_zeros(n, rnn.hidden_size)
            c = layer_in.new_zeros(n, rnn.hidden_size)
            outs: list[torch.Tensor] = [h] * steps
            for t in (range(steps) if not suffix else range(steps - 1, -1, -1)):
                gi = layer_in[:, t] @ w_ih.T + (b_ih if b_ih is not None else 0)
                gh = h @ w_hh.T + (b_hh if b_hh is not None else 0)
                if kind == "LSTM":
                    i, f, g, o = (gi + gh).chunk(4, dim=1)
                    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                    c = f * c + i * g
                    h = o * torch.tanh(c)
                    step_gates = {"input": i, "forget": f, "output": o, "cell": c}
                elif kind == "GRU":
                    ir, iz, in_ = gi.chunk(3, dim=1)
                    hr, hz, hn = gh.chunk(3, dim=1)
                    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
                    cand = torch.tanh(in_ + r * hn)
                    h = (1 - z) * cand + z * h
                    step_gates = {"reset": r, "update": z, "hidden": h}
                else:
                    act = torch.tanh if rnn.nonlinearity == "tanh" else torch.relu
                    h = act(gi + gh)
                    step_gates = {"hidden": h}
                if layer == 0 and not suffix:
                    first_h.append(h)
                    for name, v in step_gates.items():
                        gates.setdefault(name, []).append(v)
                outs[t] = h
            if layer == 0 and suffix:
                back_h = list(outs)
            directions.append(torch.stack(outs, dim=1))
        layer_in = torch.cat(directions, dim=2)
    if not module.last_only:
        out = layer_in
    elif rnn.bidirectional:
        out = torch.cat([layer_in[:, -1, :rnn.hidden_size], layer_in[:, 0, rnn.hidden_size:]], dim=1)
    else:
        out = layer_in[:, -1, :]
    return out, first_h, {k: torch.stack(v, dim=1) for k, v in gates.items()}, back_h


def saturated_fraction(gates: dict[str, torch.Tensor]) -> float | None:
    """Share of gate values (sigmoid gates only) under 0.1 or over 0.9: a gate stuck open or shut."""
    sig = [v for k, v in gates.items() if k in ("input", "forget", "output", "reset", "update")]
    if not sig:
        return None
    allv = torch.cat([v.reshape(-1) for v in sig])
    lo, hi = SATURATED
    return float(((allv < lo) | (allv > hi)).float().mean())


def gradient_through_time(h_steps: list[torch.Tensor], loss: torch.Tensor) -> np.ndarray:
    """‖∂L/∂h_t‖ per time step (mean over the sequences): how much of the loss's gradient
    reaches step t. An RNN's falls off exponentially going back; an LSTM's cell keeps it."""
    grads = torch.autograd.grad(loss, h_steps, allow_unused=True)
    return np.array([float(g.norm(dim=1).mean()) if g is not None else 0.0 for g in grads])


# ------------------------------------------------------------------ the Trainer helper
class InsideProbes:
    """Builds the look-inside events for one Trainer."""

    def __init__(self, trainer: ProbeContext) -> None:
        self.t = trainer
        model, data = trainer.model, trainer.dataset
        self.weight_nodes = [nid for nid, _ in model.plan if weight_matrix_params(getattr(model, nid))]
        self.first_linear = next((nid for nid, _ in model.plan if isinstance(getattr(model, nid), nn.Linear)), "")
        shape = tuple(data.input_shape)
        self.template_shape: tuple[int, ...] | None = None
        if self.first_linear and data.kind == "image" and len(shape) in (2, 3):
            if getattr(model, self.first_linear).in_features == int(np.prod(shape)):
                self.template_shape = shape
        self.planar = shape == (2,)
        self.vector_nodes = [nid for nid, _ in model.plan
                             if nid != model.output_id and len(model.shapes.get(nid, ())) == 1]
        self.hidden_space = trainer.is_classifier and bool(self.vector_nodes) and trainer.ts.target != "input"
        self.recurrent = [nid for nid, _ in model.plan if isinstance(getattr(model, nid), Recurrent)]
        y_src = trainer.y_val if len(trainer.x_val) else trainer.y_train
        self.y_probe = y_src[:len(trainer.x_probe)]
        self.columns = depth_columns(model.plan, model.input_id)
        self._grid: tuple[np.ndarray, np.ndarray, torch.Tensor] | None = None

    def events(self, values: dict[str, torch.Tensor],
               wanted: frozenset[str] | set[str] = INSIDE_VIEWS) -> Iterator[object]:
        """The probe step's events for the `wanted` views; `values` is forward_all over the probe
        batch (eval mode, no grad)."""
        if self.weight_nodes and "weights" in wanted:
            yield self._weights()
        if self.planar and "neuron_maps" in wanted:
            yield self._neuron_maps()
        if self.hidden_space and "hidden_space" in wanted:
            yield self._hidden_space(values)
        for nid in self.recurrent[:1] if "lstm_internals" in wanted else ():
            event = self._recurrent(nid, values)
            if event is not None:
                yield event

    def _weights(self) -> WeightsEvent:
        t, model = self.t, self.t.model
        w_hist, g_hist, quants, zeros, row_norms = [], [], [], [], []
        for nid in self.weight_nodes:
            params = weight_matrix_params(getattr(model, nid))
            w = torch.cat([p.detach().reshape(-1) for p in params])
            w_hist.append(histogram(w))
            quants.append(quantiles(w))
            zeros.append(zero_share(w))
            row_norms.append(max_row_norm(params))
            grads = [p.grad for p in params if p.grad is not None]
            g_hist.append(histogram(torch.cat([g.reshape(-1) for g in grads])) if grads else None)
        templates = None
        if self.template_shape is not None:
            wt = getattr(model, self.first_linear).weight.detach()[:MAX_TEMPLATES].float()
            imgs = wt.reshape((len(wt),) + self.template_shape)
            if imgs.dim() == 4:   # (units, C, H, W): the channels' mean
                imgs = imgs.mean(dim=1)
            templates = imgs.cpu().numpy()
        return WeightsEvent(t.step_count, list(self.weight_nodes), [t.node_types[n] for n in self.weight_nodes],
                            w_hist, g_hist, np.array(quants), zeros, row_norms, templates, self.first_linear)

    def _plane(self) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
        if self._grid is None:
            pts = self.t.dataset.x_train
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            pad = 0.1 * (hi - lo)
            xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], MAP_GRID, dtype=np.float32)
            ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], MAP_GRID, dtype=np.float32)
            gx, gy = np.meshgrid(xs, ys)
            grid = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], axis=1), device=self.t.device)
            self._grid = (xs, ys, grid)
        return self._grid

    def _neuron_maps(self) -> NeuronMapEvent:
        t, model = self.t, self.t.model
        xs, ys, grid = self._plane()
        values = model.forward_all(grid)
        maps: dict[str, np.ndarray] = {}
        for nid, v in values.items():
            if v.dim() == 2:
                units = v[:, :MAX_UNITS].T.reshape(-1, len(ys), len(xs))
                maps[nid] = units.float().cpu().numpy()
        types = dict(t.node_types)
        types.setdefault(model.input_id, "Input")
        cols = [[n for n in col if n in maps] for col in self.columns]
        return NeuronMapEvent(t.step_count, xs, ys, maps, [c for c in cols if c],
                              {n: types.get(n, "") for n in maps}, model.input_id, model.output_id,
                              {n: int(values[n].shape[1]) for n in maps})

    def _hidden_space(self, values: dict[str, torch.Tensor]) -> HiddenSpaceEvent:
        t = self.t
        n = min(N_HIDDEN_POINTS, len(self.y_probe))
        points, method, kept = {}, {}, {}
        for nid in self.vector_nodes:
            if nid in values:
                points[nid], method[nid], kept[nid] = project_2d(values[nid][:n])
        return HiddenSpaceEvent(t.step_count, points, method, kept,
                                self.y_probe[:n].reshape(-1).cpu().numpy(), t.dataset.n_classes,
                                {nid: t.node_types[nid] for nid in points})

    def _recurrent(self, nid: str, values: dict[str, torch.Tensor]) -> RecurrentEvent | None:
        t, model = self.t, self.t.model
        module: Recurrent = getattr(model, nid)
        inputs = dict(model.plan)[nid]
        x_in = values[inputs[0]][:GRAD_SEQUENCES]
        if x_in.dim() != 3:
            return None
        target = self.y_probe[:GRAD_SEQUENCES] if t.ts.target != "input" else t.x_probe[:GRAD_SEQUENCES]
        with torch.enable_grad():
            out, hs, gates, back = unroll_directions(module, x_in.detach())
            # the nodes before this one as the probe pass computed them, the rest anew from `out`
            order = [node for node, _ in model.plan]
            before = set(order[:order.index(nid)]) | {model.input_id}
            vals = {node: v[:GRAD_SEQUENCES] for node, v in values.items() if node in before}
            vals[nid] = out
            for node, ins in model.plan[order.index(nid) + 1:]:
                vals[node] = getattr(model, node)(*[vals[i] for i in ins])
            loss = losses.task_loss(t.ts.loss, vals[model.output_id], target, t.kind)
            norms = gradient_through_time(hs + back, loss)
        grad_norm, grad_back = norms[:len(hs)], (norms[len(hs):] if back else None)
        shown = {k: v[:N_SEQUENCES].detach().float().cpu().numpy() for k, v in gates.items()}
        return RecurrentEvent(t.step_count, nid, type(module.rnn).__name__, shown, saturated_fraction(gates),
                              grad_norm, grad_back)
