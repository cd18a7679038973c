"""Live diagnoses: read the events a Trainer already emits and say, in the notes' hedged voice,
what the curves and probes might indicate, with one action that would help.

Every threshold lives in `THRESHOLDS`, each with where it comes from, so a teacher can see why
a card appeared and change one number in one place. A `Diagnostician` is fed every event
(`observe`) and returns the findings that newly fire; each fires once per layer per run, so a
card is news, not noise. It is the detector only: `playground.babysit.findings` ranks what it
finds together with the end-of-run outcome, so the app speaks with one voice.
"""
from __future__ import annotations

import bisect
import math
from itertools import accumulate
from statistics import median
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.babysit.findings import NO_GAP_EXPLAINED_BY, Action, Finding
from playground.layers.activations import DEAD_SLOPE
from playground.training.events import EpochEvent, Event, LossEvent, ProbeEvent, ProblemEvent

TRACE_POINTS = 4096
"""The pace trace (the smoothed loss after the warm-up) holds at most about this many points."""


@dataclass(frozen=True)
class Threshold:
    value: float
    source: str


_RATIO = 1e-3  # THRESHOLDS["update_ratio_guide"]: the ratio findings' bounds lie a decade either side of it
TOO_FAST = frozenset({"divergence", "exploding", "dead_relu", "saturated"})
"""Findings whose card lowers the learning rate: a layer updating too little after one of them
is not told to raise it."""
LR_STEP_MAX = 10.0
"""The largest factor one piece of advice changes the learning rate by: the notes change it in
steps and watch the curves, however far the update ratio lies from 1e-3."""

