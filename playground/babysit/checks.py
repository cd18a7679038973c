"""Pre-flight checks: what the notes ask a person to verify before a long training run.

1. The loss at initialization is what chance predicts (ln C for C classes) with the
   regularization off: a wrong value points at the output layer's init or the loss.
2. The network can overfit a tiny subset (20 fixed examples) to zero training error: if it
   cannot, something in the wiring, the loss or the learning rate is broken.
3. The same steps with zeroed inputs end clearly worse: otherwise the model ignores its input.
4. The backward pass agrees with centred finite differences in float64 (a custom layer's
   gradient is wrong otherwise).

Each check returns a `CheckResult` with the number measured, the number expected, what each
of them is (the two differ from check to check: a loss, a rise of the loss, an accuracy, a
relative error; the expected one a target or a bound) and a one-line why, so a student sees the
reasoning and not only a colour. Each is declared once, with the title the app shows, by
`@register_check(name, title, doing, measured=..., expected=...)`; `playground check` and the
app's Pre-flight Check run and name whatever `PREFLIGHT_CHECKS` holds, in the order of registration.
"""
from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from playground.core.words import listed
from playground.training import losses
from playground.training import step as one_step
from playground.network.build import GraphModel, build_model
from playground.data.chance_loss import chance_loss, target_loss
from playground.training.optim import make_optimizer
from playground.network.spec import Preset, TrainSpec
from playground.training.trainer import Trainer

INITIAL_LOSS_BAND = (0.5, 1.5)
"""Red outside this band around the expected initial loss (a factor of it)."""
TINY_EXAMPLES = 20
L2_CHECK = 1e-2
"""The L2 strength the regularization check adds (ten times the preset's when that is larger)."""
OVERFIT_MAX_STEPS = 500
OVERFIT_MIN_STEPS = 100
"""The input-independence comparison needs both runs to have had time to learn something."""
REGRESSION_FIT = 0.01
"""A regression or autoencoder 'fits' its tiny subset when the loss falls below 1% of the initial."""
INPUT_GAP = 1.10
"""Zeroed inputs must end at least 10% worse than the real inputs."""
GRAD_H = 1e-5
GRAD_RED, GRAD_GREEN = 1e-2, 1e-6
GRAD_COORDS = 3
"""Coordinates checked per parameter tensor (each costs two forward passes)."""
GRAD_BATCH = 8


@dataclass
class CheckResult:
    """One pre-flight check: its colour, what was measured against what was expected, and why.
    `measured_label` and `expected_label` say what the two numbers are, in a few words ("rise
    of the loss with L2 0.01", "λ·Σw²: the rise must equal it"); left empty, `run_checks` fills
    them in from the check's declaration."""

    name: str
    status: str  # green | amber | red
    measured: float | None
    expected: float | None
    why: str
    measured_label: str = ""
    expected_label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """What `playground check --json` prints: every field, the labels of the two numbers too."""
        return asdict(self)


class ChecksCancelled(Exception):
    """The checks were cancelled (the app's dialog was closed): they stop where they are."""


CANCEL_EVERY = 10
"""Steps of a tiny training between two looks at whether the checks were cancelled."""


