"""`playground lab activations|optimizers|init|cluster|generative|backprop|grid-random [options] [--json] [--png FILE]`: the
labs' numbers as text or JSON, and their figure as a PNG for a slide.

The engine computes; drawing a `--png` is the app's job. The app's entry point (`playground`,
widgets.launch) hands its renderer to `set_figure_renderer` before it runs an engine command, so
the engine never imports Qt and the numbers work where Qt is not installed.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from playground.network.cli_values import MAX_SEED, bounded
from playground.labs import activations, backprop, clustering, generative, init_explorer, optimizers
from playground.selection import grid_random


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _lr_pair(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or name not in optimizers.METHODS:
        raise argparse.ArgumentTypeError(f"expected METHOD=LR with METHOD one of {', '.join(optimizers.METHODS)}, "
                                         f"got {text!r}")
    return name, _positive(value)


def register(subparsers: Any) -> None:
    """Add `lab` and its six labs to the CLI (called by playground.command_line.main)."""
    lab = subparsers.add_parser("lab")  # its summary: playground.command_line.main.COMMAND_LIST
    labs = lab.add_subparsers(dest="lab", required=True, metavar="LAB")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="print the numbers as JSON")
        p.add_argument("--png", metavar="FILE", help="also draw the figure to FILE (needs the app's PySide6)")
        p.set_defaults(func=cmd_lab)

    p = labs.add_parser("activations", help="every activation, its derivative, saturation and formula")
    p.add_argument("--at", type=bounded(float, -100, 100), default=1.0, metavar="X",
                   help="the unit's typical input, where each gradient f'(x) is read (default 1)")
    common(p)
    p = labs.add_parser("optimizers", help="torch.optim classes racing on a 2-D surface; on the quadratic, "
                                           "steps to cut the error by 10^6 at each method's best settings")
    p.add_argument("--surface", choices=optimizers.SURFACES, default="quadratic")
    p.add_argument("--condition", type=_positive, default=100.0, metavar="K",
                   help="condition number of the quadratic ravine (default 100)")
    p.add_argument("--steps", type=bounded(int, 1, 100_000), default=300, help="race length on the other surfaces (default 300)")
    p.add_argument("--lr", type=_lr_pair, action="append", default=[], metavar="METHOD=LR",
                   help="a method's learning rate in the race, e.g. --lr adam=0.1 (repeatable)")
    common(p)
    p = labs.add_parser("init", help="10-layer, 500-wide tanh/ReLU stack: activation and gradient std per layer")
    p.add_argument("--activation", choices=init_explorer.ACTIVATIONS, default="tanh")
    p.add_argument("--init", choices=init_explorer.INITS, default="xavier")
    p.add_argument("--std", type=_positive, default=0.01, metavar="S", help="σ of --init normal (default 0.01)")
    p.add_argument("--seeds", type=bounded(int, 1, 100), default=3, metavar="N", help="average over seeds 0..N-1 (default 3)")
    p.add_argument("--batch", type=bounded(int, 1, 10_000), default=500, help="standard-normal inputs per seed (default 500)")
    common(p)
    p = labs.add_parser("cluster", help="k-means step by step, k-means++ against random starts, and single-linkage "
                                        "clustering where k-means fails (adjusted Rand index)")
    p.add_argument("--data", choices=clustering.SETS, default="blobs", help="the 2-D set (default blobs)")
    p.add_argument("--k", type=bounded(int, 1, 20), help="clusters (default: the set's number of classes)")
    p.add_argument("--init", choices=clustering.INITS, default="k-means++", help="the start of the steps shown")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=0, help="data and start seed (default 0)")
    p.add_argument("--starts", type=bounded(int, 2, 200), default=clustering.STARTS,
                   help=f"starts per method for the objective comparison (default {clustering.STARTS})")
    common(p)
    p = labs.add_parser("generative", help="Gaussian class-conditionals (LDA: shared covariance, QDA: one per "
                                           "class) against logistic regression: boundaries, test errors and the "
                                           "learning curve")
    p.add_argument("--data", choices=generative.SETS, default="moons", help="the 2-D set (default moons)")
    p.add_argument("--seeds", type=bounded(int, 1, 50), default=generative.SEEDS, metavar="N",
                   help=f"learning-curve seeds 0..N-1 per training-set size (default {generative.SEEDS})")
    common(p)
    p = labs.add_parser("backprop", help="one SGD step of a 2-3-2 network, unit by unit, checked against autograd")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=0, help="seed of the initial weights (default 0)")
    p.add_argument("--lr", type=_positive, default=0.5, help="learning rate η (default 0.5)")
    common(p)
    p = labs.add_parser("grid-random", help="grid against random search (Bergstra & Bengio): 9 trials, one "
                                            "important and one unimportant setting, best loss over repeats")
    p.add_argument("--repeats", type=bounded(int, 2, 200), default=grid_random.REPEATS, metavar="N",
                   help=f"problems to search, each by both samplers (default {grid_random.REPEATS})")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=grid_random.SEED,
                   help=f"seed of the problems and of random search (default {grid_random.SEED})")
    common(p)


def compute(args: argparse.Namespace) -> tuple[dict, object]:
    """The JSON answer and the lab's full result (what the figure draws)."""
    if args.lab == "activations":
        curves = activations.gallery()
        return activations.gallery_json(args.at), (curves, args.at)
    if args.lab == "optimizers":
        lrs = dict(args.lr)
        optimizers.surface(args.surface, args.condition)   # a bad condition number fails here, at once
        if args.surface == "quadratic":
            best = optimizers.quadratic_steps(args.condition)
            data = optimizers.best_json(args.condition, best)
            return data, optimizers.race(args.surface, lrs, args.steps, args.condition) + (best,)
        view = optimizers.race(args.surface, lrs, args.steps, args.condition)
        return optimizers.race_json(args.surface, args.condition, args.steps, lrs, view), view + (None,)
    if args.lab == "init":
        if args.batch < 2:
            raise ValueError("--batch must be at least 2")
        report = init_explorer.explore(args.activation, args.init, args.std, args.seeds, args.batch)
        return report.as_json(), report
    if args.lab == "cluster":
        lab = clustering.explore(args.data, args.k, args.init, args.seed, args.starts)
        return lab.as_json(), lab
    if args.lab == "generative":
        lab = generative.explore(args.data, args.seeds)
        return lab.as_json(), lab
    if args.lab == "grid-random":
        lab = grid_random.explore(args.repeats, args.seed)
        return lab.as_json(), lab
    step = backprop.step(seed=args.seed, lr=args.lr)
    return step.as_json(), step


