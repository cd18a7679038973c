"""`playground lab activations|optimizers|init|cluster|generative|backprop|grid-random|softmax|conv-size|hessian|
autodiff [options] [--json] [--png FILE]`: the
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
from playground.labs import (activations, backprop, clustering, conv_size, generative, hessian, init_explorer, optimizers,
                             softmax)
from playground.labs import autodiff_modes
from playground.selection import grid_random
from playground.labs import cluster_codes
from playground.run_records.verdicts import Verdict, welch_verdict


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _numbers(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if not all(v == v and abs(v) != float("inf") for v in values):
        raise argparse.ArgumentTypeError(f"the numbers must be finite, got {text!r}")
    return values


def _lr_pair(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or name not in optimizers.METHODS:
        raise argparse.ArgumentTypeError(f"expected METHOD=LR with METHOD one of {', '.join(optimizers.METHODS)}, "
                                         f"got {text!r}")
    return name, _positive(value)


def register(subparsers: Any) -> None:
    """Add `lab` and its labs to the CLI (called by playground.command_line.main)."""
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
    p.add_argument("--codes", action="store_true",
                   help="instead: k-means on the digits' raw pixels against the codes of a briefly trained "
                        "digits_autoencoder and vae_digits (adjusted Rand index per seed, and the verdict)")
    p.add_argument("--seeds", type=bounded(int, 2, 50), default=cluster_codes.SEEDS, metavar="N",
                   help=f"with --codes: seeds 0..N-1, each trains the autoencoders and starts k-means "
                        f"(default {cluster_codes.SEEDS})")
    p.add_argument("--epochs", type=bounded(int, 1, 500), default=cluster_codes.EPOCHS,
                   help=f"with --codes: the autoencoders' training epochs (default {cluster_codes.EPOCHS})")
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
    p = labs.add_parser("softmax", help="softmax overflow in float32 and the max-subtraction trick, over-confidence "
                                        "of scaled logits, and entropy, cross-entropy and KL of two distributions")
    p.add_argument("--logits", type=_numbers, default=list(softmax.LOGITS), metavar="Z1,Z2,...",
                   help="the logits (default 1000,1001,1002)")
    p.add_argument("--factor", type=_positive, default=1.0, help="multiply the logits by this (1/temperature; default 1)")
    p.add_argument("--p", type=_numbers, default=list(softmax.P), metavar="P1,P2,...",
                   help="distribution p as non-negative weights, scaled to sum to 1 (default 0.7,0.2,0.1)")
    p.add_argument("--q", type=_numbers, default=list(softmax.Q), metavar="Q1,Q2,...",
                   help="distribution q over the same classes (default 0.3,0.4,0.3)")
    p.add_argument("--unit", choices=tuple(softmax.UNITS), default="bits", help="log base 2 (bits) or e (nats)")
    common(p)
    p = labs.add_parser("conv-size", help="a convolution's output size floor((n + 2p - k)/s) + 1 against torch's "
                                          "Conv2d and the canvas, and the shapes of a CNN preset layer by layer")
    for flag, default, low, what in (("--n", conv_size.N, 1, "input size"), ("--k", conv_size.K, 1, "kernel size"),
                                     ("--s", conv_size.S, 1, "stride"), ("--p", conv_size.P, 0, "padding")):
        p.add_argument(flag, type=bounded(int, low, conv_size.LIMIT), default=default, help=f"{what} (default {default})")
    p.add_argument("--preset", choices=conv_size.CNN_PRESETS, default=conv_size.CNN_PRESETS[0],
                   help=f"the CNN whose layers are read (default {conv_size.CNN_PRESETS[0]})")
    common(p)
    p = labs.add_parser("hessian", help="the Hessian at a point of an optimizer-race surface: autograd against "
                                        "the hand-derived second derivatives, eigenvalues and what they say")
    p.add_argument("--surface", choices=optimizers.SURFACES, default="saddle")
    p.add_argument("--x", type=bounded(float, -100, 100), help="the point's x (default: the surface's minimum, "
                                                               "the saddle's centre)")
    p.add_argument("--y", type=bounded(float, -100, 100), help="the point's y (default as --x)")
    p.add_argument("--condition", type=_positive, default=10.0, metavar="K",
                   help="condition number of the quadratic ravine (default 10)")
    common(p)
    p = labs.add_parser("autodiff", help="forward against reverse-mode differentiation of a small tanh network: "
                                         "the Jacobian both ways, passes (n against m) and operations counted")
    p.add_argument("--inputs", type=bounded(int, 1, autodiff_modes.MAX_SIZE), default=autodiff_modes.INPUTS,
                   metavar="N", help=f"inputs n of f: Rⁿ → Rᵐ (default {autodiff_modes.INPUTS})")
    p.add_argument("--outputs", type=bounded(int, 1, autodiff_modes.MAX_SIZE), default=autodiff_modes.OUTPUTS,
                   metavar="M", help=f"outputs m (default {autodiff_modes.OUTPUTS}, a scalar like a loss)")
    p.add_argument("--hidden", type=bounded(int, 1, autodiff_modes.MAX_HIDDEN), default=autodiff_modes.HIDDEN,
                   help=f"tanh units in the hidden layer (default {autodiff_modes.HIDDEN})")
    p.add_argument("--seed", type=bounded(int, 0, MAX_SEED), default=autodiff_modes.SEED,
                   help=f"seed of the weights and the point (default {autodiff_modes.SEED})")
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
    if args.lab == "cluster" and args.codes:
        codes = cluster_codes.compare(args.seeds, args.epochs)
        return codes_json(codes), codes
    if args.lab == "cluster":
        lab = clustering.explore(args.data, args.k, args.init, args.seed, args.starts)
        return lab.as_json(), lab
    if args.lab == "generative":
        lab = generative.explore(args.data, args.seeds)
        return lab.as_json(), lab
    if args.lab == "grid-random":
        lab = grid_random.explore(args.repeats, args.seed)
        return lab.as_json(), lab
    if args.lab == "softmax":
        lab = softmax.explore(args.logits, args.factor, args.p, args.q, args.unit)
        return lab.as_json(), lab
    if args.lab == "conv-size":
        size = conv_size.compute(args.n, args.k, args.s, args.p)
        layers = conv_size.preset_layers(args.preset)
        return {**size.as_json(), "preset": args.preset,
                "layers": [{**layer.__dict__, "agree": layer.formula_out == layer.canvas_shape[-1]}
                           for layer in layers]}, (size, args.preset, layers)
    if args.lab == "hessian":
        optimizers.surface(args.surface, args.condition)   # a bad condition number fails here, at once
        x0, y0 = hessian.default_point(args.surface)
        point = hessian.at(args.surface, x0 if args.x is None else args.x, y0 if args.y is None else args.y,
                           args.condition)
        return point.as_json(), point
    if args.lab == "autodiff":
        lab = autodiff_modes.explore(args.inputs, args.outputs, args.hidden, args.seed)
        return lab.as_json(), lab
    step = backprop.step(seed=args.seed, lr=args.lr)
    return step.as_json(), step


def _g(value: float | str) -> str:
    """A JSON number of the labs (a string for inf and nan) for a line of text."""
    return f"{value:.4g}" if isinstance(value, float) else value


def codes_verdicts(codes: cluster_codes.CodesComparison) -> dict[str, Verdict]:
    """Each code against the raw pixels by Welch's test on the per-seed adjusted Rand indices
    (the app's clustering page reads them here too)."""
    return {name: welch_verdict(codes.ari["pixels"], codes.ari[name], cluster_codes.METRIC)
            for name in codes.ari if name != "pixels" and "pixels" in codes.ari}


def codes_finding(name: str, v: Verdict) -> str:
    """The verdict on one code in words: better or worse than the pixels only outside seed noise."""
    what = cluster_codes.LABELS[name]
    if v.verdict == "outside noise":
        return (f"k-means on the {what} finds the digits {'better' if v.difference > 0 else 'worse'} than on "
                "the raw pixels, by more than seed noise")
    return f"k-means on the {what} finds the digits neither better nor worse than on the raw pixels beyond seed noise"


def codes_json(codes: cluster_codes.CodesComparison) -> dict[str, Any]:
    data = codes.as_json()
    data["verdicts"] = {name: {"against": "pixels", "verdict": v.verdict, "difference": v.difference,
                               "p_value": v.p_value, "finding": codes_finding(name, v), "sentence": v.sentence()}
                        for name, v in codes_verdicts(codes).items()}
    return data


def _codes_text(data: dict) -> str:
    rows = [f"k-means (k = {data['k']}, k-means++) on {data['images']} digit images, {data['metric']} against the "
            f"labels over seeds {data['seeds'][0]}..{data['seeds'][-1]} (autoencoders trained {data['epochs']} epochs):"]
    for name, a in data["adjusted_rand_index"].items():
        rows.append(f"  {cluster_codes.LABELS[name]:<30} {a['mean']:.3f} ± {a['sd']:.3f}   "
                    f"per seed {', '.join(f'{v:.3f}' for v in a['per_seed'])}")
    for name, v in data["verdicts"].items():
        rows.append(f"  {v['finding']}:\n    {v['sentence']}")
    return "\n".join(rows)


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
            rows.append(f"  {optimizers.LABELS[m]:<9} {n if n is not None else '> ' + str(data['searched_steps']):>12}   "
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
    if lab == "cluster" and "verdicts" in data:
        return _codes_text(data)
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
    if lab == "softmax":
        o, i = data["overflow"], data["information"]
        conf = data["confidence"]
        return "\n".join([
            f"logits {data['logits']} (float32 exp overflows past {data['float32_exp_limit']:.2f}):",
            f"  naive exp(z)/sum exp(z) in float32: {o['naive_float32']}",
            f"  max-subtraction exp(z - max)/sum:   {[round(v, 6) for v in o['stable_float32']]}",
            f"  softmax({data['factor']:g}·z): {[round(v, 6) for v in data['softmax_at_factor']]}; the largest "
            f"probability reaches 0.99 at factor {conf['factor_for_0.99']:.3g}" if conf["factor_for_0.99"] else
            f"  softmax({data['factor']:g}·z): {[round(v, 6) for v in data['softmax_at_factor']]}",
            f"p = {[round(v, 4) for v in i['p']]}, q = {[round(v, 4) for v in i['q']]}:",
            f"  H(p) = {i['entropy_p']:.4g}, H(q) = {i['entropy_q']:.4g}, KL(q‖p) = {_g(i['kl_reverse'])} {i['unit']} "
            f"(KL is not symmetric)",
            f"  {i['identity']}"])
    if lab == "hessian":
        h, v = data["hessian"], data["eigenvalues"]
        return (f"{data['surface']} at ({data['x']:g}, {data['y']:g}): f = {data['value']:.6g}, gradient "
                f"({data['gradient'][0]:.4g}, {data['gradient'][1]:.4g})\n"
                f"  Hessian [[{h[0][0]:.6g}, {h[0][1]:.6g}], [{h[1][0]:.6g}, {h[1][1]:.6g}]] "
                f"(max |autograd - hand| = {data['max_abs_diff_vs_hand']:.3g})\n"
                f"  eigenvalues {v[0]:.6g}, {v[1]:.6g}: {data['description']}")
    if lab == "autodiff":
        return _autodiff_text(data)
    if lab == "conv-size":
        rows = [f"n {data['n']}, k {data['k']}, s {data['s']}, p {data['p']}: {data['worked']}",
                f"  torch Conv2d gives {data['torch_out']}, the canvas {data['canvas_out']}"
                + ("" if data["agree"] else "  (they DISAGREE)"),
                f"{data['preset']}, layer by layer:"]
        rows += [f"  {x['node_id']:<9} {x['layer']:<9} in {'x'.join(map(str, x['input_shape'])):<9} "
                 f"{x['worked']:<52} canvas {'x'.join(map(str, x['canvas_shape']))}" for x in data["layers"]]
        return "\n".join(rows)
    return (f"loss {data['loss']:.6f} -> {data['loss_after']:.6f} after one step (lr {data['lr']:g});\n"
            f"delta output {[round(v, 6) for v in data['delta2']]}, hidden {[round(v, 6) for v in data['delta1']]};\n"
            f"max |hand - autograd| = {data['max_abs_diff_vs_autograd']:.3g}")


def _autodiff_text(data: dict) -> str:
    fw, rv, diff = data["forward"], data["reverse"], data["max_abs_diff_vs_autograd"]
    rows = [f"f = {data['graph']}: R^{data['inputs']} -> R^{data['outputs']}, {data['hidden']} hidden units, "
            f"{data['nodes']} scalar nodes; one evaluation takes {data['evaluate_ops']} operations",
            f"  forward mode: {fw['passes']} pass{'es' * (fw['passes'] != 1)} x {fw['ops_per_pass']} operations "
            f"= {fw['ops']}",
            f"  reverse mode: recording sweep {rv['record_ops']} + {rv['passes']} backward pass"
            f"{'es' * (rv['passes'] != 1)} x "
            f"{rv['ops_per_pass']} operations = {rv['ops']} (tape of {rv['tape_size']} numbers)",
            f"  max |J - torch.autograd.functional.jacobian|: forward {diff['forward']:.2g}, reverse "
            f"{diff['reverse']:.2g}, torch.func jvp {diff['torch_func_jvp']:.2g}, vjp {diff['torch_func_vjp']:.2g}",
            f"  J = {[[round(v, 4) for v in row] for row in fw['jacobian']]}" if data["inputs"] * data["outputs"] <= 24
            else f"  J is {data['outputs']} x {data['inputs']} (--json prints it)",
            f"  {data['cheaper']} mode is cheaper here" if data["cheaper"] != "tie"
            else "  both modes cost the same here"]
    for key, fixed, varied in (("along_n_with_m_1", "m = 1", "n"), ("along_m_with_n_1", "n = 1", "m")):
        rows += [f"sweep with {fixed}, passes / operations:", f"  {varied:>4}  {'forward':<16}  reverse"]
        rows += [f"  {p[varied]:>4}  {p['forward_passes']:>3} / {p['forward_ops']:<10}  "
                 f"{p['reverse_passes']:>3} / {p['reverse_ops']}" for p in data["sweep"][key]]
    return "\n".join(rows)


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
