"""Command-line values checked like the preset fields they override, and argparse errors in
the CLI's one-line form.

`--epochs 0` once trained nothing and left a run `playground load` refused; a value given on
the command line now meets the same `Param.check` as the preset's own field, so what the CLI
accepts a preset can hold.
"""
from __future__ import annotations

import argparse
import math
import sys
from typing import Callable, NoReturn

from playground.network.spec import TRAINING_PARAMS

EXIT_BAD_INPUT = 2
MAX_JOBS = 256
"""More training processes than any desktop has cores; each one holds a copy of the data."""
MAX_SEED = 2**31 - 1
"""The largest seed a preset or data set accepts (numpy and torch take it alike)."""
MAX_TRIALS = 10_000
"""Search trials: days of training at the default budget, far past where more trials help."""
MAX_TRIAL_STEPS = 1_000_000
"""Training steps per search trial: a budget is a short run, not a full one."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2, like every
    other error of the CLI (argparse's own prints its usage block first). Subcommand parsers
    made with `add_subparsers().add_parser` are of this class too."""

    def error(self, message: str) -> NoReturn:
        print(f"playground: error: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def training_value(name: str) -> Callable[[str], object]:
    """An argparse `type` for a training setting: the text read as the setting's kind, then
    checked against its range. Errors name the value; argparse adds the option's name."""
    param = next(p for p in TRAINING_PARAMS if p.name == name)

    def parse(text: str) -> object:
        value: object = text
        if param.kind == "int":
            value = _integer(text)
        elif param.kind == "float":
            try:
                value = float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        problem = param.check(value)
        if problem:
            raise argparse.ArgumentTypeError(problem if "got" in problem else f"{problem}, got {text}")
        return value

    parse.__name__ = name   # argparse names the type in some messages
    return parse


def _integer(text: str) -> int:
    """An integer from `12`, `-5` or `1e12` (a whole number in float notation)."""
    try:
        return int(text.strip())
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
    return int(value)


def bounded(kind: type[int] | type[float], low: float, high: float | None = None) -> Callable[[str], object]:
    """An argparse `type` for a numeric option with its range: `--steps 0` once swept three
    learning rates without a word. A value outside [low, high] is refused with the range."""
    def shown(x: float) -> str:
        return f"{x:,}" if kind is int else f"{x:g}"

    span = f"from {shown(low)} to {shown(high)}" if high is not None else f"at least {shown(low)}"

    def parse(text: str) -> object:
        if kind is int:
            try:
                value: float = _integer(text)
            except argparse.ArgumentTypeError as e:
                raise argparse.ArgumentTypeError(f"{e}; it must be {span}") from None
        else:
            try:
                value = float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"must be a number {span}, got {text!r}") from None
            if not math.isfinite(value):
                raise argparse.ArgumentTypeError(f"must be a finite number {span}, got {text!r}")
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {span}, got {text}")
        return value

    parse.__name__ = kind.__name__   # argparse names the type in some messages
    return parse
