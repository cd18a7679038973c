"""Live diagnoses: read the events a Trainer already emits and say, in the notes' hedged voice,
what the curves and probes might indicate, with one action that would help.

Every threshold lives in `THRESHOLDS`, each with where it comes from, so a teacher can see why
a card appeared and change one number in one place. A `Diagnostician` is fed every event
(`observe`) and returns the findings that newly fire; each fires once per layer per run, so a
card is news, not noise. It is the detector only: `playground.babysit.findings` ranks what it
finds together with the end-of-run outcome, so the app speaks with one voice.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.babysit.findings import Action, Finding
from playground.training.events import EpochEvent, Event, LossEvent, ProbeEvent, ProblemEvent


@dataclass(frozen=True)
class Threshold:
    value: float
    source: str


THRESHOLDS: dict[str, Threshold] = {
    "divergence_ema": Threshold(0.98, "fast.ai / Smith (2017) LR range test: smoothing β = 0.98 of the loss"),
    "divergence_factor": Threshold(4.0, "LR range test: stop once the smoothed loss passes 4x the best"),
    "divergence_floor": Threshold(0.25, "this project: a rise smaller than a quarter of the starting loss is a "
                                        "bump, not divergence (near-zero losses multiply easily; measured: RMSProp "
                                        "on the spiral bumps from 0.005 to 0.04 late in runs that end at 100%)"),
    "update_ratio_low": Threshold(1e-4, "course notes, babysitting: update/weight ratio about 1e-3; "
                                        "ten times lower learns too slowly"),
    "update_ratio_high": Threshold(1e-2, "course notes, babysitting: ratio about 1e-3; ten times higher "
                                         "is too aggressive. Judged for SGD, momentum and Nesterov only: an "
                                         "adaptive optimizer's step is about lr per weight whatever the gradient "
                                         "(Kingma & Ba 2015, §2.1), so its ratio reads lr/|w| and a high one means "
                                         "small weights, not a rate too high (measured: spiral_tanh stalls at "
                                         "1.2e-2 with Adam at lr 0.01 and learns at 0.03 and 0.1, where the "
                                         "ratios fall to 2e-3…9e-3 as the weights grow)"),
    "update_ratio_window": Threshold(50, "this project: median of the last 50 probes (one noisy probe is not a trend)"),
    "update_ratio_min_probes": Threshold(20, "this project: judge a ratio only after 20 probes"),
    "update_ratio_warmup": Threshold(100, "this project: probes of the first 100 steps are left out (the "
                                          "first updates of Adam and momentum are not their steady state)"),
    "overfit_gap": Threshold(0.1, "course notes: a big train/validation gap indicates overfitting; "
                                  "(val − train)/train above 10%"),
    "overfit_rising_epochs": Threshold(3, "this project: the validation loss rose three epochs in a row"),
    "overfit_rise": Threshold(0.1, "this project: and it stands 10% above its best (noise is smaller), "
                                   "while the training loss fell over the same epochs"),
    "overfit_rise_of_start": Threshold(0.2, "this project: a rise that matters is at least a fifth of the "
                                            "starting validation loss, a rise a person sees on the loss panel at "
                                            "its starting scale (a validation loss of 0.02 rising from 0.015 after "
                                            "a start of 0.6 is a wiggle of a network that generalizes)"),
    "overfit_gap_floor": Threshold(0.05, "this project: and the gap is at least 5% of the starting validation "
                                         "loss (a ratio of two near-zero losses is large by accident)"),
    "stall_window": Threshold(100, "this project: progress is the smoothed loss's fall over the last 100 steps"),
    "stall_drop": Threshold(0.05, "course notes, babysitting: watch the loss first; a ratio, dead or saturated "
                                  "units explain a loss that stalls — a smoothed loss still falling by more "
                                  "than 5% per 100 steps is learning, whatever the probes read"),
    "stall_high": Threshold(0.5, "this project: and it still stands above half its starting value (a plateau "
                                 "below that is convergence: the network has learned, not stalled); for a "
                                 "classifier whose data's reach is known (`outcome.accuracy_bar`), the plateau "
                                 "counts instead while the validation accuracy stands below that bar — a loss "
                                 "that stays high on noisy data may be all the data allows, and one that "
                                 "halves from an inflated start may still be far from it"),
    "dead_relu": Threshold(0.5, "CS231n: units that never activate are dead; more than half of a layer"),
    "saturation": Threshold(0.5, "course notes: sigmoid/tanh saturate and kill gradients; more than half "
                                 "of the activations"),
    "saturation_level": Threshold(0.99, "|a| > 0.99 of the tanh range (sigmoid: a < 0.01 or a > 0.99)"),
    "vanishing_ratio": Threshold(1e-3, "course notes, initialization: gradients shrink layer by layer; "
                                       "first/last layer gradient norm below 1e-3"),
    "exploding_ratio": Threshold(70.0, "this project: first/last layer gradient norm above 70"),
    "gradient_probes": Threshold(5, "this project: median over the last 5 probes, skipping the first"),
    "persist_probes": Threshold(2, "this project: dead on 2 probes in a row"),
    "saturation_persist_probes": Threshold(8, "this project: saturated on 8 probes in a row (200 steps at the usual "
                                              "probe interval): a high starting rate saturates tanh units for a while "
                                              "and a decaying schedule brings them back (measured: lr_decay_step and "
                                              "_exponential saturate for up to 150 steps, then reach 97%)"),
}


def t(name: str) -> float:
    return THRESHOLDS[name].value


ADAPTIVE = ("adam", "adamw", "rmsprop", "adagrad")
"""Optimizers that divide each weight's step by its own gradient scale: their step is about lr."""

