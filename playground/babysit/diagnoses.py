"""Live diagnoses: read the events a Trainer already emits and say, in the notes' hedged voice,
what the curves and probes might indicate, with one action that would help.

Every threshold lives in `THRESHOLDS`, each with where it comes from, so a teacher can see why
a card appeared and change one number in one place. A `Diagnostician` is fed every event
(`observe`) and returns the diagnoses that newly fire; each kind fires once per layer per run,
so a card is news, not noise.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.events import EpochEvent, Event, LossEvent, ProbeEvent, ProblemEvent


@dataclass(frozen=True)
class Threshold:
    value: float
    source: str


THRESHOLDS: dict[str, Threshold] = {
    "divergence_ema": Threshold(0.98, "fast.ai / Smith (2017) LR range test: smoothing β = 0.98 of the loss"),
    "divergence_factor": Threshold(4.0, "LR range test: stop once the smoothed loss passes 4x the best"),
    "divergence_floor": Threshold(0.05, "this project: a rise smaller than 5% of the starting loss is noise, "
                                        "not divergence (near-zero losses multiply easily)"),
    "update_ratio_low": Threshold(1e-4, "course notes, babysitting: update/weight ratio about 1e-3; "
                                        "ten times lower learns too slowly"),
    "update_ratio_high": Threshold(1e-2, "course notes, babysitting: ratio about 1e-3; ten times higher "
                                         "is too aggressive"),
    "update_ratio_window": Threshold(50, "this project: median of the last 50 probes (one noisy probe is not a trend)"),
    "update_ratio_min_probes": Threshold(20, "this project: judge a ratio only after 20 probes"),
    "update_ratio_warmup": Threshold(100, "this project: probes of the first 100 steps are left out (the "
                                          "first updates of Adam and momentum are not their steady state)"),
    "overfit_gap": Threshold(0.1, "course notes: a big train/validation gap indicates overfitting; "
                                  "(val − train)/train above 10%"),
    "overfit_rising_epochs": Threshold(3, "this project: the validation loss rose three epochs in a row"),
    "overfit_rise": Threshold(0.1, "this project: and it stands 10% above its best (noise is smaller), "
                                   "while the training loss fell over the same epochs"),
    "overfit_rise_of_drop": Threshold(0.05, "this project: the rise is at least 5% of the validation loss's "
                                            "fall so far (small wiggles of a tiny loss are noise)"),
    "dead_relu": Threshold(0.5, "CS231n: units that never activate are dead; more than half of a layer"),
    "saturation": Threshold(0.5, "course notes: sigmoid/tanh saturate and kill gradients; more than half "
                                 "of the activations"),
    "saturation_level": Threshold(0.99, "|a| > 0.99 of the tanh range (sigmoid: a < 0.01 or a > 0.99)"),
    "vanishing_ratio": Threshold(1e-3, "course notes, initialization: gradients shrink layer by layer; "
                                       "first/last layer gradient norm below 1e-3"),
    "exploding_ratio": Threshold(70.0, "this project: first/last layer gradient norm above 70"),
    "gradient_probes": Threshold(5, "this project: median over the last 5 probes, skipping the first"),
    "persist_probes": Threshold(2, "this project: dead or saturated on 2 probes in a row"),
}


def t(name: str) -> float:
    return THRESHOLDS[name].value


@dataclass(frozen=True)
class Action:
    """One change that might help, applied as an undoable training setting."""

    label: str
    setting: str
    value: Any


@dataclass
class Diagnosis:
    kind: str          # divergence | update_ratio | overfitting | dead_relu | saturated | vanishing | exploding
    node_id: str       # the layer concerned ("" for the whole run)
    step: int
    symptom: str
    evidence: str      # the numbers, and the panel they come from
    causes: list[str]
    action: Action | None
    thresholds: list[str] = field(default_factory=list)  # keys of THRESHOLDS that decided it

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.node_id)


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


class Diagnostician:
    """Feed it every event of one run; it returns the diagnoses that newly fire."""

    def __init__(self, lr: float = 1e-3, optimizer: str = "") -> None:
        self.lr, self.optimizer = lr, optimizer
        self.fired: dict[tuple[str, str], Diagnosis] = {}
        self._ema: float | None = None
        self._start: float | None = None
        self._best = math.inf
        self._ratios: dict[str, deque[float]] = {}
        self._n_probes = 0
        self._grad_ratios: deque[float] = deque(maxlen=int(t("gradient_probes")))
        self._dead: dict[str, int] = {}
        self._sat: dict[str, int] = {}
        self._epochs: list[EpochEvent] = []

    @property
    def diagnoses(self) -> list[Diagnosis]:
        return list(self.fired.values())

    def observe(self, event: Event) -> list[Diagnosis]:
        found: list[Diagnosis] = []
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

    # ---------------------------------------------------------------- divergence
    def _losses(self, event: LossEvent) -> list[Diagnosis]:
        beta, factor = t("divergence_ema"), t("divergence_factor")
        for step, loss in zip(event.steps.tolist(), event.losses.tolist()):
            if not math.isfinite(loss):
                return [self._divergence(int(step), loss)]
            self._ema = loss if self._ema is None else beta * self._ema + (1 - beta) * loss
            if self._start is None:
                self._start = loss
            self._best = min(self._best, self._ema)
            if (self._ema > factor * self._best
                    and self._ema - self._best > t("divergence_floor") * max(self._start, 1e-12)):
                return [self._divergence(int(step), self._ema)]
        return []

    def _divergence(self, step: int, smoothed: float) -> Diagnosis:
        lower = self.lr / 10
        if math.isfinite(smoothed):
            evidence = (f"Loss panel: the smoothed training loss (EMA {t('divergence_ema'):g}) is {smoothed:.3g} at "
                        f"step {step}, more than {t('divergence_factor'):g}x its best {self._best:.3g}")
        else:
            evidence = f"Loss panel: the training loss became NaN or infinite at step {step}"
        return Diagnosis(
            "divergence", "", step, "The loss is diverging", evidence,
            [f"the learning rate {self.lr:g} might be too high for {self.optimizer or 'this optimizer'}",
             "gradients might be exploding (deep or recurrent networks)",
             "a log of zero: a Softmax/Sigmoid output with a loss that takes its log"],
            Action(f"Lower the learning rate to {lower:g}", "lr", lower),
            ["divergence_ema", "divergence_factor", "divergence_floor"])

    # ---------------------------------------------------------------- probes
    def _probe(self, event: ProbeEvent) -> list[Diagnosis]:
        self._n_probes += 1
        found: list[Diagnosis] = []
        window = int(t("update_ratio_window"))
        weighted = [p for p in event.layers if p.grad_norm is not None]
        output = event.layers[-1].node_id if event.layers else ""
        for p in event.layers:
            if (p.update_ratio is not None and math.isfinite(p.update_ratio)
                    and event.step >= t("update_ratio_warmup")):
                self._ratios.setdefault(p.node_id, deque(maxlen=window)).append(p.update_ratio)
            if p.node_id != output:  # a saturated output sigmoid is a confident prediction, not a fault
                found += self._activations(event.step, p)
        for nid, ratios in self._ratios.items():
            if len(ratios) >= t("update_ratio_min_probes"):
                median = float(np.median(ratios))
                if median < t("update_ratio_low") or median > t("update_ratio_high"):
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

    def _update_ratio(self, step: int, nid: str, median: float, n: int) -> Diagnosis:
        low = median < t("update_ratio_low")
        factor = 3.0
        new_lr = self.lr * factor if low else self.lr / factor
        return Diagnosis(
            "update_ratio", nid, step,
            f"Layer '{nid}' updates {'too little' if low else 'too much'}",
            f"Update ratio panel: median ||ΔW||/||W|| over the last {n} probes is {median:.2g}, outside "
            f"{t('update_ratio_low'):g}…{t('update_ratio_high'):g} (about 1e-3 is healthy)",
            (["the learning rate might be too low", "this layer's gradients might be vanishing"] if low else
             ["the learning rate might be too high", "this layer's weights might be initialised too small"]),
            Action(f"{'Raise' if low else 'Lower'} the learning rate to {new_lr:.2g}", "lr", new_lr),
            ["update_ratio_low", "update_ratio_high", "update_ratio_window"])

    def _activations(self, step: int, p: Any) -> list[Diagnosis]:
        persist = int(t("persist_probes"))
        if p.dead_fraction is not None:
            over = p.dead_fraction > t("dead_relu")
            self._dead[p.node_id] = self._dead.get(p.node_id, 0) + 1 if over else 0
            if self._dead[p.node_id] >= persist:
                lower = self.lr / 10
                return [Diagnosis(
                    "dead_relu", p.node_id, step, f"Many ReLU units in '{p.node_id}' are dead",
                    f"Activations panel: {p.dead_fraction:.0%} of the units output 0 for every probe input "
                    f"(more than {t('dead_relu'):.0%})",
                    ["a learning rate step too large might have pushed them off for good",
                     "the initialization or a negative bias might start them off",
                     "Leaky ReLU or ELU keep a gradient for negative inputs"],
                    Action(f"Lower the learning rate to {lower:g}", "lr", lower), ["dead_relu", "persist_probes"])]
            return []
        frac = saturated_fraction(p.layer_type, p.hist_counts, p.hist_edges)
        if frac is None:
            return []
        self._sat[p.node_id] = self._sat.get(p.node_id, 0) + 1 if frac > t("saturation") else 0
        if self._sat[p.node_id] >= persist:
            lower = self.lr / 10
            return [Diagnosis(
                "saturated", p.node_id, step, f"The {p.layer_type} units in '{p.node_id}' are saturated",
                f"Activations panel: {frac:.0%} of the activations lie beyond |a| > {t('saturation_level'):g} "
                f"of the range (more than {t('saturation'):.0%}), where the gradient is nearly zero",
                ["the weights might be initialised too large (Xavier init suits tanh/sigmoid)",
                 "the inputs might not be standardized",
                 "the learning rate might have pushed the pre-activations far out"],
                Action(f"Lower the learning rate to {lower:g}", "lr", lower),
                ["saturation", "saturation_level", "persist_probes"])]
        return []

    def _gradients(self, step: int, first: str, last: str, ratio: float) -> Diagnosis:
        vanishing = ratio < t("vanishing_ratio")
        if vanishing:
            return Diagnosis(
                "vanishing", "", step, "Gradients vanish before they reach the first layers",
                f"Gradient norms (update ratio panel's probes): ||∂L/∂W|| of '{first}' is {ratio:.2g}x that of "
                f"'{last}' (median of the last {len(self._grad_ratios)} probes; below {t('vanishing_ratio'):g})",
                ["the weights might be initialised too small for this depth (try Kaiming for ReLU, Xavier for tanh)",
                 "saturating activations (sigmoid/tanh) multiply small derivatives layer after layer",
                 "batch normalization or residual connections keep gradients alive in deep stacks"],
                Action(f"Raise the learning rate to {self.lr * 10:g} (a stopgap; the fix is the init)", "lr",
                       self.lr * 10), ["vanishing_ratio", "gradient_probes"])
        return Diagnosis(
            "exploding", "", step, "Gradients grow on their way to the first layers",
            f"Gradient norms (update ratio panel's probes): ||∂L/∂W|| of '{first}' is {ratio:.3g}x that of "
            f"'{last}' (median of the last {len(self._grad_ratios)} probes; above {t('exploding_ratio'):g})",
            ["the weights might be initialised too large for this depth",
             "a recurrent network multiplies by the same weights at every time step"],
            Action("Clip the gradient norm at 1.0", "grad_clip", 1.0), ["exploding_ratio", "gradient_probes"])

    # ---------------------------------------------------------------- epochs
    def _overfitting(self, event: EpochEvent) -> list[Diagnosis]:
        rising = int(t("overfit_rising_epochs"))
        if len(self._epochs) <= rising:
            return []
        vals = [e.val_loss for e in self._epochs[-rising - 1:]]
        train = event.train_loss
        if not all(math.isfinite(v) for v in vals) or not math.isfinite(train) or train <= 0:
            return []
        gap = (event.val_loss - train) / train
        best_val = min(e.val_loss for e in self._epochs)
        train_then = self._epochs[-rising - 1].train_loss
        if (gap > t("overfit_gap") and all(b > a for a, b in zip(vals, vals[1:]))
                and event.val_loss > (1 + t("overfit_rise")) * best_val
                and train < train_then  # the curves part: train still falls while validation rises
                and event.val_loss - best_val > t("overfit_rise_of_drop") * (self._epochs[0].val_loss - best_val)):
            return [Diagnosis(
                "overfitting", "", event.step, "The network might be overfitting",
                f"Loss panel: validation loss {event.val_loss:.3g} is {gap:.0%} above the training loss "
                f"{train:.3g}; it has risen {rising} epochs in a row, to {event.val_loss / best_val - 1:.0%} above its best "
                f"{best_val:.3g}",
                ["the network might have more capacity than the data can pin down",
                 "more regularization (L2, dropout) or more data might help",
                 "early stopping keeps the weights of the best validation epoch"],
                Action("Turn on early stopping (patience 3 epochs)", "early_stopping", 3),
                ["overfit_gap", "overfit_rising_epochs", "overfit_rise", "overfit_rise_of_drop"])]
        return []
