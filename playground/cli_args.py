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

from playground.spec import TRAINING_PARAMS

EXIT_BAD_INPUT = 2


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
