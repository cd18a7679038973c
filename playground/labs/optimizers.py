"""The optimizer race: the real `torch.optim` classes on 2-D surfaces, beside hand-written
reference updates (the course notes' formulas) that must trace the same path.

`quadratic_steps` answers "how many steps to cut the error by 10^6" on the ravine
f = ½(u² + K v²) (u, v: the plane turned by 30°) with condition number K, each method at its best settings (a grid search run
on the reference updates, vectorised over every candidate at once, then confirmed with the real
optimizer). At K = 100 gradient descent needs about 691 steps and heavy-ball momentum about 69
("Why Momentum Really Works": rates (K−1)/(K+1) against (√K−1)/(√K+1)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from playground.core.heavy_imports import load_torch_machinery

METHODS = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
LABELS = {"gd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "Adagrad",
          "rmsprop": "RMSProp", "adam": "Adam"}
MOMENTUM = 0.9
CUT = 1e-6
"""The error ||w − w*|| must fall to CUT times its start."""


# ---------------------------------------------------------------- surfaces
@dataclass(frozen=True)
class Surface:
    name: str
    title: str
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minimum: tuple[float, float] | None
    lrs: dict[str, float]
    """Default learning rate per method: each moves visibly without blowing up."""
    condition: float | None = None
    """The quadratic ravine's condition number K (None for the other surfaces)."""


