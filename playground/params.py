"""Declared parameters: one description drives the inspector, validation and help.

Every tunable thing in the playground (a layer's kernel size, a data set's noise, a loss
term's strength) is a `Param`. The GUI builds its editors from these, preset validation
checks values against them, and the help text a student sees comes from `help`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence


@dataclass(frozen=True)
class Param:
    """One parameter: its name, kind, default, allowed range or choices, and a one-line help."""

    name: str
    kind: str  # "int" | "float" | "bool" | "choice" | "str" | "ints" (a tuple of ints) | "floats" (numbers; may be empty)
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    log_scale: bool = False  # the inspector uses a log-stepping editor (learning rates, σ)

    def check(self, value: Any) -> str | None:
        """Return why `value` is not acceptable for this parameter, or None if it is."""
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be an integer, got {value!r}"
            return self._check_range(value)
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, got {value!r}"
            if value != value or value in (float("inf"), float("-inf")):
                return f"must be a finite number, got {value!r}"
            return self._check_range(value)
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        if self.kind == "choice":
            if value not in self.choices:
                return f"must be one of {', '.join(map(str, self.choices))}; got {value!r}"
            return None
        if self.kind == "str":
            return None if isinstance(value, str) else f"must be text, got {value!r}"
        if self.kind == "ints":
            if not isinstance(value, (list, tuple)) or not value:
                return f"must be a non-empty list of integers, got {value!r}"
            for v in value:
                if isinstance(v, bool) or not isinstance(v, int):
                    return f"must be a list of integers, got {value!r}"
                problem = self._check_range(v)
                if problem:
                    return problem
            return None
        if self.kind == "floats":
            if not isinstance(value, (list, tuple)):
                return f"must be a list of numbers, got {value!r}"
            for v in value:
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
                    return f"must be a list of finite numbers, got {value!r}"
                problem = self._check_range(v)
                if problem:
                    return f"every value {problem}, got {v!r}"
            return None
        raise ValueError(f"unknown parameter kind {self.kind!r}")

    def _check_range(self, value: float) -> str | None:
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {_fmt(self.minimum)}"
        if self.maximum is not None and value > self.maximum:
            return f"must be <= {_fmt(self.maximum)}"
        return None


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def with_defaults(params: Sequence[Param], given: dict[str, Any]) -> dict[str, Any]:
    """The full parameter dict: the given values over the declared defaults."""
    out = {p.name: (list(p.default) if isinstance(p.default, tuple) else p.default) for p in params}
    out.update(given)
    return out


def check_params(params: Sequence[Param], given: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """Every problem with `given` as (path, message): unknown names and bad values."""
    problems: list[tuple[str, str]] = []
    if not isinstance(given, dict):
        return [(path, f"must be an object of parameters, got {type(given).__name__}")]
    known = {p.name: p for p in params}
    for name, value in given.items():
        p = known.get(name)
        if p is None:
            names = ", ".join(known) or "none"
            problems.append((f"{path}.{name}", f"unknown parameter (known: {names})"))
            continue
        problem = p.check(value)
        if problem:
            problems.append((f"{path}.{name}", problem))
    return problems


@dataclass(frozen=True)
class Problem:
    """A validation problem at a path such as `model.nodes[3].params.kernel_size`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class ProblemList(Exception):
    """Raised when something a person gave is not valid; carries every problem found."""

    problems: list[Problem] = field(default_factory=list)
    what: str = "invalid input"

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            return f"{self.what}: {lines[0]}"
        return f"{self.what} ({len(lines)} problems):\n  " + "\n  ".join(lines)