_SATURATING = {"Tanh": (-1.0, 1.0), "Sigmoid": (0.0, 1.0)}


def saturated_fraction(layer_type: str, counts: np.ndarray, edges: np.ndarray) -> float | None:
    """Share of a tanh/sigmoid layer's probe activations within 1% of its bounds, read off the
    probe histogram: a bin reaching past the level counts whole, because saturated values pile
    up against the bound rather than spreading evenly over their bin."""
    if layer_type not in _SATURATING or counts.sum() <= 0:
        return None
    lo_b, hi_b = _SATURATING[layer_type]
    half = (hi_b - lo_b) / 2
    mid = (hi_b + lo_b) / 2
    level = t("saturation_level") * half
    lo_cut, hi_cut = mid - level, mid + level
    left, right = edges[:-1], edges[1:]
    outer = (right > hi_cut) | (left < lo_cut)
    return float(counts[outer].sum() / counts.sum())


def _share(fraction: float) -> str:
    """A share as a person says it: "more than half", "nine in ten"."""
    if fraction >= 0.995:
        return "all"
    tenths = round(fraction * 10)
    if abs(fraction - 0.5) < 0.05:
        return "half"
    return f"{tenths} in 10" if 1 <= tenths <= 9 else f"{fraction:.0%}"


class Diagnostician:
    """Feed it every event of one run; it returns the findings that newly fire."""

    def __init__(self, lr: float = 1e-3, optimizer: str = "", accuracy_bar: float | None = None) -> None:
        """`accuracy_bar`: for a classifier, the validation accuracy below which the run is far from
        what its data allows (`playground.babysit.outcome.accuracy_bar`); None when unknown."""
        self.lr, self.optimizer, self.accuracy_bar = lr, optimizer, accuracy_bar
        self.fired: dict[tuple[str, str], Finding] = {}
        self._ema: float | None = None
        self._start: float | None = None
        self._best = math.inf
        self._history: deque[tuple[int, float]] = deque()   # (step, smoothed loss) over the stall window
        self._ratios: dict[str, deque[float]] = {}
        self._n_probes = 0
        self._grad_ratios: deque[float] = deque(maxlen=int(t("gradient_probes")))
        self._dead: dict[str, int] = {}
        self._sat: dict[str, int] = {}
        self._epochs: list[EpochEvent] = []

    @property
    def findings(self) -> list[Finding]:
        return list(self.fired.values())

    def observe(self, event: Event) -> list[Finding]:
        found: list[Finding] = []
        if isinstance(event, LossEvent):
            if event.lr:
                self.lr = float(event.lr)
            found += self._losses(event)
        elif isinstance(event, ProblemEvent) and event.kind == "non_finite":
            found.append(self._divergence(event.step, math.nan))
        elif isinstance(event, ProbeEvent):
            found += self._probe(event)
        elif isinstance(event, EpochEvent):
            self.lr = float(event.lr) or self.lr
            self._epochs.append(event)
            found += self._overfitting(event)
        new = [d for d in found if d.key not in self.fired]
        for d in new:
            self.fired[d.key] = d
        return new

    # ---------------------------------------------------------------- the loss
    def _losses(self, event: LossEvent) -> list[Finding]:
        beta = t("divergence_ema")
        window = t("stall_window")
        for step, loss in zip(event.steps.tolist(), event.losses.tolist()):
            if not math.isfinite(loss):
                return [self._divergence(int(step), loss)]
            self._ema = loss if self._ema is None else beta * self._ema + (1 - beta) * loss
            if self._start is None:
                self._start = loss
            self._best = min(self._best, self._ema)
            self._history.append((int(step), self._ema))
            while len(self._history) > 1 and self._history[1][0] <= step - window:
                self._history.popleft()
            if self.diverging(step, self._ema):
                return [self._divergence(int(step), self._ema)]
        return []

    def diverging(self, step: int, smoothed: float) -> bool:
        """The divergence rule: the smoothed loss stands more than `divergence_factor` times above its
        best, by more than `divergence_floor` of the starting loss."""
        return (smoothed > t("divergence_factor") * self._best
                and smoothed - self._best > t("divergence_floor") * max(self._start or 0.0, 1e-12))

    def stalled(self) -> bool:
        """The loss has not fallen by `stall_drop` over the last `stall_window` steps, short of a
        good result (`stall_high`: the validation accuracy below `accuracy_bar` where that is known,
        else a loss above half its start): only then do the probes' readings explain anything
        (before a whole window, nothing can be told yet)."""
        if self._ema is None or len(self._history) < 2:
            return False
        then_step, then = self._history[0]
        now_step, now = self._history[-1]
        if now_step - then_step < t("stall_window") * 0.9:
            return False
        if now < (1 - t("stall_drop")) * then:
            return False
        accuracy = self._epochs[-1].val_accuracy if self._epochs else None
        if self.accuracy_bar is not None and accuracy is not None and math.isfinite(accuracy):
            return accuracy < self.accuracy_bar
        return now > t("stall_high") * (self._start or 0.0)

    def _divergence(self, step: int, smoothed: float) -> Finding:
        lower = self.lr / 10
        if math.isfinite(smoothed):
            evidence = (f"Loss panel: the smoothed training loss (EMA {t('divergence_ema'):g}) is {smoothed:.3g} at "
                        f"step {step}, more than {t('divergence_factor'):g} times its best {self._best:.3g}")
        else:
            evidence = f"Loss panel: the training loss became NaN or infinite at step {step}"
        return Finding(
            "divergence", "critical", step, "The loss is diverging",
            Action("Lower the learning rate to {value}", "lr", lower, -1), "", evidence,
            (f"the learning rate {self.lr:g} might be too high for {self.optimizer or 'this optimizer'}",
             "gradients might be exploding (deep or recurrent networks)",
             "a log of zero: a Softmax/Sigmoid output with a loss that takes its log"),
            ("divergence_ema", "divergence_factor", "divergence_floor"))

    # ---------------------------------------------------------------- probes
    def _probe(self, event: ProbeEvent) -> list[Finding]:
        self._n_probes += 1
        found: list[Finding] = []
        window = int(t("update_ratio_window"))
        weighted = [p for p in event.layers if p.grad_norm is not None]
        output = event.layers[-1].node_id if event.layers else ""
        stalled = self.stalled()
        for p in event.layers:
            if (p.update_ratio is not None and math.isfinite(p.update_ratio)
                    and event.step >= t("update_ratio_warmup")):
                self._ratios.setdefault(p.node_id, deque(maxlen=window)).append(p.update_ratio)
            if p.node_id != output:  # a saturated output sigmoid is a confident prediction, not a fault
                found += self._activations(event.step, p, stalled)
        for nid, ratios in self._ratios.items():
            if len(ratios) >= t("update_ratio_min_probes") and stalled:
                median = float(np.median(ratios))
                too_high = median > t("update_ratio_high") and self.optimizer not in ADAPTIVE
                if median < t("update_ratio_low") or too_high:
                    found.append(self._update_ratio(event.step, nid, median, len(ratios)))
        if len(weighted) >= 2 and self._n_probes > 1:
            first, last = weighted[0].grad_norm or 0.0, weighted[-1].grad_norm or 0.0
            if last > 0 and math.isfinite(first):
                self._grad_ratios.append(first / last)
            if len(self._grad_ratios) == self._grad_ratios.maxlen:
                ratio = float(np.median(self._grad_ratios))
                if ratio < t("vanishing_ratio") or ratio > t("exploding_ratio"):
                    found.append(self._gradients(event.step, weighted[0].node_id, weighted[-1].node_id, ratio))
        return found

    def _update_ratio(self, step: int, nid: str, median: float, n: int) -> Finding:
        low = median < t("update_ratio_low")
        factor = 3.0
        return Finding(
            "update_ratio", "info", step, f"Layer '{nid}' updates {'too little' if low else 'too much'}",
            Action(f"{'Raise' if low else 'Lower'} the learning rate to {{value}}", "lr",
                   self.lr * factor if low else self.lr / factor, 1 if low else -1), nid,
            f"Update ratio panel: the median ||ΔW||/||W|| over the last {n} probes is {median:.2g}, outside "
            f"{t('update_ratio_low'):g}…{t('update_ratio_high'):g} (about 1e-3 is healthy), while the loss "
            "has stopped falling",
            (("the learning rate might be too low", "this layer's gradients might be vanishing") if low else
             ("the learning rate might be too high", "this layer's weights might be initialised too small")),
            ("update_ratio_low", "update_ratio_high", "update_ratio_window", "stall_window", "stall_drop", "stall_high"))

    def _activations(self, step: int, p: Any, stalled: bool) -> list[Finding]:
        persist = int(t("persist_probes"))
        if p.dead_fraction is not None:
            over = p.dead_fraction > t("dead_relu")
            self._dead[p.node_id] = self._dead.get(p.node_id, 0) + 1 if over else 0
            if self._dead[p.node_id] >= persist and stalled:
                return [Finding(
                    "dead_relu", "warning", step, f"Many ReLU units in '{p.node_id}' are dead",
                    Action("Lower the learning rate to {value}", "lr", self.lr / 10, -1), p.node_id,
                    f"Activations panel: {_share(p.dead_fraction)} of the units output 0 for every probe "
                    "input, more than half of the layer, while the loss has stopped falling",
                    ("a learning rate step too large might have pushed them off for good",
                     "the initialization or a negative bias might start them off",
                     "Leaky ReLU or ELU keep a gradient for negative inputs"),
                    ("dead_relu", "persist_probes", "stall_window", "stall_drop", "stall_high"))]
            return []
        frac = saturated_fraction(p.layer_type, p.hist_counts, p.hist_edges)
        if frac is None:
            return []
        self._sat[p.node_id] = self._sat.get(p.node_id, 0) + 1 if frac > t("saturation") else 0
        if self._sat[p.node_id] >= int(t("saturation_persist_probes")) and stalled:
            return [Finding(
                "saturated", "warning", step, f"The {p.layer_type} units in '{p.node_id}' are saturated",
                Action("Lower the learning rate to {value}", "lr", self.lr / 10, -1), p.node_id,
                f"Activations panel: {_share(frac)} of the activations lie within 1% of the ends of the "
                f"{p.layer_type} range (more than half), where the gradient is nearly zero, while the loss "
                "has stopped falling",
                ("the weights might be initialised too large (Xavier init suits tanh/sigmoid)",
                 "the inputs might not be standardized",
                 "the learning rate might have pushed the pre-activations far out"),
                ("saturation", "saturation_level", "saturation_persist_probes", "stall_window", "stall_drop",
                 "stall_high"))]
        return []

    def _gradients(self, step: int, first: str, last: str, ratio: float) -> Finding:
        n = len(self._grad_ratios)
        if ratio < t("vanishing_ratio"):
            return Finding(
                "vanishing", "warning", step, "Gradients vanish before they reach the first layers",
                Action("Raise the learning rate to {value} (a stopgap; the fix is the init)", "lr",
                       self.lr * 10, 1), "",
                f"Gradient norms (update ratio panel's probes): ||∂L/∂W|| of '{first}' is {ratio:.2g} times that "
                f"of '{last}' (the median of the last {n} probes; below {t('vanishing_ratio'):g})",
                ("the weights might be initialised too small for this depth (try Kaiming for ReLU, Xavier for tanh)",
                 "saturating activations (sigmoid/tanh) multiply small derivatives layer after layer",
                 "batch normalization or residual connections keep gradients alive in deep stacks"),
                ("vanishing_ratio", "gradient_probes"))
        return Finding(
            "exploding", "warning", step, "Gradients grow on their way to the first layers",
            Action("Clip the gradient norm at {value}", "grad_clip", 1.0), "",
            f"Gradient norms (update ratio panel's probes): ||∂L/∂W|| of '{first}' is {ratio:.3g} times that of "
            f"'{last}' (the median of the last {n} probes; above {t('exploding_ratio'):g})",
            ("the weights might be initialised too large for this depth",
             "a recurrent network multiplies by the same weights at every time step"),
            ("exploding_ratio", "gradient_probes"))

    # ---------------------------------------------------------------- epochs
    def _overfitting(self, event: EpochEvent) -> list[Finding]:
        rising = int(t("overfit_rising_epochs"))
        if len(self._epochs) <= rising:
            return []
        vals = [e.val_loss for e in self._epochs[-rising - 1:]]
        train = event.train_loss
        if not all(math.isfinite(v) for v in vals) or not math.isfinite(train) or train <= 0:
            return []
        gap = (event.val_loss - train) / train
        start = self._epochs[0].val_loss
        best_val = min(e.val_loss for e in self._epochs)
        trains = [e.train_loss for e in self._epochs[-rising - 1:]]
        if (gap > t("overfit_gap") and event.val_loss - train > t("overfit_gap_floor") * start
                and all(b > a for a, b in zip(vals, vals[1:]))
                and event.val_loss > (1 + t("overfit_rise")) * best_val
                # the curves part: the training loss fell over those epochs and stands at its lowest now
                # (a training loss that bounces up with the validation loss is instability, not overfitting)
                and train < trains[0] and train <= min(trains)
                and event.val_loss - best_val > t("overfit_rise_of_start") * start):
            return [Finding(
                "overfitting", "warning", event.step, "The network might be overfitting",
                Action("Turn on early stopping (patience {value} epochs)", "early_stopping", 3, 0), "",
                f"Loss panel: the validation loss {event.val_loss:.3g} stands {gap:.0%} above the training loss "
                f"{train:.3g}; it has risen {rising} epochs in a row, to {event.val_loss / best_val - 1:.0%} above "
                f"its best {best_val:.3g}",
                ("the network might have more capacity than the data can pin down",
                 "more regularization (L2, dropout) or more data might help",
                 "early stopping keeps the weights of the best validation epoch"),
                ("overfit_gap", "overfit_gap_floor", "overfit_rising_epochs", "overfit_rise", "overfit_rise_of_start"))]
        return []
