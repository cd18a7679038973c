"""One run's findings in one place: the Diagnostician's live findings and, at the end, the
outcome judged by `playground.babysit.outcome`, ranked by `findings.rank`. The app's Diagnoses panel, the
run record's `findings.json` and `playground train` all read a `RunFindings`.

It lives apart from `findings` (the vocabulary and the ranking) because it wires the detectors,
the outcome and the lessons together, all of which speak that vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from playground.babysit.diagnoses import Diagnostician
from playground.babysit.findings import Finding, rank
from playground.network.fit import data_facts
from playground.babysit.outcome import accuracy_bar, judge
from playground.training.views import is_classifier


@dataclass(frozen=True)
class FindingsEvent:
    """The findings one of the run's events newly fired, in the order they fired: judged once,
    where the run trains (the app's training thread, which records them too); whoever shows
    them takes them as they are (`RunFindings.adopt`) instead of judging the events again."""

    findings: tuple[Finding, ...]


@dataclass
class RunFindings:
    """Every finding of one run, ranked: feed it the run's events as they come, then `finish`
    it with the run's per-epoch history for the outcome.

    `lesson_finding` is the finding the lesson at hand shows on purpose (its `## Finding`):
    the outcome then says so instead of giving advice the lesson is not about."""

    preset: Any
    lesson_finding: str = ""
    live: list[Finding] = field(default_factory=list)
    outcome: Finding | None = None
    find_accuracy_bar: bool = True
    """Work out what the data allows now (it may fit the classical baselines: seconds on a first
    call). The app's panel says False and is told the bar by the training thread, which has it."""

    def __post_init__(self) -> None:
        ts = self.preset.training
        bar = self.data_accuracy_bar() if self.find_accuracy_bar else None
        self.doctor = Diagnostician(float(ts.lr), str(ts.optimizer), bar, planned_epochs=int(ts.epochs))

    def data_accuracy_bar(self) -> float | None:
        """The validation accuracy below which this classifier's run is far from good (None for
        other tasks): `outcome.accuracy_bar`."""
        return accuracy_bar(self.preset, self._n_classes()) if is_classifier(self.preset) else None

    def know_accuracy_bar(self, bar: float | None) -> None:
        """The bar, worked out elsewhere (the training thread): the stall check uses it from now on."""
        self.doctor.accuracy_bar = bar

    def _n_classes(self) -> int:
        try:
            return data_facts(self.preset.data.name, self.preset.data.params).n_classes
        except ValueError:
            return 0

    def observe(self, event: object) -> list[Finding]:
        """The findings this event newly fires (unranked)."""
        new = self.doctor.observe(event)
        self.live += new
        return new

    def adopt(self, event: FindingsEvent) -> None:
        """Take findings another RunFindings of the same run fired (the training thread's)."""
        self.live += event.findings

    def finish(self, history: Sequence[Any], n_classes: int = 0) -> list[Finding]:
        """Judge the finished run (its per-epoch metrics, oldest first) and return the ranked list."""
        self.outcome = judge(self.preset, history, n_classes, lesson_finding=self.lesson_finding,
                             findings=self.live).finding
        return self.ranked

    @property
    def ranked(self) -> list[Finding]:
        found = self.live + ([self.outcome] if self.outcome is not None else [])
        return rank(found, self.settings)

    @property
    def settings(self) -> dict[str, Any]:
        """The run's settings now: the learning rate the run last reported (a schedule decays it,
        and the actions are computed from it), the rest as the preset says."""
        return {**self.preset.training.to_dict(), "lr": self.doctor.lr}

