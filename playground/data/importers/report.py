"""What an import found: the facts a person checks before training, and the problems that stop it.

Every importer returns an `ImportReport` beside its arrays, and raises `ImportProblem` (a
ValueError, so the CLI prints it as one clear line) naming the file, the place and what was
expected. `ImportCancelled` is raised when the person cancels a long import.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from playground.core.words import plural

from playground.data.chance_loss import chance_loss, target_loss
from playground.core.terminal_text import printable

MAX_LISTED = 100
"""Skipped rows or files listed one by one; past this only their count is kept."""

MAX_NAMES = 12
"""Feature or column names listed in a report line; past this, ' ...'."""
MAX_SHOWN = 20
"""Rows or files left out listed under the report; past this, how many more."""

IMBALANCE_RATIO = 3.0
"""A largest class this many times the smallest earns a warning."""


class ImportProblem(ValueError):
    """The file cannot be imported as asked; the message names where and what was expected."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class ImportCancelled(Exception):
    """The person cancelled the import; nothing was changed."""


Progress = Callable[[float], None]
"""Called with the share done (0..1) now and then during a long import."""
Cancelled = Callable[[], bool]
"""Asked now and then; True stops the import with ImportCancelled."""


@dataclass
class Skipped:
    """A row or a file left out, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ReportLine:
    """One line of an import report, as both front ends show it: `kind` says how to set it
    (summary: the headline; fact; left_out: with `items` listed under it; warning; digest)."""

    kind: str
    text: str
    items: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """What would be imported; `data inspect --json` prints it as it is."""

    kind: str  # "points" | "regression" | "image"
    source: str
    format: str  # "csv" | "npz" | "images"
    n_samples: int
    input_shape: tuple[int, ...]
    task: str  # "classification" | "regression"
    n_classes: int
    class_names: list[str]
    class_counts: dict[str, int]
    feature_names: list[str] = field(default_factory=list)
    label: str = ""
    skipped: list[Skipped] = field(default_factory=list)
    n_skipped: int = 0
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""
    expected_initial_loss: float | None = None
    """Cross-entropy of a network that has not learned yet (ln K), or the MSE of predicting 0."""
    baseline_loss: float | None = None
    """The best a constant guess can do: the label entropy, or the target variance."""
    columns: list[dict[str, Any]] = field(default_factory=list)
    """Every column of a table and what became of it: {name, role: input | one-hot | label |
    dropped, reason (dropped), inputs (one-hot)}: no field is left out without a word."""

    def skip(self, path: str, reason: str) -> None:
        self.n_skipped += 1
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append(Skipped(path, reason))

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["input_shape"] = list(self.input_shape)
        return doc

    def lines(self) -> list[ReportLine]:
        """The report as lines, in the order a person reads them: the one structure both the
        terminal (`text`) and the data page render, so the two can never say different things."""
        shape = "(" + ", ".join(str(d) for d in self.input_shape) + ("," if len(self.input_shape) == 1 else "") + ")"
        out = [ReportLine("summary", f"{self.source}: {self.format}, {plural(self.n_samples, 'sample')}, input {shape}, "
                                     f"{self.task}")]
        if self.label:
            out.append(ReportLine("fact", f"label column: {self.label!r}"))
        if self.feature_names:
            names = ", ".join(self.feature_names[:MAX_NAMES]) + (" ..." if len(self.feature_names) > MAX_NAMES else "")
            out.append(ReportLine("fact", f"{plural(len(self.feature_names), 'input feature')}: {names}"))
        dropped = [f"{c['name']} ({c['reason']})" for c in self.columns if c.get("role") == "dropped"]
        if dropped:
            out.append(ReportLine("fact", f"{plural(len(dropped), 'column')} left out: "
                                          f"{'; '.join(dropped[:MAX_NAMES])}" + (" ..." if len(dropped) > MAX_NAMES else "")))
        if self.n_classes:
            counts = ", ".join(f"{k}: {v:,}" for k, v in self.class_counts.items())
            out.append(ReportLine("fact", f"{plural(self.n_classes, 'class', 'classes')} ({counts})"))
        if self.expected_initial_loss is not None:
            what = "cross-entropy" if self.n_classes else "MSE"
            out.append(ReportLine("fact", f"expected initial loss ({what}): {self.expected_initial_loss:.3f}; "
                                          f"a constant guess reaches {self.baseline_loss:.3f}"))
        if self.n_skipped:
            items = [f"{s.path}: {s.reason}" for s in self.skipped[:MAX_SHOWN]]
            if self.n_skipped > MAX_SHOWN:
                items.append(f"... and {self.n_skipped - MAX_SHOWN} more")
            out.append(ReportLine("left_out", f"{self.n_skipped} left out:", tuple(items)))
        out += [ReportLine("warning", w) for w in self.warnings]
        if self.sha256:
            out.append(ReportLine("digest", f"sha256: {self.sha256} (a preset keeps it: a changed file is reported)"))
        return out

    def text(self) -> str:
        """The report as a person reads it in a terminal."""
        text: list[str] = []
        for line in self.lines():
            lead = {"summary": "", "warning": "  warning: "}.get(line.kind, "  ")
            text.append(lead + line.text)
            text += [f"    {item}" for item in line.items]
        return "\n".join(printable(line) for line in text)   # names from the data never reach a terminal raw


def class_facts(report: ImportReport, y: np.ndarray) -> None:
    """Fill counts, the imbalance warning and the expected losses from the final labels."""
    if report.n_classes:
        counts = np.bincount(y.astype(np.int64, copy=False), minlength=report.n_classes)
        report.class_counts = {name: int(c) for name, c in zip(report.class_names, counts)}
        k = report.n_classes
        report.expected_initial_loss = chance_loss("cross_entropy", k)[0]   # a softmax over the classes
        p = counts[counts > 0] / max(1, counts.sum())
        report.baseline_loss = float(-(p * np.log(p)).sum())
        present = counts[counts > 0]
        if len(present) and present.max() >= IMBALANCE_RATIO * present.min():
            big, small = int(np.argmax(counts)), int(np.argmin(np.where(counts > 0, counts, counts.max() + 1)))
            report.warnings.append(
                f"the classes are imbalanced: {report.class_names[big]!r} has {plural(int(counts[big]), 'sample')}, "
                f"{report.class_names[small]!r} only {counts[small]}; a network can score "
                f"{counts[big] / counts.sum():.0%} accuracy by always answering {report.class_names[big]!r}")
    else:
        target = y.astype(np.float64).reshape(len(y), -1)
        report.class_counts = {}
        report.expected_initial_loss = target_loss("mse", target)   # an output at 0 before training
        report.baseline_loss = float(np.mean(target.var(axis=0))) if len(target) else 0.0


def describe_rows(rows: list[int], total: int, limit: int = 3) -> str:
    """'(3 rows: 57, 101, 230)' or '(12 rows: 57, 101, 230, ...)'."""
    shown = ", ".join(str(r) for r in rows[:limit]) + (", ..." if total > limit else "")
    return f"({plural(total, 'row')}: {shown})"