def _text(lab: str, data: dict) -> str:
    if lab == "activations":
        rows = [f"{a['name']:<10} f'({data['typical_input']:g}) = {a['grad_at_typical_input']:<8.4g} "
                f"saturated: {', '.join(f'[{lo:.2f}, {hi:.2f}]' for lo, hi in a['saturated']) or 'never'}"
                f"\n           {a['formula']}" for a in data["activations"]]
        return "\n".join(rows)
    if lab == "optimizers" and "settings" in data:
        rows = [f"steps to cut the error by 1e6 on the quadratic, condition number {data['condition']:g}:"]
        for m, n in data["steps"].items():
            s = data["settings"][m]
            mom = f", momentum {s['momentum']:.3g}" if m in ("momentum", "nesterov") else ""
            rows.append(f"  {optimizers.LABELS[m]:<9} {n if n is not None else 'not reached':>12}   "
                        f"(lr {s['lr']:.4g}{mom})")
        return "\n".join(rows)
    if lab == "optimizers":
        rows = [f"{data['surface']} from {data['start']}, {data['steps']} steps:"]
        for m, p in data["paths"].items():
            d = p["distance_to_minimum"]
            rows.append(f"  {optimizers.LABELS[m]:<9} lr {p['lr']:<8.4g} f = {p['final_value']:<10.4g}"
                        + (f" distance to minimum {d:.4g}" if d is not None else ""))
        return "\n".join(rows)
    if lab == "init":
        rows = [f"{data['activation']} / {data['init']} (weight std {data['weight_std']:.4g}):",
                "  layer  act std     grad std"]
        rows += [f"  {k:>5}  {a:<10.3g}  {g:.3g}" for k, (a, g) in
                 enumerate(zip(data["act_std"], data["grad_std"]), start=1)]
        return "\n".join(rows)
    if lab == "cluster":
        rows = [f"k-means on {data['data']} (k = {data['k']}, {data['init']} start, seed {data['seed']}): objective per "
                f"iteration {', '.join(f'{v:.4g}' for v in data['objective_per_iteration'])}"]
        for m, st in data["starts"].items():
            rows.append(f"  {m:<10} over {len(st['objectives'])} starts: objective {st['mean']:.4g} ± {st['std']:.2g} "
                        f"(best {st['best']:.4g})")
        ari = data["adjusted_rand_index"]
        rows.append(f"  adjusted Rand index against the classes: k-means {ari['kmeans']:.3f}, "
                    f"single linkage {ari['single_linkage']:.3f}")
        return "\n".join(rows)
    if lab == "generative":
        rows = [f"on {data['data']} (seed {data['seed']}: {data['train_points']} training, {data['test_points']} test "
                f"points), test error:"]
        rows += [f"  {generative.MODELS[m]:<29} {e:.3f}" for m, e in data["test_error"].items()]
        for m, line in data["linear_boundary"].items():
            w = line["weights"]
            rows.append(f"  {generative.MODELS[m]} boundary: {w[0]:.4g}·x₁ {w[1]:+.4g}·x₂ {line['bias']:+.4g} = 0")
        curve = data["learning_curve"]
        rows.append(f"learning curve, test error (mean ± sd over {curve['seeds']} seeds; logistic regression "
                    f"C = {data['logistic_C']:g}):")
        rows.append("  per class  " + "  ".join(f"{generative.MODELS[m]:<22}" for m in curve["test_error"]))
        for i, size in enumerate(curve["points_per_class"]):
            rows.append(f"  {size:>9}  " + "  ".join(f"{e['mean'][i]:.3f} ± {e['sd'][i]:.3f}".ljust(22)
                                                    for e in curve["test_error"].values()))
        rows.append(curve["verdict"])
        return "\n".join(rows)
    if lab == "grid-random":
        rows = [f"{data['trials']} trials per search; distinct learning rates tried per repeat: grid "
                f"{sorted(set(data['distinct_important']['grid']))}, random "
                f"{sorted(set(data['distinct_important']['random']))}",
                "  repeat  best lr    grid best  random best"]
        rows += [f"  {k:>6}  {run['best_lr']:<9.3g}  {g:<9.4f}  {r:.4f}" for k, (run, g, r) in
                 enumerate(zip(data["runs"], data["best_loss"]["grid"], data["best_loss"]["random"]))]
        return "\n".join(rows + [data["summary"]])
    return (f"loss {data['loss']:.6f} -> {data['loss_after']:.6f} after one step (lr {data['lr']:g});\n"
            f"delta output {[round(v, 6) for v in data['delta2']]}, hidden {[round(v, 6) for v in data['delta1']]};\n"
            f"max |hand - autograd| = {data['max_abs_diff_vs_autograd']:.3g}")


FigureRenderer = Callable[[str, Any, Path], Path]
"""Draws lab `name`'s result to a PNG file and returns its path."""
_figure_renderer: FigureRenderer | None = None


def set_figure_renderer(renderer: FigureRenderer | None) -> None:
    """Called by the app's entry point: the engine draws nothing itself."""
    global _figure_renderer
    _figure_renderer = renderer


def cmd_lab(args: argparse.Namespace) -> int:
    data, result = compute(args)
    if args.png:
        if _figure_renderer is None:
            raise ValueError("--png needs the app: run it as `playground lab ...` with PySide6 and "
                             "pyqtgraph installed")
        out = _figure_renderer(args.lab, result, Path(args.png))
        print(f"wrote {out}", file=sys.stderr)
    print(json.dumps(data) if args.json else _text(args.lab, data))
    return 0
