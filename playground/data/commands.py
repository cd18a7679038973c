"""`playground data inspect PATH [--label COL] [--json]`: what importing a file would give.

Prints the import report (samples, input shape, classes and their counts, rows or files left
out, warnings, the SHA-256 a preset stores), or every problem found and exit status 2. Names
read from the data (labels, columns, file names) can hold terminal escape codes: every line is
printed through `playground.core.terminal_text`, never raw.
"""
from __future__ import annotations

import argparse
import json
import sys

EXIT_BAD_INPUT = 2


def cmd_data_inspect(args: argparse.Namespace) -> int:
    from playground.data.importers import ImportProblem, inspect_path
    from playground.core.files import FileProblem
    from playground.core.terminal_text import printable, printable_json
    params = {}
    for key in ("features", "task", "missing", "size", "channels"):
        value = getattr(args, key, None)
        if value is not None:
            params[key] = value
    try:
        report = inspect_path(args.path, label=args.label or "", **params)
    except ImportProblem as e:
        for problem in e.problems:   # (some end in an example laid out over lines: kept so)
            text = "\n".join(printable(line) for line in problem.split("\n"))
            print(f"playground: error: {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FileProblem as e:   # a path that is a FIFO, a device, unreadable: its name is data too
        print(f"playground: error: {printable(str(e))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(printable_json(json.dumps(report.to_json(), indent=2, ensure_ascii=False)))
    else:
        print(report.text())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `data inspect` to the CLI's subcommands."""
    from playground.network.cli_values import bounded   # --size: the importers' SIZE range
    data = sub.add_parser("data")  # its summary: playground.command_line.main.COMMAND_LIST
    actions = data.add_subparsers(dest="data_command", required=True)
    p = actions.add_parser("inspect", help="print what would be imported, or every problem (exit 2)")
    from playground.data.importers import importers_listed   # (read when `data` runs: light, no pandas)
    p.add_argument("path", help=importers_listed())
    p.add_argument("--label", help="CSV: the label column (default: the last); npz: the label array (default y)")
    p.add_argument("--features", help="CSV: input columns, separated by commas (default: all but the label)")
    p.add_argument("--task", choices=("auto", "classification", "regression"))
    p.add_argument("--missing", choices=("drop", "fill"), help="CSV: rows with missing values")
    p.add_argument("--size", type=bounded(int, 4, 128), help="images: resize to SIZE x SIZE pixels (default 28)")
    p.add_argument("--channels", choices=("grayscale", "rgb"), help="images: colour channels")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_data_inspect)
