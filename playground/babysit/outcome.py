"""Was a finished run any good, and if not, what to try next.

A student who presses Train on a network that ends at 60% on the spiral should hear that 60%
is far from what the network can do, and which knob to turn first. The judgement reads only the
per-epoch metrics a run reports, so the app, the CLI and a run record can all ask it. It speaks
through a `Finding` (`far_from_good`), ranked with the live diagnoses in
`playground.babysit.findings`, and it respects the lesson at hand: a lesson that fails on
purpose is told that this is what it shows, not how to make it pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence


from playground.babysit.diagnoses import ADAPTIVE
from playground.babysit.findings import OUTCOME, Action, Finding
from playground.data.baselines import NEIGHBOURS
from playground.network.spec import Preset
from playground.training.text_samples import entropy_nats
from playground.training.views import data_kind, is_classifier, writes_text

BASELINE_MARGIN = 0.05
"""A run is far from what its data allows when it ends more than 5 points of accuracy below the
nearest-neighbour baseline: beyond the noise of a few hundred validation points (binomial sd
about 2 points at 80% on 400) and of the seeds."""
SMALL_LR = {"adaptive": 3e-3, "plain": 0.03}
"""Learning rates below these are slow for the small networks and toy data of a first course."""
STILL_FALLING = 0.99
"""The validation loss at the end is below 99% of its value a quarter of the run earlier."""
WENT_BACK_UP = 1.5
"""The validation loss at the end stands 1.5 times above its best."""
CONTEXT_GAIN = 0.85
"""A character-level language model is good when its validation loss per character ends below
85% of the text's character entropy (the loss of predicting the character frequencies, with no
context): its next-character accuracy can never reach a classifier's bar, because the next
character of a text is not certain even to a reader."""
LESSON_SHOWS = {
    "divergence": "a loss that diverges",
    "exploding": "gradients that explode",
    "vanishing": "gradients that vanish on their way to the first layers",
    "dead_relu": "units that die (no gradient on any example)",
    "saturated": "units that saturate",
    "overfitting": "a network that overfits",
    "update_ratio": "updates of the wrong size for the weights",
    "lr_too_low": "a learning rate too low: a loss that falls slowly, in a straight line",
    "add_capacity": "a network too small for its data: no gap between training and validation, both poor",
    OUTCOME: "a training that is still far from a good result at its end",
}
"""How the outcome names the finding a lesson shows on purpose."""


class EpochMetrics(Protocol):
    epoch: int
    step: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None


@dataclass
class Verdict:
    """`good` is False when the run ended far from a good result; `text` says so and what to try,
    and `finding` is the same claim for the ranked list (None for a good run)."""

    good: bool
    text: str
    finding: Finding | None = None


@dataclass(frozen=True)
class Suggestion:
    """One knob to turn, in words, with the setting it changes when it is one."""

    text: str
    action: Action | None = None


def good_accuracy(n_classes: int) -> float:
    """The validation accuracy below which a classifier is "far from good": three quarters of
    the way from chance to perfect (0.875 on two classes, 0.775 on ten)."""
    chance = 1.0 / max(2, n_classes)
    return chance + 0.75 * (1.0 - chance)


def _data_allows(name: str, params: dict) -> float | None:
    from playground.data.baselines import baselines_for
    vote = next((b for b in baselines_for(name, params) if b.name.startswith("knn_")), None)
    return None if vote is None or vote.metric != "accuracy" else vote.val


def data_allows(preset: Preset) -> float | None:
    """The nearest-neighbour baseline's validation accuracy on the preset's data: only for points
    in the plane, where a neighbour vote comes close to the best any classifier can do; on images
    distances between pixels say little about the class (CS231n, image classification notes), so
    there it is None, as for data that is not a classification with a validation split."""
    if not is_classifier(preset) or data_kind(preset) != "points":
        return None
    try:
        return _data_allows(preset.data.name, preset.data.params)
    except ValueError:  # bad data parameters: the Trainer reports them
        return None


def accuracy_bar(preset: Preset, n_classes: int) -> float:
    """The validation accuracy below which a classifier's run is far from good: the generic bar
    (`good_accuracy`), lowered to `BASELINE_MARGIN` below what the nearest-neighbour baseline
    reaches where noisy data allows no more (moons at noise 0.35 tops out near 0.8)."""
    bar = good_accuracy(n_classes or 2)
    allows = data_allows(preset)
    return bar if allows is None else min(bar, allows - BASELINE_MARGIN)


def text_entropy(preset: Preset) -> float | None:
    """A character-level language model's bar: the entropy (nats) of its training labels, the
    next characters; None for any other preset or bad data parameters."""
    if not writes_text(preset):
        return None
    from playground.data import make_dataset
    try:
        data = make_dataset(preset.data.name, preset.data.params)
    except ValueError:  # bad data parameters: the Trainer reports them
        return None
    return entropy_nats(data.y_train, data.n_classes)


def ending(history: Sequence[EpochMetrics]) -> str:
    """How the validation loss ended, one of three that exclude each other: `went_back_up` (it
    stands well above its best), `still_falling` (it fell over the last quarter of the run) or
    `flat`. A loss that rose far and then fell a little went back up; it is not "still falling"."""
    losses = [h.val_loss for h in history]
    if len(losses) < 3:
        return "flat"
    back = max(3, len(losses) // 4)
    if losses[-1] > WENT_BACK_UP * min(losses):
        return "went_back_up"
    if losses[-1] < STILL_FALLING * losses[-min(back, len(losses))]:
        return "still_falling"
    return "flat"


def judge(preset: Preset, history: Sequence[EpochMetrics], n_classes: int = 0, *,
          lesson_finding: str = "", findings: Sequence[Finding] = ()) -> Verdict:
    """Judge a run that ran to its end from its per-epoch metrics (oldest first).

    `lesson_finding` is the finding the lesson at hand shows on purpose; `findings` are the
    run's live findings, whose advice the outcome's must not contradict."""
    if not history:
        return Verdict(True, "")
    last, first = history[-1], history[0]
    context_free = text_entropy(preset)
    if context_free is not None:
        if last.val_loss <= CONTEXT_GAIN * context_free:
            return Verdict(True, "")
        what = (f"The validation loss ended at {last.val_loss:.3g} nats per character; predicting the text's "
                f"character frequencies with no context scores {context_free:.3g}: the network has used little "
                "of the characters before.")
    elif is_classifier(preset) and last.val_accuracy is not None:
        bar = accuracy_bar(preset, n_classes)
        if last.val_accuracy >= bar:
            return Verdict(True, "")
        allows = data_allows(preset)
        reach = (f"; a {NEIGHBOURS}-nearest-neighbour vote reaches {allows:.0%} on this data"
                 if allows is not None else "")
        what = (f"The run ended at {last.val_accuracy:.0%} validation accuracy, far from a good result "
                f"on this data (below {bar:.0%}{reach}).")
    else:
        if last.val_loss < 0.5 * first.val_loss:
            return Verdict(True, "")
        what = (f"The validation loss only went from {first.val_loss:.4g} to {last.val_loss:.4g} "
                "in this run: far from a good fit.")
    step = int(getattr(last, "step", -1))
    if lesson_finding:
        shown = LESSON_SHOWS.get(lesson_finding, lesson_finding.replace("_", " "))
        text = f"{what} This is what the lesson shows: {shown}. Its Change section says what to try next."
        return Verdict(False, text, Finding(OUTCOME, "info", step, text))
    tips = suggestions(preset, history, findings)
    text = f"{what} What to try: {'; '.join(s.text for s in tips)}."
    action = next((s.action for s in tips if s.action is not None), None)
    return Verdict(False, text, Finding(OUTCOME, "info", step, text, action))


def _blocked(findings: Sequence[Finding]) -> set[tuple[str, int]]:
    """(setting, direction) pairs the live findings speak against: a finding that lowers the
    learning rate forbids advice that raises it, and a diverging loss forbids any raise."""
    out: set[tuple[str, int]] = set()
    for f in findings:
        if f.action is not None and f.action.direction:
            out.add((f.action.setting, -f.action.direction))
        if f.name == "divergence":
            out.add(("lr", 1))
    return out


def _raised_by_a_finding(lr: float, findings: Sequence[Finding]) -> Action | None:
    """The larger learning rate a live finding proposed (the slow pace, a layer updating too
    little), the first one: what the outcome then proposes too."""
    return next((f.action for f in findings if f.action is not None and f.action.setting == "lr"
                 and f.action.value > lr and f.name in ("lr_too_low", "update_ratio")), None)


def suggestions(preset: Preset, history: Sequence[EpochMetrics],
                findings: Sequence[Finding] = ()) -> list[Suggestion]:
    """The knobs to turn first, most likely first; none contradicts another or a live finding."""
    ts = preset.training
    diverged = next((f for f in findings if f.name == "divergence"), None)
    if diverged is not None:
        # Nothing after a divergence says what the network can learn: not "more epochs" for a loss
        # that only wanders at chance, not a bigger network. The divergence card's remedy, once.
        given = diverged.action
        lower = given if given is not None and given.setting == "lr" and given.value < ts.lr else \
            Action("Lower the learning rate to {value}", "lr", ts.lr / 10, -1)
        return [Suggestion(f"a smaller learning rate (lr {ts.lr:g} → {lower.value:g}): the loss diverged at step "
                           f"{diverged.step}, and what followed is no measure of the network", lower)]
    blocked = _blocked(findings)
    out: list[Suggestion] = []
    how = ending(history)
    small = SMALL_LR["adaptive" if ts.optimizer in ADAPTIVE else "plain"]
    overfit = any(f.name == "overfitting" for f in findings)
    if how == "went_back_up":
        trains = [h.train_loss for h in history]
        if trains[-1] > WENT_BACK_UP * min(trains) and ("lr", -1) not in blocked:
            out.append(Suggestion(f"a smaller learning rate (lr {ts.lr:g} → {ts.lr / 10:g}): the training "
                                  "loss went back up", Action("Lower the learning rate to {value}", "lr",
                                                              ts.lr / 10, -1)))
        else:
            overfit = True
    elif ("lr", 1) not in blocked and (raising := _raised_by_a_finding(ts.lr, findings) or (
            Action("Raise the learning rate to {value}", "lr", min(ts.lr * 10, small * 10), 1)
            if ts.lr < small else None)) is not None:
        # a live card's rate where one proposed a larger one: the outcome names the same number
        out.append(Suggestion(f"a larger learning rate (lr {ts.lr:g} → {raising.value:g})", raising))
    if overfit:
        out.append(Suggestion("more training data, L2 or dropout, or early stopping: the validation loss went "
                              "back up while the training loss fell (overfitting)"))
        return out
    if how == "still_falling":
        out.append(Suggestion(f"more epochs (epochs {ts.epochs} → {ts.epochs * 3}): the loss was still falling",
                              Action("Train for {value} epochs", "epochs", ts.epochs * 3, 1)))
    elif not out:
        out.append(Suggestion(f"more epochs (epochs {ts.epochs} → {ts.epochs * 3})",
                              Action("Train for {value} epochs", "epochs", ts.epochs * 3, 1)))
    if ts.optimizer == "sgd":
        out.append(Suggestion("Adam or momentum instead of plain SGD"))
    if how != "still_falling":
        out.append(Suggestion("a wider or deeper network, with a non-linearity (ReLU or tanh) between Linear layers"))
    return out