THRESHOLDS: dict[str, Threshold] = {
    "divergence_ema": Threshold(0.98, "fast.ai / Smith (2017) LR range test: smoothing β = 0.98 of the loss"),
    "divergence_factor": Threshold(4.0, "LR range test: stop once the smoothed loss passes 4x the best"),
    "divergence_floor": Threshold(0.25, "this project: a rise smaller than a quarter of the starting loss is a "
                                        "bump, not divergence (near-zero losses multiply easily; measured: RMSProp "
                                        "on the spiral bumps from 0.005 to 0.04 late in runs that end at 100%)"),
    "update_ratio_guide": Threshold(_RATIO, "course notes (Deep Learning, Babysitting Learning): while "
                                            "training, watch the ratio of the weight updates to the weights; it "
                                            "should be around 0.001 (the update-ratio panel's guide line)"),
    "update_ratio_low": Threshold(_RATIO / 10, "course notes, babysitting: update/weight ratio about 1e-3; "
                                               "ten times lower learns too slowly"),
    "update_ratio_high": Threshold(_RATIO * 10, "course notes, babysitting: ratio about 1e-3; ten times higher "
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
    "lr_low_span": Threshold(200, "this project: the pace of the loss is judged over at least 200 steps after the "
                                  "update-ratio warmup"),
    "lr_low_fall": Threshold(0.1, "course notes, babysitting: 'if the loss barely changes, the lr is too low': the "
                                  "smoothed loss fell by less than a tenth of its value since the warmup"),
    "lr_low_evenness": Threshold(0.25, "course notes' figure of loss-curve shapes: a low rate's curve is a slow "
                                       "straight line, a good one falls mostly early; near-linear here means each "
                                       "half of that span carries at least a quarter of the fall"),
    "no_gap": Threshold(0.1, "course notes: 'if there is no gap, we may be able to increase model capacity': the "
                             "validation loss within 10% of the training loss (the other side of overfit_gap)"),
    "no_gap_span": Threshold(300, "this project: a network too small sits on its plateau: the smoothed loss is "
                                  "judged flat over the last 300 steps"),
    "no_gap_flat": Threshold(0.02, "this project: flat means it fell by less than 2% over that span (a slow steady "
                                   "fall is a rate or an optimizer to change, not a network too small)"),
    "no_gap_trend": Threshold(0.0025, "this project: and the training loss has plateaued: the least-squares line "
                                      "through the epochs' training losses over the last half of the epochs so far "
                                      "falls by less than 0.25% of the loss. A loss still falling, however slowly, "
                                      "asks for more or faster optimization, not a larger network (measured, 3 seeds "
                                      "each, at every epoch where the rest of the rule was met: underfit_circle's "
                                      "line falls by at most 0.07%; sgd_vs_momentum_sgd's by at least 1.2%, "
                                      "sgd_vs_momentum_adagrad's 2.4%, lr_decay_inverse_sqrt's 0.77%)"),
    "no_gap_from": Threshold(0.5, "this project: judged from half-way through the planned epochs; a flat stretch "
                                  "earlier may be a pause ('flat for a while, then descending suddenly' is bad "
                                  "initialization, the notes say; measured: sgd_vs_momentum_momentum stays at 0.66 "
                                  "for 450 steps, then reaches 86% validation accuracy by step 850)"),
}


def t(name: str) -> float:
    return THRESHOLDS[name].value


ADAPTIVE = ("adam", "adamw", "rmsprop", "adagrad")
"""Optimizers that divide each weight's step by its own gradient scale: their step is about lr."""


def saturated_fraction(layer_type: str, counts: np.ndarray, edges: np.ndarray) -> float | None:
    """Share of a tanh/sigmoid layer's probe activations within 1% of its bounds, read off the
    probe histogram: a bin reaching past the level counts whole, because saturated values pile
    up against the bound rather than spreading evenly over their bin."""
    from playground.layers.activations import ACTIVATIONS   # (the run's layers are built: torch is loaded)
    activation = ACTIVATIONS.get(layer_type)
    if activation is None or activation.saturates_at is None or counts.sum() <= 0:
        return None
    lo_b, hi_b = activation.saturates_at
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

    def __init__(self, lr: float = 1e-3, optimizer: str = "", accuracy_bar: float | None = None,
                 planned_epochs: int | None = None) -> None:
        """`accuracy_bar`: for a classifier, the validation accuracy below which the run is far from
        what its data allows (`playground.babysit.outcome.accuracy_bar`); None when unknown.
        `planned_epochs`: the run's length, for the judgements made late in a run (None: unknown)."""
        self.lr, self.optimizer, self.accuracy_bar = lr, optimizer, accuracy_bar
        self.planned_epochs = planned_epochs
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
        """The last epochs the overfitting rule compares (not every epoch: a long run has thousands);
        the first validation loss and the best so far stand for the rest."""
        self._seen_epochs = 0
        self._first_val = math.nan
        self._best_val = math.nan
        self._trace: list[tuple[int, float]] = []   # (step, smoothed loss) after the warmup: the loss's pace
        self._train_losses: list[tuple[int, float]] = []   # (epoch, training loss): the plateau test's trend

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
            self._remember_epoch(event)
            found += self._overfitting(event)
            found += self._no_gap(event)
        new = [d for d in found if d.key not in self.fired]
        for d in new:
            self.fired[d.key] = d
        return new

    # ---------------------------------------------------------------- the loss
    def _losses(self, event: LossEvent) -> list[Finding]:
        """Each step's loss into the smoothed loss (an EMA, in order), its best, the stall window
        and the pace trace, and the divergence rule at each step: the smoothed loss stands more
        than `divergence_factor` times above its best, by more than `divergence_floor` of the
        starting loss. The first divergence or non-finite loss ends the event (the steps after it
        are not taken in). The comparisons run in numpy over the event's steps: this runs for
        every step the app trains, on the training thread (the run record) and on the window's
        (the Diagnoses panel)."""
        beta = t("divergence_ema")
        losses = event.losses.tolist()
        finite = np.isfinite(event.losses)
        k = len(losses) if finite.all() else int(np.argmin(finite))   # the first non-finite step
        if k == 0:
            return [self._divergence(int(event.steps[0]), losses[0])] if losses else []
        if self._start is None:
            self._start = losses[0]
        smoothed = list(accumulate(losses[:k], lambda ema, loss: beta * ema + (1 - beta) * loss,
                                   **({} if self._ema is None else {"initial": self._ema})))[-k:]
        ema = np.array(smoothed)
        best = np.minimum.accumulate(np.minimum(ema, self._best))
        rising = (ema > t("divergence_factor") * best) & (ema - best > t("divergence_floor") * max(self._start, 1e-12))
        stop = int(np.argmax(rising)) + 1 if rising.any() else k   # steps taken in: up to the first divergence
        steps = event.steps[:stop].tolist()
        self._ema, self._best = smoothed[stop - 1], float(best[stop - 1])
        self._remember_losses(steps, smoothed[:stop])
        if rising[stop - 1]:
            return [self._divergence(steps[-1], self._ema)]
        if k < len(losses):
            return [self._divergence(int(event.steps[k]), losses[k])]
        return []

    def _remember_losses(self, steps: list[int], smoothed: list[float]) -> None:
        """The stall window (every step of the last `stall_window`) and the pace trace (the steps
        after the warm-up, thinned past TRACE_POINTS) take in these steps' smoothed losses."""
        history = self._history
        history.extend(zip(steps, smoothed))
        oldest_kept = steps[-1] - t("stall_window")
        while len(history) > 1 and history[1][0] <= oldest_kept:
            history.popleft()
        warmup = t("update_ratio_warmup")
        late = [(s, e) for s, e in zip(steps, smoothed) if s >= warmup]
        if len(self._trace) + len(late) <= TRACE_POINTS:
            self._trace += late
            return
        for point in late:   # past the bound: thin at the step it is crossed, as one step at a time would
            self._trace.append(point)
            if len(self._trace) > TRACE_POINTS:
                self._thin_trace(point[0])

    def _thin_trace(self, now: int) -> None:
        """Keep the pace trace bounded in a long run (a step every ~0.6 ms would add ~20 MB a
        minute): the last two `no_gap_span`s stay whole, where the rules read it step by step;
        older points keep every other one, which still holds the first point and the mid-run
        loss to within a few steps of a run's length over TRACE_POINTS."""
        cutoff = now - 2 * int(t("no_gap_span"))
        older = [p for p in self._trace if p[0] < cutoff]
        self._trace = older[::2] + [p for p in self._trace if p[0] >= cutoff]

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
        return self.still_poor(now)

    def still_poor(self, smoothed: float) -> bool:
        """Short of a good result (`stall_high`): the validation accuracy below `accuracy_bar` where
        that is known, else the smoothed loss above half its start."""
        accuracy = self._epochs[-1].val_accuracy if self._epochs else None
        if self.accuracy_bar is not None and accuracy is not None and math.isfinite(accuracy):
            return accuracy < self.accuracy_bar
        return smoothed > t("stall_high") * (self._start or 0.0)

    def typical_update_ratio(self) -> float | None:
        """The median over weighted layers of each one's median ratio (None before enough probes)."""
        medians = [median(r) for r in self._ratios.values() if len(r) >= t("update_ratio_min_probes")]
        return median(medians) if medians else None

    def _fired_names(self) -> set[str]:
        return {name for name, _ in self.fired}

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
                typical = median(ratios)
                too_high = typical > t("update_ratio_high") and self.optimizer not in ADAPTIVE
                # too little after a rate too large (a divergence, dead or saturated units, whose cards
                # say lower it): the dead units' story, not a call to raise the rate
                too_low = typical < t("update_ratio_low") and not self._fired_names() & TOO_FAST
                if too_low or too_high:
                    found.append(self._update_ratio(event.step, nid, typical, len(ratios)))
        if len(weighted) >= 2 and self._n_probes > 1:
            first, last = weighted[0].grad_norm or 0.0, weighted[-1].grad_norm or 0.0
            if last > 0 and math.isfinite(first):
                self._grad_ratios.append(first / last)
            if len(self._grad_ratios) == self._grad_ratios.maxlen:
                ratio = median(self._grad_ratios)   # statistics' median: a few µs where numpy's took ~300 on this thread
                if ratio < t("vanishing_ratio") or ratio > t("exploding_ratio"):
                    found.append(self._gradients(event.step, weighted[0].node_id, weighted[-1].node_id, ratio))
        return found + self._pace(event.step)

    def _lr_towards_guide(self, ratio: float) -> tuple[float, float]:
        """(new learning rate, the update ratio it should give): the one rule both the pace and the
        update-ratio findings follow, so two cards on one run never propose two rates. The ratio
        ||ΔW||/||W|| grows about in proportion to the rate (for SGD exactly, for Adam's steps too),
        so the rate moves by the factor that would bring the ratio to 1e-3, at most LR_STEP_MAX,
        rounded to three significant digits."""
        guide = t("update_ratio_guide")
        if not ratio > 0:   # no update at all (every unit of a layer dead): the largest step
            return float(f"{self.lr * LR_STEP_MAX:.3g}"), 0.0
        factor = min(LR_STEP_MAX, guide / ratio) if ratio < guide else 1 / min(LR_STEP_MAX, ratio / guide)
        return float(f"{self.lr * factor:.3g}"), ratio * factor

    def _towards_guide_words(self, ratio: float) -> str:
        """What the proposed rate would do to the ratio, said as the app's own numbers say it."""
        lr, expected = self._lr_towards_guide(ratio)
        if not ratio > 0:
            return (f"its weights did not change at all: a larger rate ({lr:g}) moves them only where its units "
                    "get a gradient (a dead ReLU gets none)")
        low, high = t("update_ratio_low"), t("update_ratio_high")
        where = ("within the healthy band" if low <= expected <= high else
                 "still below the healthy band: raise it again if the Update ratio panel stays low"
                 if expected < low else "still above the healthy band: lower it again if the ratio stays high")
        return (f"the update ratio grows about in proportion to the rate: {lr:g} would bring it from "
                f"{ratio:.2g} to about {expected:.2g}, {where}")

    def _stalled_words(self) -> str:
        return (f"while the smoothed loss fell less than {t('stall_drop'):.0%} over the last "
                f"{t('stall_window'):g} steps")

    def _pace(self, step: int) -> list[Finding]:
        """"The learning rate might be too low": the typical layer's update ratio is more than ten times
        below the notes' 1e-3 and the loss, still far from good, falls slowly and evenly (a line)."""
        typical = self.typical_update_ratio()
        if (typical is None or typical >= t("update_ratio_low") or not self._trace
                or self._fired_names() & {"divergence", "exploding", "vanishing"}):
            return []
        (first_step, first), (now_step, now) = self._trace[0], self._trace[-1]
        if now_step - first_step < t("lr_low_span") or not self.still_poor(now):
            return []
        mid = self._trace[bisect.bisect_left(self._trace, ((first_step + now_step) // 2, -math.inf))][1]
        fall = first - now
        if not 0 < fall < t("lr_low_fall") * first or min(first - mid, mid - now) < t("lr_low_evenness") * fall:
            return []
        return [Finding(
            "lr_too_low", "info", step, "The learning rate might be too low",
            Action("Raise the learning rate to {value}", "lr", self._lr_towards_guide(typical)[0], 1), "",
            f"Loss panel: the smoothed loss fell only from {first:.3g} to {now:.3g} over steps {first_step}-{now_step} "
            f"({fall / first:.1%}), about evenly in both halves, a slow straight line; Update ratio panel: the "
            f"typical layer's ||ΔW||/||W|| is {typical:.2g}, more than ten times below the healthy 1e-3",
            ("the learning rate might be too low: each step moves the weights too little",
             self._towards_guide_words(typical)),
            ("update_ratio_low", "update_ratio_min_probes", "lr_low_span", "lr_low_fall", "lr_low_evenness"))]

    def _update_ratio(self, step: int, nid: str, median: float, n: int) -> Finding:
        low = median < t("update_ratio_low")
        return Finding(
            "update_ratio", "info", step, f"Layer '{nid}' updates {'too little' if low else 'too much'}",
            Action(f"{'Raise' if low else 'Lower'} the learning rate to {{value}}", "lr",
                   self._lr_towards_guide(median)[0], 1 if low else -1), nid,
            f"Update ratio panel: the median ||ΔW||/||W|| over the last {n} probes is {median:.2g}, outside "
            f"{t('update_ratio_low'):g}…{t('update_ratio_high'):g} (about 1e-3 is healthy), "
            + self._stalled_words(),
            (("the learning rate might be too low", "this layer's gradients might be vanishing") if low else
             ("the learning rate might be too high", "this layer's weights might be initialised too small"))
            + (self._towards_guide_words(median),),
            ("update_ratio_low", "update_ratio_high", "update_ratio_window", "stall_window", "stall_drop", "stall_high"))

    def _activations(self, step: int, p: Any, stalled: bool) -> list[Finding]:
        persist = int(t("persist_probes"))
        if p.dead_fraction is not None:
            over = p.dead_fraction > t("dead_relu")
            self._dead[p.node_id] = self._dead.get(p.node_id, 0) + 1 if over else 0
            if self._dead[p.node_id] >= persist and stalled:
                return [Finding(
                    "dead_relu", "warning", step, f"Many {p.layer_type} units in '{p.node_id}' are dead",
                    Action("Lower the learning rate to {value}", "lr", self.lr / 10, -1), p.node_id,
                    f"Activations panel: {_share(p.dead_fraction)} of the units are dead, their gradient "
                    f"|f′(x)| below {DEAD_SLOPE:g} on every probe input (a ReLU's output is 0 there), more than "
                    "half of the layer, " + self._stalled_words(),
                    ("a learning rate step too large might have pushed them off for good",
                     "the initialization or a negative bias might start them off",
                     "Leaky ReLU or PReLU keep a gradient for every negative input"),
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
                f"{p.layer_type} range (more than half), where the gradient is nearly zero, "
                + self._stalled_words(),
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
    def _no_gap(self, event: EpochEvent) -> list[Finding]:
        """"No gap: add capacity": the loss stopped falling far from good, the training and validation
        losses are close, and nothing else (a rate, dead units, overfitting) explains it."""
        train, val = event.data_loss(), event.val_loss   # (the validation loss has no penalty terms either)
        if (self._fired_names() & set(NO_GAP_EXPLAINED_BY) or not self.stalled()
                or not (math.isfinite(train) and math.isfinite(val)) or train <= 0
                or abs(val - train) > t("no_gap") * train):
            return []
        if self.planned_epochs and event.epoch < t("no_gap_from") * self.planned_epochs:
            return []
        typical = self.typical_update_ratio()
        if typical is None or typical < t("update_ratio_low"):   # unknown yet, or a step too small, not a network
            return []
        now_step, now = self._trace[-1] if self._trace else (0, math.nan)
        if not self._trace or now_step - self._trace[0][0] < t("no_gap_span"):
            return []
        then = self._trace[bisect.bisect_left(self._trace, (now_step - int(t("no_gap_span")), -math.inf))][1]
        if then - now >= t("no_gap_flat") * then:
            return []
        trend = self.training_loss_trend()
        if trend >= t("no_gap_trend"):
            return []
        train_acc = event.train_accuracy
        if self.accuracy_bar is not None and train_acc is not None and train_acc >= self.accuracy_bar:
            return []
        accuracy = "" if event.val_accuracy is None else (
            f" at {event.val_accuracy:.0%} validation accuracy" + (f" (below the {self.accuracy_bar:.0%} this data "
                                                                   "allows)" if self.accuracy_bar is not None else ""))
        return [Finding(
            "add_capacity", "info", event.step, "No gap: the network might be too small",
            None, "",
            f"Loss panel: the training loss {train:.3g} and the validation loss {val:.3g} differ by "
            f"{abs(val - train) / train:.0%} (within {t('no_gap'):.0%}), and the loss has stopped falling (its trend "
            f"over the last half of the epochs moved by {abs(trend):.1%}){accuracy}",
            ("the network might have too little capacity for this data: add units or a hidden layer",
             "a network without a non-linearity between its Linear layers draws only straight boundaries",
             "more epochs will not help: the loss has stopped falling"),
            ("no_gap", "no_gap_span", "no_gap_flat", "no_gap_trend", "no_gap_from", "stall_window", "stall_drop",
             "stall_high"))]

    def training_loss_trend(self) -> float:
        """How far the training loss fell over the last half of the epochs so far, read off the
        least-squares line through their losses, as a share of its mean there (negative: it rose;
        inf: too few epochs to tell). The line, not the two ends: an epoch's loss is noisy."""
        now = self._train_losses[-1][0] if self._train_losses else 0
        half = [(e, v) for e, v in self._train_losses if e > now / 2]
        if len(half) < 3:
            return math.inf
        x, y = np.array(half, dtype=float).T
        slope = float(np.polyfit(x, y, 1)[0])
        mean = float(y.mean())
        return -slope * (x[-1] - x[0]) / mean if mean > 0 else math.inf

    def _remember_epoch(self, event: EpochEvent) -> None:
        """Keep what the overfitting rule needs of the epochs so far, in bounded memory."""
        if self._seen_epochs == 0 or event.val_loss < self._best_val:  # min()'s rule: the first of equals
            self._best_val = event.val_loss
        if self._seen_epochs == 0:
            self._first_val = event.val_loss
        if math.isfinite(event.train_loss):
            self._train_losses.append((int(event.epoch), float(event.train_loss)))
            if len(self._train_losses) > TRACE_POINTS:   # a very long run: every other epoch still draws the line
                self._train_losses = self._train_losses[::2]
        self._seen_epochs += 1
        self._epochs.append(event)
        del self._epochs[:-(int(t("overfit_rising_epochs")) + 1)]

    def _overfitting(self, event: EpochEvent) -> list[Finding]:
        rising = int(t("overfit_rising_epochs"))
        if self._seen_epochs <= rising:
            return []
        vals = [e.val_loss for e in self._epochs[-rising - 1:]]
        train = event.data_loss()   # an L2 penalty in it narrowed the gap the panel shows
        if not all(math.isfinite(v) for v in vals) or not math.isfinite(train) or train <= 0:
            return []
        gap = (event.val_loss - train) / train
        start, best_val = self._first_val, self._best_val
        trains = [e.data_loss() for e in self._epochs[-rising - 1:]]
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
