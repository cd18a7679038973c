"""Forward against reverse mode: the same Jacobian by two kinds of pass, and what each costs.

The graph is the notes' two-layer tanh network f(x) = tanh(W₂ tanh(W₁x + b₁) + b₂), f: Rⁿ → Rᵐ,
written out as a computational graph of scalar nodes (c·a, a + b, a + c, tanh a), as an autodiff
framework sees it. Its Jacobian J = ∂f/∂x (m × n) is built two ways by hand:

- forward mode carries a dual number (value, tangent) through the graph from the inputs to the
  outputs; seeding the tangent of input j with 1 gives column j of J (a Jacobian-vector product
  J·eⱼ). n inputs need n passes.
- reverse mode first sweeps forward once, recording every node's value and local derivative (the
  tape), then sweeps back from the outputs with the chain rule, accumulating ∂fₖ/∂node in each
  node (the δ of backprop); seeding output k with 1 gives row k of J (a vector-Jacobian product
  eₖᵀ·J). m outputs need m backward passes.

Each pass costs a small multiple of one evaluation of f, so the number of passes decides: a loss
(m = 1) of many parameters (n large) takes one backward pass in reverse mode and n in forward
mode — that is why training uses backpropagation, reverse mode. For one input and many outputs
forward mode wins. The price of reverse mode is memory: it keeps the whole tape for the backward
sweeps. Elementary operations (+, −, ×, tanh) are counted as the passes execute them, and both
Jacobians are checked against torch.autograd.functional.jacobian and torch.func.jvp/vjp.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

INPUT, SCALE, ADD, SHIFT, TANH = range(5)
"""Node kinds: an input xⱼ; c·a (a weight times a value); a + b; a + c (a bias); tanh a."""
MAX_SIZE = 64
"""The largest n and m the lab accepts: 64 forward passes of a few thousand nodes stay quick."""
MAX_HIDDEN = 32
INPUTS, OUTPUTS, HIDDEN, SEED = 8, 1, 6, 0
SWEEP_SIZES = (1, 2, 4, 8, 16, 32, 64)
"""The n (with m = 1) and the m (with n = 1) of the sweep."""


@dataclass
class Graph:
    """f as a list of scalar nodes in evaluation order: node i is `kind[i]` of nodes `a[i]`
    (and `b[i]` for a sum) with constant `c[i]` (the weight or the bias)."""

    kind: list[int]
    a: list[int]
    b: list[int]
    c: list[float]
    inputs: list[int]
    outputs: list[int]
    weights: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(self.inputs)

    @property
    def m(self) -> int:
        return len(self.outputs)

    @property
    def edges(self) -> int:
        return sum(2 if k == ADD else 0 if k == INPUT else 1 for k in self.kind)


def weights(n: int, m: int, hidden: int = HIDDEN, seed: int = SEED) -> dict[str, np.ndarray]:
    """Weights scaled by 1/√fan-in (Xavier), so the tanh units sit in their curved middle."""
    for name, value, top in (("inputs n", n, MAX_SIZE), ("outputs m", m, MAX_SIZE),
                             ("hidden units", hidden, MAX_HIDDEN)):
        if not 1 <= value <= top:
            raise ValueError(f"{name} must be between 1 and {top}, got {value}")
    rng = np.random.default_rng(seed)
    return {"w1": rng.normal(0, 1 / math.sqrt(n), (hidden, n)), "b1": rng.normal(0, 0.1, hidden),
            "w2": rng.normal(0, 1 / math.sqrt(hidden), (m, hidden)), "b2": rng.normal(0, 0.1, m)}


def build(w: dict[str, np.ndarray]) -> Graph:
    """The scalar graph of tanh(W₂ tanh(W₁x + b₁) + b₂): per unit, c weight products, c − 1 sums,
    the bias and the tanh."""
    g = Graph([], [], [], [], [], [], w)

    def node(kind: int, a: int = -1, b: int = -1, c: float = 0.0) -> int:
        g.kind.append(kind)
        g.a.append(a)
        g.b.append(b)
        g.c.append(c)
        return len(g.kind) - 1

    units = [node(INPUT) for _ in range(w["w1"].shape[1])]
    g.inputs = list(units)
    for wm, bv in ((w["w1"], w["b1"]), (w["w2"], w["b2"])):
        layer = []
        for r in range(wm.shape[0]):
            s = -1
            for col, u in enumerate(units):
                term = node(SCALE, u, c=float(wm[r, col]))
                s = term if s < 0 else node(ADD, s, term)
            layer.append(node(TANH, node(SHIFT, s, c=float(bv[r]))))
        units = layer
    g.outputs = units
    return g


def evaluate(g: Graph, x: np.ndarray) -> tuple[list[float], int]:
    """Every node's value, and the operations it took: the cost of one evaluation of f."""
    v = [0.0] * len(g.kind)
    it = iter(float(t) for t in x)
    ops = 0
    for i, (k, a, b, c) in enumerate(zip(g.kind, g.a, g.b, g.c)):
        if k == INPUT:
            v[i] = next(it)
            continue
        v[i] = c * v[a] if k == SCALE else v[a] + v[b] if k == ADD else v[a] + c if k == SHIFT else math.tanh(v[a])
        ops += 1
    return v, ops