def _rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _beale(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def _saddle(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return x ** 2 - y ** 2


def _plateau(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 1 - torch.exp(-(x ** 2 + y ** 2) / 2)


RAVINE_ANGLE = math.radians(30.0)
"""The ravine's long axis is turned off the coordinate axes: methods that scale each coordinate
on its own (Adagrad, RMSProp, Adam) would otherwise solve an axis-aligned one in a step or two."""


def ravine_matrix(condition: float) -> torch.Tensor:
    """A = R diag(1, K) Rᵀ: the Hessian of the ravine, curvatures 1 and K."""
    c, s = math.cos(RAVINE_ANGLE), math.sin(RAVINE_ANGLE)
    r = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return r @ torch.diag(torch.tensor([1.0, float(condition)], dtype=torch.float64)) @ r.T


def quadratic(condition: float) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The ravine ½ wᵀAw with curvatures 1 and K (condition number K), turned by RAVINE_ANGLE."""
    c, s, k = math.cos(RAVINE_ANGLE), math.sin(RAVINE_ANGLE), float(condition)

    def f(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u ** 2 + k * v ** 2)
    return f


def surface(name: str, condition: float = 10.0) -> Surface:
    if name == "rosenbrock":
        return Surface(name, "Rosenbrock (1−x)² + 100(y−x²)²", _rosenbrock, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0),
                       (1.0, 1.0), {"gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.5,
                                    "rmsprop": 0.01, "adam": 0.05})
    if name == "beale":
        return Surface(name, "Beale", _beale, (1.0, 1.4), (-4.5, 4.5), (-4.5, 4.5), (3.0, 0.5),
                       {"gd": 1e-3, "momentum": 5e-4, "nesterov": 5e-4, "adagrad": 0.5,
                        "rmsprop": 0.01, "adam": 0.05})
    if name == "saddle":
        return Surface(name, "Saddle x² − y²", _saddle, (-1.5, 1e-3), (-2.0, 2.0), (-2.0, 2.0), None,
                       {"gd": 0.05, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.2,
                        "rmsprop": 0.02, "adam": 0.05})
    if name == "quadratic":
        k = float(condition)
        if not (1.0 <= k <= 1e6):
            raise ValueError(f"condition number must be between 1 and 1e6, got {condition}")
        title = f"Quadratic ravine ½(u² + {k:g}·v²), axes turned 30°, condition number {k:g}"
        return Surface(name, title, quadratic(k), (1.0, 1.0), (-1.5, 1.5),
                       (-1.5, 1.5), (0.0, 0.0),
                       {"gd": 1.0 / k, "momentum": 0.5 / k, "nesterov": 0.5 / k, "adagrad": 0.5,
                        "rmsprop": 0.02, "adam": 0.05}, k)
    if name == "plateau":
        return Surface(name, "Plateau 1 − exp(−(x² + y²)/2)", _plateau, (3.0, 2.5), (-4.0, 4.0), (-4.0, 4.0),
                       (0.0, 0.0), {"gd": 0.5, "momentum": 0.5, "nesterov": 0.5, "adagrad": 0.5,
                                    "rmsprop": 0.02, "adam": 0.05})
    raise ValueError(f"unknown surface {name!r}; known: {', '.join(SURFACES)}")


SURFACES = ("rosenbrock", "beale", "saddle", "quadratic", "plateau")


def contour_grid(s: Surface, n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (n,), ys (n,), f on the grid (n, n) with rows = y."""
    xs = torch.linspace(*s.x_range, n, dtype=torch.float64)
    ys = torch.linspace(*s.y_range, n, dtype=torch.float64)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return xs.numpy(), ys.numpy(), s.f(gx, gy).numpy()


# ---------------------------------------------------------------- real optimizers
def make_optimizer(method: str, params: list[torch.Tensor], lr: float,
                   momentum: float = MOMENTUM) -> torch.optim.Optimizer:
    """The torch.optim class behind each name, with PyTorch's defaults otherwise."""
    load_torch_machinery()   # (a lab computes on a thread of its own, maybe beside a training)
    if method == "gd":
        return torch.optim.SGD(params, lr=lr)
    if method == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    if method == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=True)
    if method == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if method == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if method == "adam":
        return torch.optim.Adam(params, lr=lr)
    raise ValueError(f"unknown optimizer {method!r}; known: {', '.join(METHODS)}")


DIVERGED = 1e6
"""A path whose coordinates pass this has diverged: the race stops it there."""


@dataclass
class Path:
    """One optimizer's run: where it was, and what it saw there (step mode reads these)."""

    method: str
    lr: float
    points: np.ndarray      # (n + 1, 2)
    values: np.ndarray      # (n + 1,) f at each point
    grads: np.ndarray       # (n, 2) the gradient at step k's point
    velocity: np.ndarray    # (n, 2) momentum buffer or Adam's first moment after step k (0 if none)
    scale: np.ndarray       # (n, 2) the adaptive factor 1/(√v + ε) after step k (1 for SGD)

    @property
    def diverged_at(self) -> int | None:
        """The step at which the path ran away (beyond DIVERGED or to a non-finite point), where
        it stops; None for a path that ran its steps."""
        end = self.points[-1]
        return len(self.points) - 1 if not np.all(np.isfinite(end)) or np.abs(end).max() > DIVERGED else None


def _state_arrays(method: str, opt: torch.optim.Optimizer, p: torch.Tensor, step: int) -> tuple[np.ndarray, np.ndarray]:
    st = opt.state[p]
    zero = np.zeros(2)
    if method in ("momentum", "nesterov"):
        return st["momentum_buffer"].detach().numpy().copy(), np.ones(2)
    if method == "adagrad":
        return zero, 1.0 / (np.sqrt(st["sum"].numpy()) + 1e-10)
    if method == "rmsprop":
        return zero, 1.0 / (np.sqrt(st["square_avg"].numpy()) + 1e-8)
    if method == "adam":
        bc2 = 1 - 0.999 ** step
        return st["exp_avg"].numpy().copy(), 1.0 / (np.sqrt(st["exp_avg_sq"].numpy() / bc2) + 1e-8)
    return zero, np.ones(2)


def run_torch(f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], start: tuple[float, float],
              method: str, lr: float, steps: int, momentum: float = MOMENTUM) -> Path:
    """`steps` updates of the real torch.optim class from `start` (float64)."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(method, [p], lr, momentum)
    pts, vals = [p.detach().numpy().copy()], []
    grads, vel, scale = [], [], []
    for k in range(1, steps + 1):
        opt.zero_grad()
        loss = f(p[0], p[1])
        loss.backward()
        vals.append(loss.item())
        grads.append(p.grad.numpy().copy())
        opt.step()
        v, s = _state_arrays(method, opt, p, k)
        vel.append(v)
        scale.append(s)
        x = p.detach().numpy().copy()
        pts.append(x)
        if not np.all(np.isfinite(x)) or np.abs(x).max() > DIVERGED:
            break   # diverged: the path ends where it left the plot
    with torch.no_grad():
        vals.append(float(f(p[0], p[1])))
    return Path(method, lr, np.array(pts), np.array(vals), np.array(grads).reshape(-1, 2),
                np.array(vel).reshape(-1, 2), np.array(scale).reshape(-1, 2))


# ---------------------------------------------------------------- hand-written references
@dataclass
class Reference:
    """The course notes' update rules, vectorised over a batch of candidates: every tensor is
    (G, 2) and lr/momentum are (G, 1), so a grid search is one loop over steps."""

    method: str
    lr: torch.Tensor
    momentum: torch.Tensor
    t: int = 0
    state: dict[str, torch.Tensor] = field(default_factory=dict)

    def step(self, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        self.t += 1
        m, lr, st = self.method, self.lr, self.state
        if m == "gd":
            return x - lr * g
        if m in ("momentum", "nesterov"):   # PyTorch's form: b = μb + g (b = g at first)
            b = st["b"] = g.clone() if self.t == 1 else self.momentum * st["b"] + g
            return x - lr * (g + self.momentum * b if m == "nesterov" else b)
        if m == "adagrad":                  # cache += g²; x -= lr·g/(√cache + ε)
            c = st["c"] = st.get("c", torch.zeros_like(g)) + g * g
            return x - lr * g / (c.sqrt() + 1e-10)
        if m == "rmsprop":                  # cache = ρ·cache + (1 − ρ)g²
            c = st["c"] = 0.99 * st.get("c", torch.zeros_like(g)) + 0.01 * g * g
            return x - lr * g / (c.sqrt() + 1e-8)
        if m == "adam":                     # bias-corrected first and second moments
            mm = st["m"] = 0.9 * st.get("m", torch.zeros_like(g)) + 0.1 * g
            v = st["v"] = 0.999 * st.get("v", torch.zeros_like(g)) + 0.001 * g * g
            m_hat, v_hat = mm / (1 - 0.9 ** self.t), v / (1 - 0.999 ** self.t)
            return x - lr * m_hat / (v_hat.sqrt() + 1e-8)
        raise ValueError(f"unknown optimizer {m!r}")


def run_reference(f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], start: tuple[float, float],
                  method: str, lr: float, steps: int, momentum: float = MOMENTUM) -> np.ndarray:
    """The hand-written path: (steps + 1, 2) points, gradients by autograd."""
    ref = Reference(method, torch.tensor([[lr]], dtype=torch.float64),
                    torch.tensor([[momentum]], dtype=torch.float64))
    x = torch.tensor([start], dtype=torch.float64)
    pts = [x[0].numpy().copy()]
    for _ in range(steps):
        xg = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(xg[:, 0], xg[:, 1]).sum(), xg)
        x = ref.step(x, g)
        pts.append(x[0].numpy().copy())
        if not torch.isfinite(x).all() or x.abs().max() > 1e6:
            break
    return np.array(pts)


def race(surface_name: str, lrs: dict[str, float] | None = None, steps: int = 300, condition: float = 10.0,
         methods: tuple[str, ...] = METHODS) -> tuple[Surface, dict[str, Path]]:
    """Every method from the surface's start, each at its learning rate (defaults: the surface's)."""
    s = surface(surface_name, condition)
    chosen = dict(s.lrs, **(lrs or {}))
    return s, {m: run_torch(s.f, s.start, m, chosen[m], steps) for m in methods}


# ---------------------------------------------------------------- steps to 10^-6 on the ravine
def _steps_to_cut(method: str, condition: float, lr: torch.Tensor, momentum: torch.Tensor,
                  start: tuple[float, float], max_steps: int) -> tuple[int, int]:
    """(steps, index) of the first candidate whose error ||w|| falls to CUT·||w₀|| (all run in
    step, so the first to get there is the fastest); steps is max_steps + 1 if none does."""
    hessian = ravine_matrix(condition)
    n = max(len(lr), len(momentum))
    x = torch.tensor([start], dtype=torch.float64).expand(n, 2).clone()
    target = CUT * math.hypot(*start)
    ref = Reference(method, lr, momentum)
    for k in range(1, max_steps + 1):
        x = ref.step(x, x @ hessian)
        err = x.norm(dim=1)
        hit = torch.nonzero(err <= target)
        if len(hit):
            return k, int(hit[0, 0])
        # Candidates that blew up are parked far away, where they can never count as a hit.
        x = torch.where(torch.isfinite(err)[:, None] & (err < 1e6)[:, None], x, torch.full_like(x, 1e6))
    return max_steps + 1, 0


def candidates(method: str, condition: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The settings searched: learning rates on a log grid (and momenta for the heavy-ball
    methods), plus the values theory calls optimal for the quadratic."""
    k = float(condition)
    if method in ("gd",):
        lrs = np.concatenate([np.logspace(-4, 0.5, 400), [2.0 / (1.0 + k)]])
        return torch.tensor(lrs)[:, None], torch.zeros(len(lrs), 1, dtype=torch.float64)
    if method in ("momentum", "nesterov"):
        a_opt = (2.0 / (1.0 + math.sqrt(k))) ** 2
        b_opt = ((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2
        lr_grid = np.concatenate([np.logspace(-4, 0.5, 90), [a_opt]])
        mom_grid = np.concatenate([np.linspace(0.0, 0.99, 100), [b_opt]])
        a, b = np.meshgrid(lr_grid, mom_grid, indexing="ij")
        return torch.tensor(a.reshape(-1, 1)), torch.tensor(b.reshape(-1, 1))
    lrs = np.logspace(-4, 0.5, 200)
    return torch.tensor(lrs)[:, None], torch.zeros(len(lrs), 1, dtype=torch.float64)


SEARCH_STEPS = 5000
"""How far the steps-to-10⁻⁶ search runs each setting: SGD at K = 1000 needs about K/2·ln 10⁶ ≈ 6900
steps even at its best rate, so it is "not within 5000 steps" there, not "never"."""


@dataclass
class BestSettings:
    method: str
    steps: int | None     # None: no setting reached the cut within `searched` steps
    lr: float
    momentum: float
    searched: int = SEARCH_STEPS
    """The most steps the search ran: "not within" this many, not "never", where steps is None."""


def best_settings(method: str, condition: float, max_steps: int = SEARCH_STEPS,
                  start: tuple[float, float] = (1.0, 1.0)) -> BestSettings:
    """The fewest steps any searched setting needs, confirmed by running the real optimizer."""
    lr, mom = candidates(method, condition)
    steps, i = _steps_to_cut(method, condition, lr, mom, start, max_steps)
    best_lr, best_mom = float(lr[i, 0]), float(mom[i, 0])
    if steps > max_steps:
        return BestSettings(method, None, best_lr, best_mom, max_steps)
    path = run_torch(quadratic(condition), start, method, best_lr, steps, best_mom)
    err = np.linalg.norm(path.points, axis=1)
    reached = np.nonzero(err <= CUT * math.hypot(*start) * (1 + 1e-9))[0]
    return BestSettings(method, int(reached[0]) if len(reached) else None, best_lr, best_mom, max_steps)


def quadratic_steps(condition: float, methods: tuple[str, ...] = METHODS,
                    max_steps: int = SEARCH_STEPS) -> dict[str, BestSettings]:
    return {m: best_settings(m, condition, max_steps) for m in methods}


def best_json(condition: float, best: dict[str, BestSettings]) -> dict:
    return {"surface": "quadratic", "condition": condition, "cut": CUT,
            "steps": {m: b.steps for m, b in best.items()},
            "searched_steps": max((b.searched for b in best.values()), default=SEARCH_STEPS),
            "settings": {m: {"lr": b.lr, "momentum": b.momentum} for m, b in best.items()}}


def race_json(surface_name: str, condition: float, steps: int, lrs: dict[str, float] | None = None,
              raced: tuple[Surface, dict[str, Path]] | None = None) -> dict:
    """What `playground lab optimizers --json` prints: steps-to-10^-6 on the ravine, or the race
    (`raced`: a race already run with these settings)."""
    if surface_name == "quadratic":
        return best_json(condition, quadratic_steps(condition))
    s, paths = raced or race(surface_name, lrs, steps, condition)
    out = {"surface": surface_name, "start": list(s.start), "steps": steps, "paths": {}}
    for m, p in paths.items():
        end = p.points[-1]
        out["paths"][m] = {"lr": p.lr, "final_point": [float(v) for v in end], "final_value": float(p.values[-1]),
                           "distance_to_minimum": (float(np.hypot(*(end - np.array(s.minimum))))
                                                   if s.minimum is not None else None)}
    return out
