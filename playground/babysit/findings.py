"""One voice: every claim the app makes about a run — a live diagnosis, the end-of-run outcome,
learning-rate advice — is a `Finding` in one ranked list, so no two of them contradict.

The precedence (`rank`):

1. severity first (`SEVERITIES`), then the fixed order of `NAMES`: a non-finite or diverging loss
   heads the list;
2. while the loss diverges nothing may say "raise the learning rate", and while training is
   unstable (diverging, or gradients exploding) nothing may call it overfitting: a diverging run's
   numbers read as anything else are misread; and "add capacity" (no gap) stands only while nothing
   else explains a poor fit (`NO_GAP_EXPLAINED_BY`: a rate, dead or saturated units, overfitting);
3. one direction per setting: an action that moves a setting against the action of a finding
   ranked above it is withdrawn (the observation stays, its advice goes);
4. a proposed value stays inside the setting's declared range (`playground.network.spec.TRAINING_PARAMS`)
   and moves the way its action says; one that cannot is withdrawn.

This module is the findings' vocabulary and their ranking only; `run_findings.RunFindings`
gathers one run's findings (the Diagnostician's live ones, then the outcome) and ranks them here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

SEVERITIES = ("critical", "warning", "info")
"""critical: training cannot go on as it is; warning: a fault of the run; info: advice."""

NAMES = ("divergence", "exploding", "vanishing", "overfitting", "dead_relu", "saturated", "lr_too_low",
         "update_ratio", "far_from_good", "add_capacity")
"""Every finding's name, in rank order within one severity."""

NO_GAP_EXPLAINED_BY = ("divergence", "exploding", "vanishing", "dead_relu", "saturated", "update_ratio", "lr_too_low",
                       "overfitting")
"""Findings that explain a poor fit otherwise: while one stands, "add capacity" is not the advice."""

OUTCOME = "far_from_good"
"""The finding of a finished run that ended far from a good result (`playground.babysit.outcome`)."""


@dataclass(frozen=True)
class Action:
    """One change that might help: a training setting, applied as an undoable edit.

    `template` holds `{value}` where the number goes; `direction` says which way the change
    must move the setting (+1 raise, −1 lower, 0 set a value), so the ranking can refuse a
    value that a range clamps into the wrong direction."""

    template: str
    setting: str
    value: Any
    direction: int = 0

    @property
    def label(self) -> str:
        return self.template.format(value=_number(self.value))


def _number(x: Any) -> str:
    return f"{x:.3g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Finding:
    """One claim about a run: what it is, how bad, when, in words, and the one thing to try.

    `evidence` (the numbers and the panel they come from), `causes` (hedged, as the notes
    speak) and `thresholds` (keys of `diagnoses.THRESHOLDS` that decided it) are what a card
    shows beside the message."""

    name: str
    severity: str
    step: int
    message: str
    action: Action | None = None
    node_id: str = ""
    evidence: str = ""
    causes: tuple[str, ...] = ()
    thresholds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"unknown finding {self.name!r} (known: {', '.join(NAMES)})")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r} (known: {', '.join(SEVERITIES)})")

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.node_id)

    def to_json(self) -> dict[str, Any]:
        """The run record's form (findings.json)."""
        return {"name": self.name, "severity": self.severity, "step": int(self.step),
                "message": self.message, "action": self.action.label if self.action else None}

    def line(self) -> str:
        """One line for a terminal."""
        where = f" (step {self.step})" if self.step >= 0 else ""
        todo = f" Try: {self.action.label}." if self.action else ""
        return f"[{self.severity}] {self.name}{where}: {self.message}{todo}"


def setting_range(setting: str) -> tuple[float, float]:
    """The declared range of a training setting, from the setting's owner."""
    from playground.network.spec import TRAINING_PARAMS
    for p in TRAINING_PARAMS:
        if p.name == setting:
            lo = -math.inf if p.minimum is None else float(p.minimum)
            hi = math.inf if p.maximum is None else float(p.maximum)
            return lo, hi
    raise KeyError(f"no training setting named {setting!r}")


def _direction(action: Action, current: Any) -> int:
    """Which way the action moves the setting from its current value (0: no move, or not a number)."""
    if not isinstance(current, (int, float)) or not isinstance(action.value, (int, float)):
        return 0
    return (action.value > current) - (action.value < current)


def _kept_in_range(action: Action, current: Any) -> Action | None:
    """The action with its value clamped into the setting's range, or None when the clamped
    value no longer moves the way the action says (at the top of the range, "raise" is no advice)."""
    lo, hi = setting_range(action.setting)
    value = action.value
    if isinstance(value, (int, float)):
        clamped = min(max(value, lo), hi)
        value = type(action.value)(clamped) if isinstance(action.value, int) else float(clamped)
    kept = replace(action, value=value)
    if action.direction and _direction(kept, current) != action.direction:
        return None
    return kept


def rank(findings: Sequence[Finding], settings: Mapping[str, Any]) -> list[Finding]:
    """The findings in rank order with the precedence rules applied (see the module's docstring).
    `settings` are the run's training settings (name → current value)."""
    order = sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), NAMES.index(f.name), f.step))
    diverging = any(f.name == "divergence" for f in order)
    unstable = diverging or any(f.name == "exploding" for f in order)
    out: list[Finding] = []
    moves: dict[str, int] = {}   # setting → the direction a higher-ranked finding moves it
    for f in order:
        if unstable and f.name == "overfitting":
            continue
        if f.name == "add_capacity" and any(g.name in NO_GAP_EXPLAINED_BY for g in order):
            continue
        action = f.action
        if action is not None:
            action = _kept_in_range(action, settings.get(action.setting))
        if diverging and f.action is not None and f.action.setting == "lr" and f.action.direction > 0:
            continue
        if action is not None:
            way = action.direction or _direction(action, settings.get(action.setting))
            if way and moves.get(action.setting, way) != way:
                action = None
            elif way:
                moves.setdefault(action.setting, way)
        out.append(f if action is f.action else replace(f, action=action))
    return out
