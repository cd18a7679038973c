"""The exported training script trains where the playground is not installed.

A covering subset of the presets (every layer type, data set, output kind, optimizer, schedule
and training extra among them) has its train.py run a few steps in a fresh process that cannot
import the playground: the learning rate follows the preset's schedule, and the training loss
falls (a decay schedule starts from a large rate on purpose, so there it need only stay finite;
a preset that promises to blow up must be stopped with the reason); for presets without random
augmentation it computes exactly the playground Trainer's numbers; and `torchrun
--nproc_per_node=2` trains with DistributedDataParallel (gloo, CPU), each process on its half of
the data.
"""
from __future__ import annotations

import ast
import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_export_support import all_presets, covering, fresh_json, script_traits  # noqa: E402

from playground.export import export  # noqa: E402
from playground.training.optim import scheduled_lr  # noqa: E402
from playground.network.preset import resolve_preset  # noqa: E402
from playground.training.trainer import Trainer  # noqa: E402

STEPS = 30
EPOCHS = 1000  # train.py's --epochs: --max-steps ends the run; schedules such as cosine span all of it
SCRIPTED = covering(all_presets(), script_traits)
DECAYS = {"step", "exponential", "inverse_sqrt", "inverse_time"}
"""Schedules the lessons start from a rate too large to settle at: the loss may rise first."""

RUN_ALL = r'''
import contextlib, importlib.util, io, json, sys
from pathlib import Path
import torch
torch.set_num_threads(1)
results = {}
for folder in sorted(p for p in Path(".").iterdir() if p.is_dir()):
    spec = importlib.util.spec_from_file_location("train_" + folder.name, folder / "train.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    with contextlib.redirect_stdout(io.StringIO()):
        results[folder.name] = module.main(["--epochs", "%d", "--max-steps", "%d", "--device", "cpu",
                                            "--data", str(folder / "data.npz"), "--out", str(folder / "run")])
results["__playground_imported__"] = any(m.split(".")[0] == "playground" for m in sys.modules)
print(json.dumps(results))
''' % (EPOCHS, STEPS)


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("scripts")
    for name, preset in SCRIPTED.items():
        paths = export(preset, None, "script", root / name)
        assert sorted(p.name for p in paths) == ["data.npz", "train.py"]
        assert not paths.warnings  # a script carries no weights: it starts from the seed's, as the playground
    return {"root": root, "results": fresh_json(RUN_ALL, root)}


def test_scripts_ran_without_the_playground(scripts: dict) -> None:
    assert scripts["results"]["__playground_imported__"] is False


def promises_to_blow_up(name: str) -> bool:
    """The preset promises to stop within a few steps (rnn_exploding: its loss becomes NaN)."""
    return any(e.metric == "steps" and e.op == "<=" for e in SCRIPTED[name].expect)


@pytest.mark.parametrize("name", list(SCRIPTED))
def test_train_py_loss_falls_in_a_few_steps(scripts: dict, name: str) -> None:
    r, ts = scripts["results"][name], SCRIPTED[name].training
    assert 0 < r["steps"] <= STEPS
    if promises_to_blow_up(name):  # train.py checks once an epoch, the playground every step
        assert "NaN or infinite" in r["stopped"] and r["epochs"] == 1, r  # stopped with the reason
        return
    if ts.schedule in DECAYS:
        assert math.isfinite(r["train_loss_after"]), r
    else:
        assert r["train_loss_after"] < r["train_loss_before"], r
    if ts.mode != "perceptron":
        rows = list(csv.DictReader(open(scripts["root"] / name / "run" / "metrics.csv")))
        n_train = len(np.load(scripts["root"] / name / "data.npz")["x_train"])
        steps_per_epoch, last = -(-n_train // ts.batch_size), rows[-1]
        expected = scheduled_lr(ts, int(last["step"]) - 1, steps_per_epoch, EPOCHS * steps_per_epoch)
        assert float(last["lr"]) == pytest.approx(expected, rel=1e-6)
    weights = torch.load(scripts["root"] / name / "run" / "model.pt", weights_only=True)
    assert all(torch.isfinite(v.float()).all() for v in weights.values())


def test_train_py_imports_only_torch_numpy_and_the_standard_library(scripts: dict) -> None:
    for folder in scripts["root"].iterdir():
        if not folder.is_dir():
            continue
        tree = ast.parse((folder / "train.py").read_text())
        roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        roots |= {node.module.split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.module}
        assert roots - sys.stdlib_module_names <= {"torch", "numpy"}, (folder.name, roots)
        with np.load(folder / "data.npz", allow_pickle=False) as data:
            assert {"x_train", "y_train", "x_val", "y_val", "x_test", "y_test"} <= set(data.files)


@pytest.mark.parametrize("name", ["xor_mlp", "vae_digits", "digits_cnn", "denoising_autoencoder", "resnet_shapes"])
def test_train_py_computes_what_the_playground_computes(tmp_path: Path, name: str) -> None:
    """Same seed, same initial weights, same batches, same step (train.py copies playground/training/step.py):
    the same epoch losses."""
    preset = resolve_preset(name)
    preset.training.epochs = 2
    trainer = Trainer(preset, device="cpu")
    trainer.run()
    export(preset, None, "script", tmp_path / "script")
    proc = subprocess.run([sys.executable, "-I", "train.py", "--epochs", "2", "--device", "cpu",
                           "--out", "run"],
                          cwd=tmp_path / "script", capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "script" / "run" / "metrics.csv")))
    assert len(rows) == 2 == len(trainer.history)
    for row, epoch in zip(rows, trainer.history):
        assert float(row["train_loss"]) == pytest.approx(epoch.train_loss, rel=1e-5)
        assert float(row["val_loss"]) == pytest.approx(epoch.val_loss, rel=1e-5)


def test_torchrun_trains_with_two_cpu_processes(tmp_path: Path) -> None:
    preset = resolve_preset("xor_mlp")
    export(preset, None, "script", tmp_path / "script")
    launcher = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(launcher)}
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
         "train.py", "--epochs", "3", "--device", "cpu", "--out", "ddp"],
        cwd=tmp_path / "script", capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((tmp_path / "script" / "ddp" / "summary.json").read_text())
    n_train = len(np.load(tmp_path / "script" / "data.npz")["x_train"])
    per_process = -(-n_train // 2)  # the DistributedSampler gives each process half the data
    assert summary["processes"] == 2
    assert summary["steps"] == 3 * -(-per_process // preset.training.batch_size)
    assert summary["train_loss_after"] < summary["train_loss_before"]
    weights = torch.load(tmp_path / "script" / "ddp" / "model.pt", weights_only=True)
    assert not any(k.startswith("module.") for k in weights)  # the plain network's names, not DDP's
