"""Shared pieces of the export tests (no tests here): presets that use every layer type, weights
that look trained, and a fresh Python process that cannot import the playground."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import torch

from playground.network.build import build_model
from playground.network.preset import builtin_names, resolve_preset
from playground.network.spec import DataSpec, ModelSpec, Node, Preset, TrainSpec

NO_PLAYGROUND = '''
import sys, importlib.abc
class _NoPlayground(importlib.abc.MetaPathFinder):
    """This process stands for a machine where NN Playground is not installed."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("playground", "widgets"):
            raise ImportError("NN Playground is not installed here (" + name + ")")
        return None
sys.meta_path.insert(0, _NoPlayground())
'''


def run_fresh(code: str, cwd: Path, timeout: float = 240, args: list[str] | None = None
              ) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter (-I: no user site, no script dir on sys.path) that
    refuses to import playground, in `cwd`, one thread."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-I", "-c", NO_PLAYGROUND + code, *(args or [])], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


def fresh_json(code: str, cwd: Path, timeout: float = 240) -> dict:
    """Run `code`, which prints one JSON line last, and return it (failing with the output)."""
    proc = run_fresh(code, cwd, timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def zoo_presets() -> dict[str, Preset]:
    """Hand-made presets that between them use every layer type of the catalogue, odd node ids
    (Python keywords, `self`) and graphs that branch and merge."""
    mlp = ModelSpec(nodes=[
        Node("x", "Input", {"shape": [2]}),
        Node("class", "Linear", {"out_features": 12, "init": "kaiming_normal"}, ["x"]),
        Node("self", "Tanh", {}, ["class"]),
        Node("lambda", "Linear", {"out_features": 12, "init": "xavier_uniform"}, ["self"]),
        Node("sig", "Sigmoid", {}, ["lambda"]), Node("leaky", "LeakyReLU", {"alpha": 0.1}, ["sig"]),
        Node("prelu", "PReLU", {}, ["leaky"]), Node("elu", "ELU", {}, ["prelu"]),
        Node("selu", "SELU", {}, ["elu"]), Node("gelu", "GELU", {}, ["selu"]),
        Node("swish", "Swish", {"beta": 1.5}, ["gelu"]), Node("softplus", "Softplus", {}, ["swish"]),
        Node("ident", "Identity", {}, ["softplus"]), Node("maxout", "Maxout", {"pieces": 2}, ["ident"]),
        Node("ln", "LayerNorm", {}, ["maxout"]), Node("bn", "BatchNorm", {}, ["ln"]),
        Node("drop", "Dropout", {"p": 0.2}, ["bn"]), Node("relu", "ReLU", {}, ["drop"]),
        Node("skip", "Linear", {"out_features": 6}, ["x"]),
        Node("cat", "Concat", {}, ["relu", "skip"]),
        Node("out", "Linear", {"out_features": 2, "init": "orthogonal"}, ["cat"]),
        Node("unused", "Linear", {"out_features": 3}, ["x"]),
    ], output="out")
    cnn = ModelSpec(nodes=[
        Node("image", "Input", {"shape": [1, 8, 8]}),
        Node("conv1", "Conv2d", {"out_channels": 8, "init": "kaiming_uniform"}, ["image"]),
        Node("bn1", "BatchNorm", {}, ["conv1"]), Node("relu1", "ReLU", {}, ["bn1"]),
        Node("conv2", "Conv2d", {"out_channels": 8, "dilation": 2, "padding": 2}, ["relu1"]),
        Node("res", "Add", {}, ["relu1", "conv2"]),
        Node("maxout", "Maxout", {"pieces": 2}, ["res"]),
        Node("pool", "MaxPool2d", {}, ["maxout"]), Node("avg", "AvgPool2d", {}, ["pool"]),
        Node("up", "Upsample", {"scale_factor": 2, "mode": "bilinear"}, ["avg"]),
        Node("deconv", "ConvTranspose2d", {"out_channels": 2}, ["up"]),
        Node("near", "Upsample", {"scale_factor": 1}, ["deconv"]),
        Node("lnall", "LayerNorm", {"over": "all"}, ["near"]),
        Node("flat", "Flatten", {}, ["lnall"]), Node("fc", "Linear", {"out_features": 16}, ["flat"]),
        Node("unflat", "Reshape", {"shape": [1, 4, 4]}, ["fc"]), Node("flat2", "Flatten", {}, ["unflat"]),
        Node("logits", "Linear", {"out_features": 10}, ["flat2"]), Node("probs", "Softmax", {}, ["logits"]),
    ])
    seq = ModelSpec(nodes=[
        Node("seq", "Input", {"shape": [20, 1]}),
        Node("lstm", "LSTM", {"hidden_size": 8, "output": "sequence", "init": "orthogonal"}, ["seq"]),
        Node("norm", "LayerNorm", {}, ["lstm"]),
        Node("gru", "GRU", {"hidden_size": 6, "num_layers": 2, "output": "sequence", "bidirectional": True},
             ["norm"]),
        Node("rnn", "RNN", {"hidden_size": 5, "nonlinearity": "relu", "bidirectional": True}, ["gru"]),
        Node("head", "Linear", {"out_features": 1}, ["rnn"]),
    ])
    vae = ModelSpec(nodes=[
        Node("pixels", "Input", {"shape": [1, 8, 8]}), Node("flat", "Flatten", {}, ["pixels"]),
        Node("enc", "Linear", {"out_features": 32}, ["flat"]), Node("act", "ReLU", {}, ["enc"]),
        Node("mu", "Linear", {"out_features": 4}, ["act"]),
        Node("logvar", "Linear", {"out_features": 4}, ["act"]),
        Node("z", "Sampling", {}, ["mu", "logvar"]), Node("dec", "Linear", {"out_features": 64}, ["z"]),
        Node("recon", "Sigmoid", {}, ["dec"]), Node("shape", "Reshape", {"shape": [1, 8, 8]}, ["recon"]),
    ])
    sign = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 1}), ("Sign", {}))
    return {
        "zoo_mlp": Preset("Zoo MLP", 'Every activation. A "quoted" \\ description.', mlp,
                          DataSpec("xor"), TrainSpec(l1=1e-4, l2=1e-4, max_norm=3.0, grad_clip=1.0,
                                                     optimizer="nesterov", lr=0.05, schedule="cosine")),
        "zoo_cnn": Preset("zoo cnn", "Convolutions, pooling, upsampling.", cnn, DataSpec("digits"),
                          TrainSpec(optimizer="rmsprop", schedule="warmup", warmup_steps=5)),
        "zoo_seq": Preset("Zoo sequences", "Recurrent layers.", seq, DataSpec("sine_next"),
                          TrainSpec(loss="mse", optimizer="adamw", weight_decay=0.01, schedule="step",
                                    step_size=1)),
        "zoo_vae": Preset("Zoo VAE", "Sampling.", vae, DataSpec("digits"),
                          TrainSpec(loss="mse", target="input", sparsity="kl", code_node="act",
                                    contractive=0.01, optimizer="adagrad", lr=0.01)),
        "zoo_sign": Preset("Sign", "", sign, DataSpec("linear"), TrainSpec(mode="perceptron", loss="hinge")),
    }


def all_presets() -> dict[str, Preset]:
    """Every built-in preset, then the zoo."""
    return {**{name: resolve_preset(name) for name in builtin_names()}, **zoo_presets()}


PRESET_NAMES = [*builtin_names(), *zoo_presets()]


def export_traits(preset: Preset) -> set[str]:
    """What a model export depends on, read from the preset: each layer type (and layer
    parameters that change the traced graph, such as an RNN's output or an Upsample's mode),
    the input kind, whether a standardization step goes in front, and the output kind
    (mode, loss, target)."""
    from playground.data import DATASETS
    from playground.params import with_defaults
    from playground.layers import CATALOGUE
    traits = {f"layer:{n.type}" for n in preset.model.nodes}
    for n in preset.model.nodes:
        params = with_defaults(CATALOGUE[n.type].params, n.params)
        traits |= {f"{n.type}:{k}={params[k]}" for k in ("output", "mode", "over", "nonlinearity", "bidirectional")
                   if k in params}
    entry = DATASETS[preset.data.name]
    standardized = bool(with_defaults(entry.params, preset.data.params).get("standardize", False))
    if entry.kind == "image":  # per-channel standardization: one channel or several
        shape = next(n.params["shape"] for n in preset.model.nodes if n.type == "Input")
        traits.add(f"channels:{shape[0]}")
    t = preset.training
    return traits | {f"input:{entry.kind}", f"standardized:{standardized}", f"mode:{t.mode}",
                     f"loss:{t.loss}", f"target:{t.target}"}


def script_traits(preset: Preset) -> set[str]:
    """What train.py depends on beyond the network: the data set (its augmentation and
    corruption), the optimizer, the schedule and each training extra that is switched on."""
    t = preset.training
    extras = {f"extra:{k}" for k in ("grad_clip", "l1", "l2", "max_norm", "contractive", "early_stopping")
              if getattr(t, k)}
    if t.sparsity != "none":
        extras.add(f"sparsity:{t.sparsity}")
    if any(e.metric == "steps" and e.op == "<=" for e in preset.expect):
        extras.add("promise:blows_up")  # train.py must stop and say why
    return export_traits(preset) | extras | {f"data:{preset.data.name}", f"optimizer:{t.optimizer}",
                                             f"schedule:{t.schedule}"}


def covering(presets: dict[str, Preset], traits: Callable[[Preset], set[str]]) -> dict[str, Preset]:
    """A small subset of `presets` with every trait any of them has (greedy set cover, ties in
    the given order): lesson variants that differ only in a number add nothing an export sees."""
    left = {name: traits(p) for name, p in presets.items()}
    missing = set().union(*left.values())
    chosen: list[str] = []
    while missing:
        best = max(left, key=lambda name: len(left[name] & missing))
        chosen.append(best)
        missing -= left.pop(best)
    return {name: presets[name] for name in presets if name in chosen}


def trained_like(preset: Preset, seed: int = 1) -> dict[str, torch.Tensor]:
    """Weights that differ from the initial ones everywhere (BatchNorm statistics included), as
    trained weights do, so an export that dropped or mixed up a tensor shows in the outputs."""
    state = build_model(preset.model, seed=preset.training.seed).state_dict()
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, v in state.items():
        if not v.is_floating_point():
            out[k] = v.clone() + 3
        elif k.endswith("running_var"):
            out[k] = 0.5 + torch.rand(v.shape, generator=g)
        else:
            out[k] = v + 0.1 * torch.randn(v.shape, generator=g)
    return out
