"""`playground cv`, `curve` and `bias-variance`: model selection on the command line."""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any


def _progress(total: int):
    done = [0]

    def tick(value: Any, seed: int) -> None:
        done[0] += 1
        print(f"  trained {done[0]}/{total} ({value}, seed {seed})", file=sys.stderr, flush=True)
    return tick


def _split_setting(text: str) -> tuple[str, str]:
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise ValueError(f"--param takes PATH=V1,V2,..., e.g. model.nodes[fc1].params.out_features=2,8,32; "
                         f"got {text!r}")
    return path.strip(), values


def _fmt(s) -> str:
    return "n/a" if not math.isfinite(s.mean) else f"{s.mean:.4g} ± {s.std:.2g}"


def cmd_curve(args: argparse.Namespace) -> int:
    from playground.run_records.experiments import parse_seeds
    from playground.network.overrides import apply_overrides
    from playground.network.preset import resolve_preset
    from playground.selection.curves import complexity_curve, learning_curve, parse_fractions, parse_values
    preset = apply_overrides(resolve_preset(args.preset), args.set)
    seeds = parse_seeds(args.seeds)
    if args.param:
        setting, text = _split_setting(args.param)
        values = parse_values(text)
        apply_overrides(preset, [f"{setting}={values[0]}"])   # a bad path is refused before any training
        curve = complexity_curve(preset, setting, values, seeds, on_done=_progress(len(values) * len(seeds)))
    else:
        fractions = parse_fractions(args.train_sizes)
        curve = learning_curve(preset, fractions, seeds, on_done=_progress(len(fractions) * len(seeds)))
    if args.json:
        print(json.dumps(curve.to_json(), indent=2))
        return 0
    m = curve.metric
    print(f"{curve.preset}: final {m} against {curve.varied}, mean ± sd over {len(seeds)} seeds")
    print(f"{'value':>12} {'n_train':>8} {'train_' + m:>20} {'val_' + m:>20}")
    for p in curve.points:
        mark = "  <- best validation" if p is curve.best and args.param else ""
        print(f"{str(p.value):>12} {p.n_train:>8} {_fmt(p.metrics['train_' + m]):>20} "
              f"{_fmt(p.metrics['val_' + m]):>20}{mark}")
    return 0


def cmd_bias_variance(args: argparse.Namespace) -> int:
    from playground.network.overrides import apply_overrides
    from playground.network.preset import resolve_preset
    from playground.selection.bias_variance import bias_variance
    from playground.selection.curves import parse_values
    preset = apply_overrides(resolve_preset(args.preset), args.set)
    setting, text = _split_setting(args.param)
    values = parse_values(text)
    apply_overrides(preset, [f"{setting}={values[0]}"])
    results = bias_variance(preset, setting, values, n_sets=args.sets, n_test=args.test_points,
                            on_done=_progress(len(values) * args.sets))
    if args.json:
        print(json.dumps([r.to_json() for r in results], indent=2))
        return 0
    print(f"{preset.name}: squared error on {args.test_points} fixed test points, {args.sets} training sets per value")
    print(f"{'value':>10} {'bias²':>10} {'variance':>10} {'noise':>10} {'sum':>10} {'test error':>11}")
    for r in results:
        print(f"{str(r.value):>10} {r.bias2:>10.4g} {r.variance:>10.4g} {r.noise:>10.4g} {r.decomposed:>10.4g} "
              f"{r.test_error:>11.4g}")
    return 0


def cmd_cv(args: argparse.Namespace) -> int:
    from playground.network.overrides import apply_overrides
    from playground.network.preset import resolve_preset
    from playground.selection.cv import cross_validate
    preset = apply_overrides(resolve_preset(args.preset), args.set)
    print(f"cross-validating {preset.name}: {args.folds} folds, then the single split", file=sys.stderr)
    cv = cross_validate(preset, args.folds, args.runs_dir, device=args.device,
                        on_done=lambda what, run: print(f"  {what}: {run}", file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(cv.to_json(), indent=2))
        return 0
    for k, (run, value) in enumerate(zip(cv.runs, cv.per_fold)):
        print(f"fold {k}: {cv.metric} {value:.4g}  ({run})")
    s = cv.spread
    print(f"{args.folds}-fold {cv.metric}: {s.mean:.4g} ± {s.std:.2g} (95% interval of the mean "
          f"{s.low:.4g} to {s.high:.4g}); group {cv.group}")
    print(f"single split: {cv.metric} {cv.single_split:.4g} ({cv.single_split_run}); {cv.single_split_reading}")
    return 0


def register(sub: Any) -> None:
    """Add `curve` and `bias-variance` to `playground`'s parser (called from playground/command_line/main.py)."""
    from playground.network.cli_values import bounded
    p = sub.add_parser("cv")
    p.add_argument("preset")
    p.add_argument("--folds", type=bounded(int, 2, 20), default=5, help="number of folds, 2 to 20 (default 5)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field first (repeatable)")
    p.add_argument("--runs-dir", help="where the runs are recorded (default: PLAYGROUND_RUNS_DIR or the "
                                      "per-user data folder)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--json", action="store_true", help="per-fold metrics, mean, sd and the single split as JSON")
    p.set_defaults(func=cmd_cv)

    p = sub.add_parser("curve")
    p.add_argument("preset")
    p.add_argument("--train-sizes", default="0.1,0.25,0.5,1",
                   help="fractions of the training split, e.g. 0.1,0.2,0.5,1 (default 0.1,0.25,0.5,1)")
    p.add_argument("--param", metavar="PATH=V1,V2,...",
                   help="a complexity curve instead: the setting and its values, e.g. training.l2=0,1e-3,1e-2")
    p.add_argument("--seeds", default="3", help="N (seeds 0..N-1) or A-B (default 3)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field first (repeatable)")
    p.add_argument("--json", action="store_true", help="the curve as JSON")
    p.set_defaults(func=cmd_curve)

    p = sub.add_parser("bias-variance")
    p.add_argument("preset")
    p.add_argument("--param", required=True, metavar="PATH=V1,V2,...",
                   help="the setting and its values, e.g. model.nodes[fc1].params.out_features=1,4,32")
    p.add_argument("--sets", type=bounded(int, 2, 1000), default=20, help="training sets per value (default 20)")
    p.add_argument("--test-points", type=bounded(int, 10, 100_000), default=1000,
                   help="fixed test points (default 1000)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field first (repeatable)")
    p.add_argument("--json", action="store_true", help="one JSON object per value")
    p.set_defaults(func=cmd_bias_variance)