def forward_pass(g: Graph, x: np.ndarray, tangent: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One forward-mode pass with dual numbers (value, tangent): f(x) and J·tangent, and the
    operations it took. The value is computed along with the tangent (tanh' = 1 − tanh² needs it)."""
    v = [0.0] * len(g.kind)
    d = [0.0] * len(g.kind)
    xs, ts = iter(float(t) for t in x), iter(float(t) for t in tangent)
    ops = 0
    for i, (k, a, b, c) in enumerate(zip(g.kind, g.a, g.b, g.c)):
        if k == INPUT:
            v[i], d[i] = next(xs), next(ts)
        elif k == SCALE:
            v[i], d[i] = c * v[a], c * d[a]
            ops += 2
        elif k == ADD:
            v[i], d[i] = v[a] + v[b], d[a] + d[b]
            ops += 2
        elif k == SHIFT:
            v[i], d[i] = v[a] + c, d[a]
            ops += 1
        else:
            t = math.tanh(v[a])
            v[i], d[i] = t, (1.0 - t * t) * d[a]
            ops += 4                                    # tanh, t², 1 − t², × tangent
    return np.array([v[o] for o in g.outputs]), np.array([d[o] for o in g.outputs]), ops


@dataclass
class Tape:
    """What reverse mode's recording sweep keeps for the backward sweeps: every node's value and
    its local derivative(s). Its size is the memory reverse mode pays."""

    values: list[float]
    local: list[float]       # ∂node/∂a: c for c·a, 1 for sums, 1 − tanh² for tanh
    ops: int


def record(g: Graph, x: np.ndarray) -> Tape:
    v, ops = evaluate(g, x)
    local = [0.0] * len(g.kind)
    for i, (k, c) in enumerate(zip(g.kind, g.c)):
        if k == SCALE:
            local[i] = c
        elif k in (ADD, SHIFT):
            local[i] = 1.0
        elif k == TANH:
            local[i] = 1.0 - v[i] * v[i]
            ops += 2
    return Tape(v, local, ops)


def backward_pass(g: Graph, tape: Tape, cotangent: np.ndarray) -> tuple[np.ndarray, int]:
    """One reverse-mode sweep from the outputs back to the inputs: cotangentᵀ·J, and the operations
    it took. Each node passes its adjoint times its local derivative to its parents; a parent's
    first contribution is stored, each later one added (an input feeds every hidden unit)."""
    adj = [0.0] * len(g.kind)
    seen = [False] * len(g.kind)
    for o, w in zip(g.outputs, cotangent):
        adj[o], seen[o] = float(w), True
    ops = 0

    def give(p: int, value: float) -> None:
        nonlocal ops
        if seen[p]:
            adj[p] += value
            ops += 1
        else:
            adj[p], seen[p] = value, True

    for i in range(len(g.kind) - 1, -1, -1):
        k = g.kind[i]
        if k == INPUT:
            continue
        if k == ADD:
            give(g.a[i], adj[i])
            give(g.b[i], adj[i])
        elif k == SHIFT:
            give(g.a[i], adj[i])
        else:                                            # c·a and tanh: times the local derivative
            give(g.a[i], tape.local[i] * adj[i])
            ops += 1
    return np.array([adj[j] for j in g.inputs]), ops


@dataclass
class ModeResult:
    """One mode's Jacobian and its cost: `passes` JVPs (forward, one per input) or backward sweeps
    (reverse, one per output), and every elementary operation they executed."""

    mode: str
    jacobian: np.ndarray     # (m, n)
    passes: int
    ops: int                 # all of it: for reverse mode the recording sweep too
    ops_per_pass: int
    record_ops: int = 0      # reverse mode's one recording sweep (0 for forward mode)
    tape_size: int = 0       # values reverse mode keeps for its backward sweeps

    def as_json(self) -> dict:
        return {"mode": self.mode, "jacobian": self.jacobian.tolist(), "passes": self.passes, "ops": self.ops,
                "ops_per_pass": self.ops_per_pass, "record_ops": self.record_ops, "tape_size": self.tape_size}


def forward_jacobian(g: Graph, x: np.ndarray) -> ModeResult:
    """Column j of J from the pass seeded with eⱼ: n passes."""
    columns, ops = [], []
    for j in range(g.n):
        _, column, cost = forward_pass(g, x, np.eye(g.n)[j])
        columns.append(column)
        ops.append(cost)
    return ModeResult("forward", np.column_stack(columns), g.n, sum(ops), ops[0])


def reverse_jacobian(g: Graph, x: np.ndarray) -> ModeResult:
    """One recording sweep, then row k of J from the backward sweep seeded with eₖ: m passes."""
    tape = record(g, x)
    rows, ops = [], []
    for k in range(g.m):
        row, cost = backward_pass(g, tape, np.eye(g.m)[k])
        rows.append(row)
        ops.append(cost)
    return ModeResult("reverse", np.vstack(rows), g.m, tape.ops + sum(ops), ops[0], tape.ops,
                      2 * len(tape.values))


def _torch_f(w: dict[str, np.ndarray]):
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in w.items()}
    return lambda x: torch.tanh(t["w2"] @ torch.tanh(t["w1"] @ x + t["b1"]) + t["b2"])


def torch_jacobian(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The reference: torch.autograd.functional.jacobian of the same network."""
    return torch.autograd.functional.jacobian(_torch_f(w), torch.tensor(x, dtype=torch.float64)).numpy()


def torch_func_jacobians(w: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same two recipes in torch.func: n calls of jvp give the columns, m calls of vjp the rows."""
    f, tx = _torch_f(w), torch.tensor(x, dtype=torch.float64)
    n = tx.numel()
    columns = [torch.func.jvp(f, (tx,), (torch.eye(n, dtype=torch.float64)[j],))[1] for j in range(n)]
    y, pull = torch.func.vjp(f, tx)
    rows = [pull(torch.eye(y.numel(), dtype=torch.float64)[k])[0] for k in range(y.numel())]
    return torch.stack(columns, dim=1).numpy(), torch.stack(rows).numpy()


@dataclass
class SweepPoint:
    n: int
    m: int
    forward_passes: int
    reverse_passes: int
    forward_ops: int
    reverse_ops: int
    evaluate_ops: int        # one plain evaluation of f, the unit both costs are measured in

    def as_json(self) -> dict:
        return dict(self.__dict__)


def cost(n: int, m: int, hidden: int = HIDDEN, seed: int = SEED) -> SweepPoint:
    """Both modes run on a graph of n inputs and m outputs, their passes and operations counted."""
    g = build(weights(n, m, hidden, seed))
    x = np.random.default_rng(seed + 1).normal(size=n)
    fw, rv = forward_jacobian(g, x), reverse_jacobian(g, x)
    return SweepPoint(n, m, fw.passes, rv.passes, fw.ops, rv.ops, evaluate(g, x)[1])


@dataclass
class Sweep:
    """The lesson in numbers: along n (m = 1, a loss of many inputs) reverse mode stays at one
    backward pass while forward mode grows as n; along m (n = 1) the other way round."""

    hidden: int
    seed: int
    along_n: list[SweepPoint]    # m = 1
    along_m: list[SweepPoint]    # n = 1

    def as_json(self) -> dict:
        return {"hidden": self.hidden, "seed": self.seed, "along_n_with_m_1": [p.as_json() for p in self.along_n],
                "along_m_with_n_1": [p.as_json() for p in self.along_m]}


def sweep(hidden: int = HIDDEN, seed: int = SEED, sizes: tuple[int, ...] = SWEEP_SIZES) -> Sweep:
    return Sweep(hidden, seed, [cost(s, 1, hidden, seed) for s in sizes], [cost(1, s, hidden, seed) for s in sizes])


@dataclass
class AutodiffLab:
    n: int
    m: int
    hidden: int
    seed: int
    x: np.ndarray            # (n,) the point
    value: np.ndarray        # (m,) f(x)
    nodes: int
    edges: int
    evaluate_ops: int        # one plain evaluation of f
    forward: ModeResult
    reverse: ModeResult
    autograd: np.ndarray     # (m, n) torch.autograd.functional.jacobian
    func_jvp: np.ndarray     # (m, n) from torch.func.jvp, column by column
    func_vjp: np.ndarray     # (m, n) from torch.func.vjp, row by row
    sweep: Sweep

    @property
    def max_abs_diff(self) -> dict[str, float]:
        """Each hand-made Jacobian (and torch.func's) against torch.autograd's."""
        return {name: float(np.max(np.abs(j - self.autograd))) for name, j in
                (("forward", self.forward.jacobian), ("reverse", self.reverse.jacobian),
                 ("torch_func_jvp", self.func_jvp), ("torch_func_vjp", self.func_vjp))}

    @property
    def cheaper(self) -> str:
        """The mode that executed fewer operations here ("tie" when equal)."""
        f, r = self.forward.ops, self.reverse.ops
        return "forward" if f < r else "reverse" if r < f else "tie"

    def verdict(self) -> str:
        f, r = self.forward, self.reverse
        lead = (f"forward mode: {f.passes} pass{'es' * (f.passes != 1)} (one per input), {f.ops} operations; "
                f"reverse mode: 1 recording sweep + {r.passes} backward pass{'es' * (r.passes != 1)} "
                f"(one per output), {r.ops} operations")
        if self.cheaper == "tie":
            return lead + "; they cost the same here"
        ratio = max(f.ops, r.ops) / min(f.ops, r.ops)
        return lead + f"; {self.cheaper} mode is {ratio:.2g}× cheaper here"

    def as_json(self) -> dict:
        return {"inputs": self.n, "outputs": self.m, "hidden": self.hidden, "seed": self.seed,
                "graph": "tanh(W2 tanh(W1 x + b1) + b2)", "nodes": self.nodes, "edges": self.edges,
                "x": self.x.tolist(), "value": self.value.tolist(), "evaluate_ops": self.evaluate_ops,
                "forward": self.forward.as_json(), "reverse": self.reverse.as_json(),
                "autograd_jacobian": self.autograd.tolist(), "max_abs_diff_vs_autograd": self.max_abs_diff,
                "cheaper": self.cheaper, "verdict": self.verdict(), "sweep": self.sweep.as_json()}


def explore(n: int = INPUTS, m: int = OUTPUTS, hidden: int = HIDDEN, seed: int = SEED,
            with_sweep: Sweep | None = None) -> AutodiffLab:
    """The Jacobian at a random point by both modes and by torch, and the sweep (`with_sweep`: one
    already computed, reused when its hidden width and seed match)."""
    w = weights(n, m, hidden, seed)
    g = build(w)
    x = np.random.default_rng(seed + 1).normal(size=n)
    values, evaluate_ops = evaluate(g, x)
    jvp_j, vjp_j = torch_func_jacobians(w, x)
    swept = with_sweep if with_sweep is not None and (with_sweep.hidden, with_sweep.seed) == (hidden, seed) \
        else sweep(hidden, seed)
    return AutodiffLab(n, m, hidden, seed, x, np.array([values[o] for o in g.outputs]), len(g.kind), g.edges,
                       evaluate_ops, forward_jacobian(g, x), reverse_jacobian(g, x), torch_jacobian(w, x),
                       jvp_j, vjp_j, swept)
