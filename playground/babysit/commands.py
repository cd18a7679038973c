"""`playground check | lr-find | search`: babysitting from the command line.

check exits 0 when no check is red, 1 when one is, 2 on bad input; lr-find and search print a
table (or `--json`) and exit 0, or 2 on bad input.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

_MARK = {"green": "ok  ", "amber": "warn", "red": "FAIL"}


def _preset(args: argparse.Namespace):
    from playground.network.overrides import apply_overrides
    from playground.network.preset import resolve_preset
    return apply_overrides(resolve_preset(args.preset), getattr(args, "set", []) or [])


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def cmd_check(args: argparse.Namespace) -> int:
    from playground.babysit.checks import run_checks
    results = run_checks(_preset(args), device=args.device or "cpu")
    if args.json:
        print(json.dumps({"checks": [r.to_dict() for r in results]}, indent=2, default=_json_num))
    else:
        for r in results:   # the why, then each number with what it is (the check's own words)
            print(f"[{_MARK[r.status]}] {r.name:<26} {r.why}")
            for word, value, label in (("measured", r.measured, r.measured_label),
                                       ("expected", r.expected, r.expected_label)):
                if value is not None:
                    print(f"       {word} {_num(value):>10}  {label}".rstrip())
    return 1 if any(r.status == "red" for r in results) else 0


def _json_num(x: Any) -> Any:
    return float(x)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def cmd_lr_find(args: argparse.Namespace) -> int:
    from playground.babysit.lr_find import RECOMMENDED, lr_range_test
    from playground.training.trainer import Trainer
    trainer = Trainer(_preset(args), device=args.device or "cpu")
    result = lr_range_test(trainer, steps=args.steps)
    if len(result.lrs) < 2:
        raise ValueError("the loss was not finite even at the smallest learning rate: nothing to suggest")
    if args.json:
        d = result.to_dict()
        d["losses"] = [_finite(v) for v in d["losses"]]
        d["lr_at_min"] = _finite(d["lr_at_min"])
        print(json.dumps(d, indent=2))
        return 0
    print(f"swept {len(result.lrs)} learning rates from {result.lrs[0]:.1e} to {result.lrs[-1]:.1e}", end="")
    print(f"; lowest smoothed loss at lr {result.lr_at_min:.3g}" if math.isfinite(result.lr_at_min) else "")
    for name, lr in result.suggestions.items():
        print(f"  {name:<12} {lr:.3g}" + ("  (recommended: fast.ai's default)" if name == RECOMMENDED else ""))
    if result.note:
        print(f"note: {result.note}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from playground.selection.search import parse_param, run_search, shown_storage
    preset = _preset(args)
    if not args.param:
        raise ValueError("give at least one --param KEY=LO:HI[:log]")
    ranges = [parse_param(spec, preset) for spec in args.param]
    if args.device:
        preset.training.device = args.device

    def progress(trial, k: int, total: int) -> None:
        if not args.json:
            params = " ".join(f"{key}={v:.3g}" for key, v in trial.params.items())
            print(f"trial {k}/{total} [{trial.stage}] {params} val_loss {trial.value:.4g}", file=sys.stderr, flush=True)

    result = run_search(preset, ranges, args.trials, budget_steps=args.budget_steps, fine_trials=args.fine_trials,
                        fine_steps=args.fine_steps, sampler=args.sampler, storage=args.storage,
                        study_name=args.study, runs_folder=args.runs_dir, seed=args.seed, on_trial=progress)
    if args.json:
        d = result.to_dict()
        for t in d["trials"] + ([d["best"]] if d["best"] else []):
            t["value"] = _finite(t["value"])
        print(json.dumps(d, indent=2))
        return 0
    keys = [r.key for r in ranges]
    print(f"study '{result.study}' in {shown_storage(result.storage)}")
    print("  ".join([f"{'stage':<6}", *[f"{k:>18}" for k in keys], f"{'val_loss':>10}", "run"]))
    for t in sorted(result.trials, key=lambda t: t.value):
        cells = [f"{t.params.get(k, float('nan')):>18.4g}" for k in keys]
        print("  ".join([f"{t.stage:<6}", *cells, f"{t.value:>10.4g}", t.run or "-"]))
    for w in result.warnings:
        print(f"warning: {w}")
    return 0


def register(sub: Any) -> None:
    """Add check, lr-find and search to `playground`'s parser (called from playground/command_line/main.py)."""
    from playground.selection.search import DEFAULT_TRIAL_STEPS, DEFAULT_TRIALS, SAMPLERS
    from playground.network.cli_values import MAX_SEED, MAX_TRIAL_STEPS, MAX_TRIALS, bounded
    runs_help = "the runs folder (default: PLAYGROUND_RUNS_DIR or the per-user data folder)"
    p = sub.add_parser("check")  # the summaries: playground.command_line.main.COMMAND_LIST
    p.add_argument("preset")
    p.add_argument("--json", action="store_true", help='print {"checks": [...]}')
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a preset field")
    p.add_argument("--device", help="cpu (default), cuda, cuda:N or mps")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("lr-find")
    p.add_argument("preset")
    p.add_argument("--json", action="store_true", help='print {"suggestions", "lr_at_min", "note", "lrs", "losses"}; '
                   'suggestions holds only those the sweep stands behind, note says why any was withheld')
    p.add_argument("--steps", type=bounded(int, 3, 100), default=100,   # lr_find's 3..MAX_STEPS (no torch here)
                   help="steps of the sweep, 3 to 100 (under 18 leave too few to suggest from)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a preset field")
    p.add_argument("--device", help="cpu (default), cuda, cuda:N or mps")
    p.set_defaults(func=cmd_lr_find)

    p = sub.add_parser("search")
    p.add_argument("preset")
    p.add_argument("--trials", type=bounded(int, 1, MAX_TRIALS), default=DEFAULT_TRIALS,
                   help=f"coarse trials (default {DEFAULT_TRIALS})")
    p.add_argument("--param", action="append", default=[], metavar="KEY=LO:HI[:log]",
                   help="a setting to search, e.g. training.lr=1e-4:1e-1:log (repeatable)")
    p.add_argument("--budget-steps", type=bounded(int, 1, MAX_TRIAL_STEPS), default=DEFAULT_TRIAL_STEPS,
                   help=f"training steps per coarse trial (default {DEFAULT_TRIAL_STEPS})")
    p.add_argument("--fine-trials", type=bounded(int, 0, MAX_TRIALS), default=0, help="trials of the fine stage in the narrowed ranges")
    p.add_argument("--fine-steps", type=bounded(int, 1, MAX_TRIAL_STEPS), help="steps per fine trial (default twice --budget-steps)")
    p.add_argument("--sampler", default="random", choices=SAMPLERS,
                   help="random (default), tpe, or grid (an even grid of at most --trials cells, "
                        "log-spaced on log ranges)")
    p.add_argument("--storage", help="an Optuna storage URL (default: SQLite in the runs folder)")
    p.add_argument("--study", help="study name (default PRESET-search); an existing study is resumed")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), help="the sampler's seed")
    p.add_argument("--runs-dir", help=runs_help)
    p.add_argument("--json", action="store_true", help='print {"trials": [...], "best": {...}, "warnings": [...]}')
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a preset field")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.set_defaults(func=cmd_search)
