"""`playground runs | twin | repeat | compare`: run records and comparisons from the command line.

train, twin and repeat print the new run's id (a repeat: its group id) as the last line of
standard output, so a script can capture it; a bad run id or folder is one line and exit 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

RUNS_DIR_HELP = "the runs folder (default: PLAYGROUND_RUNS_DIR or the per-user data folder)"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _epoch_lines(event) -> None:
    from playground.training.events import EpochEvent
    if isinstance(event, EpochEvent):
        acc = f" val_acc {event.val_accuracy:.3f}" if event.val_accuracy is not None else ""
        print(f"epoch {event.epoch} val_loss {event.val_loss:.4f}{acc}", file=sys.stderr, flush=True)


def _headline_metrics(metrics: dict[str, Any]) -> str:
    keys = ("val_accuracy", "val_loss", "test_accuracy", "test_loss", "test_mse")
    return " ".join(f"{k} {_fmt(metrics[k])}" for k in keys if metrics.get(k) is not None)


# ---------------------------------------------------------------- runs

def cmd_runs(args: argparse.Namespace) -> int:
    from playground.run_records.store import delete_run, list_runs, rename_run, runs_dir
    if args.delete:
        for ref in args.delete:
            run = delete_run(ref, args.runs_dir)
            print(f"deleted {run.id}")
        return 0
    if args.rename:
        run = rename_run(args.rename[0], args.rename[1], args.runs_dir)
        print(f"{run.id} is now named {run.name!r}")
        return 0
    root = runs_dir(args.runs_dir)
    if args.runs_dir and not root.is_dir():
        from playground.core.files import FileProblem
        raise FileProblem(f"no runs folder {root}")
    runs = list_runs(args.runs_dir)
    if args.json:
        print(json.dumps([r.to_json() for r in runs], indent=2))
        return 0
    if not runs:
        print(f"no runs recorded in {root}")
        return 0
    for r in runs:
        changed = ", ".join(f"{k}={_fmt(v)}" for k, v in r.changed.items())
        extra = []
        if r.name:
            extra.append(f"name {r.name!r}")
        if r.group:
            extra.append(f"group {r.group}")
        if r.parent:
            extra.append(f"twin of {r.parent}")
        if r.problem:   # why a record is damaged or incomplete, or how a failed run ended
            extra.append(" ".join(r.problem.split()))
        parts = [r.id, r.preset, r.status, changed or "-", _headline_metrics(r.metrics) or "-"] + extra
        print("  ".join(parts))
    return 0


# ---------------------------------------------------------------- twin and repeat

def cmd_twin(args: argparse.Namespace) -> int:
    from playground.run_records.experiments import twin
    result = twin(args.run, args.set, args.runs_dir, device=args.device, on_event=_epoch_lines)
    s = result.summary
    print(f"{s.get('preset')}: {s.get('finish_reason')} after {s.get('epochs')} epochs; "
          f"{_headline_metrics(s)}")
    print(result.id)
    return 0 if s.get("finish_reason") != "problem" else 1


def cmd_repeat(args: argparse.Namespace) -> int:
    from playground.run_records.experiments import default_jobs, group_metrics, parse_seeds, repeat
    from playground.run_records.store import group_runs
    from playground.network.overrides import apply_overrides, describe_changes
    from playground.network.preset import preset_to_dict, resolve_preset
    seeds = parse_seeds(args.seeds)
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}")
    base = resolve_preset(args.preset)
    preset = apply_overrides(base, args.set)
    changed = describe_changes(preset_to_dict(base), preset_to_dict(preset)) if args.set else {}
    jobs = args.jobs or default_jobs(len(seeds))
    print(f"{preset.name}: {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}) in {jobs} process"
          f"{'es' if jobs > 1 else ''}", file=sys.stderr, flush=True)

    def done(seed: int, run_id: str) -> None:
        print(f"seed {seed}: {run_id}", file=sys.stderr, flush=True)

    group, _ = repeat(preset, seeds, args.runs_dir, changed=changed, jobs=jobs, device=args.device,
                      on_done=done, max_steps=args.steps)
    report = group_metrics(group_runs(group, args.runs_dir))
    for key in ("val_accuracy", "val_loss", "test_accuracy", "test_loss", "test_mse"):
        s = report.get(key)
        if s is not None and s.n:
            print(f"{key:<14} mean {s.mean:.4g}  std {s.std:.3g}  95% interval "
                  f"{s.low:.4g} .. {s.high:.4g}  (n={s.n})")
    print(group)
    return 0


# ---------------------------------------------------------------- compare

def cmd_compare(args: argparse.Namespace) -> int:
    from playground.run_records.experiments import compare
    result = compare(args.refs, args.runs_dir, metric=args.metric)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    items = result["items"]
    names = [i["ref"] for i in items]
    width = max(14, *(len(p) for p in result["differences"] or [""]))
    print("compared: " + ", ".join(f"{i['ref']} ({i['preset']}, {len(i['runs'])} run"
                                   f"{'s' if len(i['runs']) != 1 else ''})" for i in items))
    if result["differences"]:
        print("settings that differ:")
        for path in result["differences"]:
            print(f"  {path:<{width}} " + "  ".join(_fmt(i["settings"].get(path)) for i in items))
    else:
        print("settings that differ: none")
    print("final metrics:")
    keys = [k for k in ("val_accuracy", "val_loss", "test_accuracy", "test_loss", "test_mse")
            if any(k in i["metrics"] for i in items)]
    for k in keys:
        cells = []
        for i in items:
            m = i["metrics"].get(k)
            if m is None:
                cells.append("-")
            elif i["kind"] == "group":
                cells.append(f"{m['mean']:.4g} ± {m['std']:.2g}")
            else:
                cells.append(_fmt(m))
        print(f"  {k:<{width}} " + "  ".join(cells))
    if "verdict" in result:
        from playground.run_records.experiments import Verdict, Spread
        claim = result.get("lesson_claim")
        if claim is not None:
            held = {True: "holds", False: "does not hold"}.get(claim.get("holds"), "not measured")
            print(f"lesson claim ({claim['lesson']}): {items[1]['preset']} has {claim['claimed']} "
                  f"{claim['metric']} than {items[0]['preset']}: {held}")
        for v in result.get("verdicts") or [result["verdict"]]:
            verdict = Verdict(**{**v, "a": Spread(**v["a"]), "b": Spread(**v["b"])})
            print(f"verdict on {verdict.metric} ({names[1]} against {names[0]}): {verdict.sentence()}")
    elif len(items) == 2:
        print("verdict: needs two repeat groups (playground repeat ... --seeds N) to measure seed noise")
    return 0


def register(sub: Any) -> None:
    """Add the subcommands to `playground`'s parser (called from playground/command_line/main.py)."""
    from playground.network.cli_values import MAX_JOBS, bounded
    p = sub.add_parser("runs")  # the summaries: playground.command_line.main.COMMAND_LIST
    p.add_argument("--runs-dir", help=RUNS_DIR_HELP)
    p.add_argument("--json", action="store_true", help="a JSON list of runs")
    p.add_argument("--delete", nargs="+", metavar="RUN", help="delete these runs' records")
    p.add_argument("--rename", nargs=2, metavar=("RUN", "NAME"), help="give a run a readable name")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("twin")
    p.add_argument("run", help="run id, name or folder")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", required=True,
                   help="the setting to change, by preset path (repeatable)")
    p.add_argument("--runs-dir", help=RUNS_DIR_HELP)
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.set_defaults(func=cmd_twin)

    p = sub.add_parser("repeat")
    p.add_argument("preset")
    p.add_argument("--seeds", required=True, help="N (seeds 0..N-1) or A-B (seeds A..B)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field by its path (repeatable)")
    p.add_argument("--runs-dir", help=RUNS_DIR_HELP)
    p.add_argument("--jobs", type=bounded(int, 1, MAX_JOBS), help="parallel training processes (default: cores - 1)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--steps", type=bounded(int, 1, 10**9), help="train each run this many steps, where they end "
                   "before its epochs (a search trial's budget; the app's Repeat of a trial passes it)")
    p.set_defaults(func=cmd_repeat)

    p = sub.add_parser("compare")
    p.add_argument("refs", nargs="+", metavar="RUN_OR_GROUP")
    p.add_argument("--runs-dir", help=RUNS_DIR_HELP)
    p.add_argument("--metric", help="the final metric the first verdict compares (default: the "
                   "lesson's metric for a lesson pair, else val_accuracy for classifiers, else val_loss); "
                   "verdicts on val_loss and val_accuracy follow")
    p.add_argument("--json", action="store_true", help="differences, metrics and verdict as JSON")
    p.set_defaults(func=cmd_compare)