class CheckRun:
    """One preset's trainer and what several checks share, computed once: the tiny subset and
    the short trainings on it with real and with zeroed inputs. `cancelled`: asked between checks
    and every CANCEL_EVERY steps of a training; once it says True, ChecksCancelled is raised."""

    def __init__(self, trainer: Trainer, cancelled: Callable[[], bool] | None = None) -> None:
        self.trainer = trainer
        self.cancelled = cancelled or (lambda: False)

    def stop_if_cancelled(self) -> None:
        if self.cancelled():
            raise ChecksCancelled("the pre-flight checks were cancelled")

    @cached_property
    def tiny(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(x, y, target) of the first TINY_EXAMPLES training examples."""
        x, y = _tiny_subset(self.trainer)
        return x, y, _target(self.trainer, x, y)

    @cached_property
    def real(self) -> FitTrace:
        x, y, target = self.tiny
        return _train_tiny(self.trainer, x, y, target, OVERFIT_MAX_STEPS, until_fit=True, run=self)

    @cached_property
    def zeroed(self) -> FitTrace:
        x, y, target = self.tiny
        return _train_tiny(self.trainer, torch.zeros_like(x), y, target, len(self.real.losses), until_fit=False,
                           run=self)


@dataclass(frozen=True)
class PreflightCheck:
    """One declared check: its name (the result's), the title the app shows, a few words on what
    it does ("Checking: ..."), the function that runs it, and what its measured and expected
    numbers are (a result's own labels, where it gives them, win)."""

    name: str
    title: str
    doing: str
    run: Callable[[CheckRun], CheckResult]
    measured: str = ""
    expected: str = ""

    def result(self, run: CheckRun) -> CheckResult:
        """The check's result, its numbers labelled."""
        r = self.run(run)
        return replace(r, measured_label=r.measured_label or self.measured,
                       expected_label=r.expected_label or self.expected)


PREFLIGHT_CHECKS: dict[str, PreflightCheck] = {}
"""Every pre-flight check by name, in the order they run."""


def register_check(name: str, title: str, doing: str, measured: str = "", expected: str = ""
                   ) -> Callable[[Callable[[CheckRun], CheckResult]], Callable[[CheckRun], CheckResult]]:
    """Declare a pre-flight check: decorate a function of a `CheckRun` returning its CheckResult.
    `measured` and `expected`: what its two numbers are, in a few words (shown beside them)."""
    def declare(run: Callable[[CheckRun], CheckResult]) -> Callable[[CheckRun], CheckResult]:
        PREFLIGHT_CHECKS[name] = PreflightCheck(name, title, doing, run, measured, expected)
        return run
    return declare


def check_title(name: str) -> str:
    """The title the app shows for a check's result."""
    check = PREFLIGHT_CHECKS.get(name)
    return check.title if check is not None else name


def checking_text() -> str:
    """What the checks do, in one sentence, for while they run."""
    return f"Checking: {listed([c.doing for c in PREFLIGHT_CHECKS.values()])}…"


def checks_listed() -> str:
    """The checks' titles in the order they run, as one phrase ("loss at initialization, …, and
    gradient check (float64)"): the app's menu says what a pre-flight check runs from this, so a
    registered check is named there too."""
    return listed([c.title[:1].lower() + c.title[1:] for c in PREFLIGHT_CHECKS.values()])


# ------------------------------------------------------------------ shared pieces

def _no_regularization(ts: TrainSpec) -> TrainSpec:
    """The settings with every penalty and weight decay off (the checks measure the data loss)."""
    ts = copy.deepcopy(ts)
    ts.l1 = ts.l2 = ts.weight_decay = ts.contractive = 0.0
    ts.sparsity = "none"
    ts.max_norm = 0.0
    ts.schedule = "constant"
    return ts


def _dropout_off(model: nn.Module) -> None:
    """Dropout behaves as at test time; everything else (BatchNorm) keeps training behaviour."""
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()


def _target(trainer: Trainer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return x if trainer.ts.target == "input" else y


def expected_initial_loss(loss: str, kind: str, n_classes: int, target: np.ndarray | torch.Tensor,
                          n_outputs: int) -> float | None:
    """What the loss should be before any training (regularization off), or None if unknown.

    Cross-entropy over C classes: ln C (every class equally likely). BCE: ln 2 for balanced
    binary targets. MSE: the targets' spread about the untrained output, Var(y) for a zero-mean
    output and centred targets. L1: the mean absolute target about it. Hinge: 1 (zero margin).
    """
    t = torch.as_tensor(target)
    by_rule = chance_loss(loss, n_outputs) if loss != "cross_entropy" or n_classes > 0 else None
    if by_rule is not None:
        return by_rule[0]
    if t.dtype == torch.int64:  # labels regressed as one-hot vectors
        t = torch.nn.functional.one_hot(t, max(2, n_outputs))
    return target_loss(loss, t.double().numpy(), kind)


def _tiny_subset(trainer: Trainer, n: int = TINY_EXAMPLES) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n training examples (a fixed subset: the same every time the check runs)."""
    k = min(n, trainer.n_train)
    return trainer.x_train[:k].cpu(), trainer.y_train[:k].cpu()


def _fresh_model(trainer: Trainer) -> GraphModel:
    return build_model(trainer.preset.model, seed=trainer.ts.seed)


# ------------------------------------------------------------------ 1. loss at initialization

def check_initial_loss(trainer: Trainer) -> CheckResult:
    ts = trainer.ts
    name = "initial_loss"
    if ts.mode == "perceptron":
        return CheckResult(name, "amber", None, None, "does not apply: the perceptron rule starts from θ = 0 "
                                                       "and has no loss to check")
    n = min(max(ts.batch_size, 64), trainer.n_train)
    x, y = trainer.x_train[:n].cpu(), trainer.y_train[:n].cpu()
    model = _fresh_model(trainer)
    _dropout_off(model)
    with torch.no_grad():
        out = model(x)
        measured = float(losses.task_loss(ts.loss, out, _target(trainer, x, y), trainer.kind))
    target = _target(trainer, x, y)
    expected = expected_initial_loss(ts.loss, trainer.kind, trainer.dataset.n_classes, target,
                                     int(out.shape[-1]) if out.dim() == 2 else 1)
    if expected is None or expected <= 0:
        return CheckResult(name, "amber", measured, expected, "no expected value is known for this loss and output")
    formula = (chance_loss(ts.loss, int(out.shape[-1]) if out.dim() == 2 else 1) or (expected, ""))[1]
    what = {"cross_entropy": f"{formula} for equally likely classes",
            "bce": "ln 2 for balanced binary targets", "hinge": "1: no margin yet",
            "mse": "the targets' variance about an untrained output",
            "l1": "the targets' mean distance from an untrained output"}.get(ts.loss, "")
    lo, hi = INITIAL_LOSS_BAND
    if not math.isfinite(measured):
        return CheckResult(name, "red", measured, expected, "the loss is not finite before any training: "
                                                            "check the output layer and the loss")
    ratio = measured / expected
    if lo <= ratio <= hi:
        return CheckResult(name, "green", measured, expected, f"the loss at initialization is near {what}")
    side = "higher" if ratio > hi else "lower"
    hint = ("the output layer's weights might be initialised too large, making confident wrong guesses"
            if ratio > hi else "the network might already know the answer, or the loss might be wrong for the data")
    return CheckResult(name, "red", measured, expected, f"{ratio:.1f}x {side} than {what}: {hint}")


# ------------------------------------------------------------------ 2. and 3. overfit a tiny subset

@dataclass
class FitTrace:
    """What a short training on the tiny subset did."""

    losses: list[float]
    accuracy: float | None
    steps_to_fit: int | None  # the step at which it fitted (None: it never did)


def _accuracy(out: torch.Tensor, y: torch.Tensor, kind: str) -> float:
    return float((losses.predicted_classes(out, kind) == y).float().mean())


def _train_tiny(trainer: Trainer, x: torch.Tensor, y: torch.Tensor, target: torch.Tensor,
                steps: int, until_fit: bool, run: CheckRun | None = None) -> FitTrace:
    """Full-batch steps on the subset with the preset's optimizer and learning rate, no
    regularization, dropout off. With `until_fit` it stops once fitted (after OVERFIT_MIN_STEPS);
    it raises ChecksCancelled when `run` was cancelled meanwhile."""
    ts = _no_regularization(trainer.ts)
    if ts.mode == "perceptron":
        return _perceptron_tiny(trainer, x, y, steps)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ts.seed)
        model = _fresh_model(trainer)
        _dropout_off(model)
        opt = make_optimizer(model.parameters(), ts)
        trace: list[float] = []
        fitted: int | None = None
        acc = None
        first = None
        for step in range(steps):
            if run is not None and step % CANCEL_EVERY == 0:
                run.stop_if_cancelled()
            out = model(x)
            loss = losses.task_loss(ts.loss, out, target, trainer.kind)
            value = float(loss.detach())
            trace.append(value)
            if not math.isfinite(value):
                break
            first = value if first is None else first
            if trainer.is_classifier:
                acc = _accuracy(out.detach(), y, trainer.kind)
                done = acc >= 1.0
            else:
                done = value < REGRESSION_FIT * first
            if done and fitted is None:
                fitted = step
            if until_fit and fitted is not None and step + 1 >= OVERFIT_MIN_STEPS:
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return FitTrace(trace, acc, fitted)


def _perceptron_tiny(trainer: Trainer, x: torch.Tensor, y: torch.Tensor, steps: int) -> FitTrace:
    """The perceptron rule over the subset, one pass per step, from θ = 0."""
    model = _fresh_model(trainer)
    linear = getattr(model, model.plan[0][0])
    with torch.no_grad():
        linear.weight.zero_()
        if linear.bias is not None:
            linear.bias.zero_()
        flat, signs = x.reshape(len(x), -1), y.double() * 2 - 1
        trace, fitted = [], None
        for step in range(steps):
            mistakes = 0
            for i in range(len(flat)):
                score = linear.weight[0] @ flat[i] + (linear.bias[0] if linear.bias is not None else 0.0)
                if float(signs[i] * score) <= 0:
                    linear.weight[0] += float(signs[i]) * flat[i]
                    if linear.bias is not None:
                        linear.bias[0] += float(signs[i])
                    mistakes += 1
            trace.append(mistakes / len(flat))
            if mistakes == 0:
                fitted = step
                break
        acc = float(((model(x).reshape(-1) >= 0).long() == y).float().mean())
    return FitTrace(trace, acc, fitted)


def check_overfit_tiny(trainer: Trainer, trace: FitTrace) -> CheckResult:
    name = "overfit_tiny"
    ts = trainer.ts
    n = len(_tiny_subset(trainer)[0])
    if ts.mode != "perceptron" and ts.lr == 0:
        if trainer.is_classifier:
            return CheckResult(name, "red", trace.accuracy, 1.0,
                               "the learning rate is 0: no step changes the weights, so nothing can be learned")
        return CheckResult(name, "red", trace.losses[-1], 0.0,
                           "the learning rate is 0: no step changes the weights, so nothing can be learned",
                           f"training loss on the {n} examples", "the loss of a perfect fit")
    if trace.losses and not math.isfinite(trace.losses[-1]):
        return CheckResult(name, "red", trace.losses[-1], None, f"the loss became non-finite on {n} examples: "
                                                                f"the learning rate {ts.lr:g} might be too high",
                           f"training loss on the {n} examples", "")
    if trainer.is_classifier:
        acc = trace.accuracy or 0.0
        if trace.steps_to_fit is not None:
            return CheckResult(name, "green", 1.0, 1.0, f"{n} examples memorised in {trace.steps_to_fit + 1} steps")
        moved = len(trace.losses) > 1 and trace.losses[-1] < 0.999 * trace.losses[0]
        why = (f"only {acc:.0%} of {n} training examples right after {len(trace.losses)} steps"
               + ("" if moved else f"; the loss did not move: is the learning rate {ts.lr:g} too small, "
                                   "or do the gradients vanish?"))
        still_learning = moved and trace.losses[-1] < 0.5 * trace.losses[0]
        if still_learning:
            why += "; the loss is still falling: the learning rate might be low for a quick fit"
        return CheckResult(name, "amber" if still_learning else "red", acc, 1.0, why)
    first, last = trace.losses[0], trace.losses[-1]
    frac = last / first if first > 0 else 0.0
    labels = (f"final ÷ initial training loss on the {n} examples", "fitted below this")
    if trace.steps_to_fit is not None:
        return CheckResult(name, "green", frac, REGRESSION_FIT,
                           f"loss below 1% of its initial value on {n} examples in {trace.steps_to_fit + 1} steps",
                           *labels)
    status = "amber" if frac < 0.1 else "red"
    return CheckResult(name, status, frac, REGRESSION_FIT,
                       f"after {len(trace.losses)} steps the loss is still {frac:.1%} of its initial value on {n} examples",
                       *labels)


def check_regularization_raises_loss(trainer: Trainer) -> CheckResult:
    """The notes' second sanity check: with more regularization the loss at initialization must
    rise, by the penalty itself (λ·Σw² for L2): a loss that ignores its penalty term trains
    without the regularization the settings promise."""
    name = "regularization_raises_loss"
    ts = trainer.ts
    if ts.mode == "perceptron":
        return CheckResult(name, "amber", None, None, "does not apply: the perceptron rule has no loss to regularize")
    strength = max(L2_CHECK, 10 * ts.l2)
    without, more = _no_regularization(ts), _no_regularization(ts)
    more.l2 = strength
    n = min(max(ts.batch_size, 64), trainer.n_train)
    x, y = trainer.x_train[:n].cpu(), trainer.y_train[:n].cpu()
    model = _fresh_model(trainer)
    _dropout_off(model)
    with torch.no_grad():
        data_loss = float(losses.task_loss(ts.loss, model(x), _target(trainer, x, y), trainer.kind))
        values = math.prod(trainer.dataset.input_shape)
        penalties = [float(one_step.penalty_terms(s, model, x, None, values)) for s in (without, more)]
        expected = strength * float(losses.l2_penalty(model))
    rise = penalties[1] - penalties[0]
    what = f"the loss at initialization {data_loss + penalties[0]:.4g} -> {data_loss + penalties[1]:.4g} with L2 {strength:g}"
    labels = (f"rise of the loss with L2 {strength:g}", f"λ·Σw² for λ = {strength:g}: the rise must equal it")
    if expected <= 0:
        return CheckResult(name, "amber", rise, expected, "the network has no weights an L2 penalty acts on", *labels)
    if not math.isfinite(rise) or abs(rise - expected) > 1e-6 * max(1.0, expected):
        return CheckResult(name, "red", rise, expected, f"{what}: the rise is not the penalty λ·Σw²; the loss "
                                                        f"does not regularize as the settings say", *labels)
    return CheckResult(name, "green", rise, expected, f"{what}: it rises by exactly λ·Σw², as it should", *labels)


def check_input_independent(trainer: Trainer, real: FitTrace, zeroed: FitTrace) -> CheckResult:
    name = "input_independent"
    a, b = real.losses[-1], zeroed.losses[-1]
    if not (math.isfinite(a) and math.isfinite(b)):
        return CheckResult(name, "amber", b, a, "a loss became non-finite, so the comparison says nothing")
    ratio = b / a if a > 0 else math.inf
    if ratio >= INPUT_GAP:
        return CheckResult(name, "green", b, a, f"with zeroed inputs the loss ends {ratio:.1f}x higher "
                                                f"({b:.3g} vs {a:.3g}): the model uses its input")
    return CheckResult(name, "amber", b, a, f"zeroed inputs end nearly as well ({b:.3g} vs {a:.3g}): the model "
                                            "might not be using its input")


# ------------------------------------------------------------------ 4. gradient check

KINK_TOLERANCE = 1e-2
"""One-sided slopes (forward and backward) that differ by more than this (relatively) straddle a kink."""
GRAD_FLOOR = 1e-7
"""Gradients smaller than this are not compared: the centred difference's rounding error
(about ε·|L|/h ≈ 2e-11 for a loss near 1) would dominate them (a vanishing gradient)."""
INPUT_JITTER = 1e-3
"""Exact ties (the blank background of a digit gives equal values in a max-pooling window) make
max pooling non-differentiable there; a jitter this small breaks them without changing what is
checked: that backward agrees with forward."""


def _relative_error(a: float, n: float) -> float | None:
    """|a − n| / max(|a|, |n|), or None when both are too small to compare."""
    scale = max(abs(a), abs(n))
    return abs(a - n) / scale if scale > GRAD_FLOOR else None


def gradient_check(model: nn.Module, loss_fn: Callable[[nn.Module], torch.Tensor], *,
                   h: float = GRAD_H, coords: int = GRAD_COORDS, seed: int = 0) -> tuple[float, str, int]:
    """The largest relative error between backprop and centred differences (f(w+h)−f(w−h))/2h
    over a few coordinates of every parameter tensor, the tensor where it occurred, and how many
    coordinates sat on a kink.

    Where a ReLU or a max switches within ±h (or sits exactly at w, as a dead unit's zero
    pre-activation does), the forward slope (f(w+h)−f(w))/h and the backward slope
    (f(w)−f(w−h))/h disagree: the centred difference then measures the kink, not the slope, and
    the coordinate is counted, not compared. A wrong backward pass gives agreeing one-sided
    slopes that disagree with backprop. `model` must be float64 and deterministic (dropout off);
    `loss_fn(model)` returns a scalar loss."""
    params = [(k, p) for k, p in model.named_parameters() if p.requires_grad]
    model.zero_grad(set_to_none=True)
    base_loss = loss_fn(model)
    base_loss.backward()
    base = float(base_loss.detach())
    grads = {k: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)) for k, p in params}
    gen = torch.Generator().manual_seed(seed)
    worst, where, kinks = 0.0, "", 0
    with torch.no_grad():
        for k, p in params:
            flat = p.view(-1)
            picks = torch.randperm(flat.numel(), generator=gen)[:coords].tolist()
            for i in picks:
                old = float(flat[i])
                flat[i] = old + h
                up = float(loss_fn(model))
                flat[i] = old - h
                down = float(loss_fn(model))
                flat[i] = old
                one_sided = _relative_error((up - base) / h, (base - down) / h)
                if one_sided is not None and one_sided > KINK_TOLERANCE:
                    kinks += 1
                    continue
                err = _relative_error(float(grads[k].view(-1)[i]), (up - down) / (2 * h))
                if err is None:
                    continue
                if err > worst or not math.isfinite(err):
                    worst, where = err, k
    return worst, where, kinks


def check_gradients(trainer: Trainer) -> CheckResult:
    name = "gradient_check"
    ts = trainer.ts
    if ts.mode == "perceptron":
        return CheckResult(name, "amber", None, None, "does not apply: the perceptron rule uses no gradients")
    model = copy.deepcopy(_fresh_model(trainer)).double()
    model.eval()  # dropout off, BatchNorm on its running statistics: a deterministic function
    n = min(GRAD_BATCH, trainer.n_train)
    x = trainer.x_train[:n].cpu()
    if x.is_floating_point():
        jitter = torch.randn(x.shape, generator=torch.Generator().manual_seed(ts.seed), dtype=torch.float64)
        x = x.double() + INPUT_JITTER * jitter
    y = trainer.y_train[:n].cpu()
    y = y.double() if y.is_floating_point() else y
    target = x if ts.target == "input" else y

    def loss_fn(m: nn.Module) -> torch.Tensor:
        return losses.task_loss(ts.loss, m(x), target, trainer.kind)

    worst, where, kinks = gradient_check(model, loss_fn, seed=ts.seed)
    expected = GRAD_GREEN
    kinked = f"; {kinks} coordinates sat on a kink (ReLU or max) and were not compared" if kinks else ""
    if not math.isfinite(worst) or worst > GRAD_RED:
        return CheckResult(name, "red", worst, expected, f"backprop disagrees with finite differences in "
                                                         f"'{where}' (relative error {worst:.2g}): its backward pass is wrong{kinked}")
    if worst < GRAD_GREEN:
        return CheckResult(name, "green", worst, expected, "backprop agrees with centred finite differences "
                                                           f"in float64 on every parameter tensor{kinked}")
    return CheckResult(name, "amber", worst, expected, f"relative error {worst:.2g} in '{where}': kinks (ReLU, "
                                                       f"max-pooling) or rounding on small gradients can do this; "
                                                       f"worth a look{kinked}")


# ------------------------------------------------------------------ all of them

register_check("initial_loss", "Loss at initialization", "the loss at initialization",
               measured="loss at initialization, no regularization",
               expected=f"loss of chance guesses: green within {INITIAL_LOSS_BAND[0]:g}–{INITIAL_LOSS_BAND[1]:g}× it")(
    lambda run: check_initial_loss(run.trainer))
register_check("regularization_raises_loss", "More L2 raises the loss", "that more L2 raises it",
               measured="rise of the loss with more L2", expected="λ·Σw²: the rise must equal it")(
    lambda run: check_regularization_raises_loss(run.trainer))
register_check("overfit_tiny", f"Overfit {TINY_EXAMPLES} examples", f"{TINY_EXAMPLES} examples overfitted",
               measured=f"training accuracy on the {TINY_EXAMPLES} examples", expected="all of them right")(
    lambda run: check_overfit_tiny(run.trainer, run.real))
register_check("input_independent", "Zeroed inputs do worse", "zeroed inputs",
               measured="final loss with zeroed inputs",
               expected=f"final loss with the real inputs: green at {INPUT_GAP:g}× it or more")(
    lambda run: check_input_independent(run.trainer, run.real, run.zeroed))
register_check("gradient_check", "Gradient check (float64)", "backprop against finite differences",
               measured="largest relative error, backprop against finite differences",
               expected="green below this")(
    lambda run: check_gradients(run.trainer))


def run_checks(preset: Preset, *, device: str = "cpu", trainer: Trainer | None = None,
               cancelled: Callable[[], bool] | None = None) -> list[CheckResult]:
    """Every pre-flight check on a preset, in the order the notes give them. Runs on the CPU by
    default: a few hundred steps on 20 examples need no accelerator. `cancelled` (asked between
    checks and during their trainings) stops them with ChecksCancelled: a dialog closed while
    they run must not wait seconds for them to end."""
    run = CheckRun(trainer or Trainer(preset, device=device), cancelled)
    results = []
    for check in PREFLIGHT_CHECKS.values():
        run.stop_if_cancelled()
        results.append(check.result(run))
    return results


def expected_initial_loss_of(preset: Preset) -> tuple[float, str] | None:
    """The expected loss at initialization from the spec alone (no data set built): what the loss
    panel marks on its axis. Known for cross-entropy (ln C), BCE (ln 2) and hinge (1); None for
    regression losses, whose value depends on the targets, and for the perceptron rule."""
    ts = preset.training
    if ts.mode == "perceptron" or ts.target == "input":
        return None
    if ts.loss != "cross_entropy":
        return chance_loss(ts.loss, 1)
    from playground.network.shapes import analyze
    report = analyze(preset.model)
    shape = report.shapes.get(report.output_id) if report.ok else None
    if not shape or len(shape) != 1 or shape[0] < 2:
        return None
    return chance_loss(ts.loss, shape[0])
