"""Exported models take raw inputs: the data set's standardization (fitted on its training split)
is part of the pt2, ONNX and model.py exports, and the bare-network files say what they expect."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import torch

from playground.data import make_dataset
from playground.export import export, summary_text
from playground.preset import preset_from_dict
from playground.trainer import Trainer
from playground.weights import read_metadata


def preset_on(csv_path: str) -> dict:
    return {
        "format": "nn-playground-preset", "version": 1, "name": "house_prices", "description": "Prices.",
        "model": {"nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [2]}, "inputs": [], "pos": [0, 0]},
            {"id": "hidden", "type": "Linear", "params": {"out_features": 8}, "inputs": ["x"], "pos": [0, 100]},
            {"id": "act", "type": "Tanh", "params": {}, "inputs": ["hidden"], "pos": [0, 200]},
            {"id": "out", "type": "Linear", "params": {"out_features": 2}, "inputs": ["act"], "pos": [0, 300]},
        ], "output": ""},
        "data": {"name": "csv", "params": {"path": csv_path, "label": "expensive"}},
        "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.05, "epochs": 2, "batch_size": 16},
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A preset on a CSV whose features are far from mean 0, std 1 (square metres, years)."""
    root = tmp_path_factory.mktemp("raw")
    rng = np.random.default_rng(0)
    area, year = rng.uniform(40, 250, 120), rng.uniform(1900, 2020, 120)
    rows = ["area,year,expensive"] + [f"{a:.1f},{y:.0f},{int(a > 120)}" for a, y in zip(area, year)]
    (root / "houses.csv").write_text("\n".join(rows) + "\n")
    preset = preset_from_dict(preset_on(str(root / "houses.csv")))
    trainer = Trainer(preset, device="cpu")
    trainer.run()
    state = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    ds = make_dataset(preset.data.name, preset.data.params)
    assert np.abs(ds.mean).max() > 100  # the inputs really are raw numbers far from 0
    with torch.no_grad():
        trainer.model.eval()
        expected = trainer.model(torch.from_numpy(ds.x_test)).numpy()
    raw = ds.unstandardize(ds.x_test).astype(np.float32)
    return root, preset, state, raw, expected, ds


def test_pt2_and_onnx_take_raw_inputs(trained):
    root, preset, state, raw, expected, _ = trained
    export(preset, state, "pt2", root / "model.pt2")
    program = torch.export.load(str(root / "model.pt2")).module()
    with torch.no_grad():
        assert np.abs(program(torch.from_numpy(raw)).numpy() - expected).max() < 1e-4
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort
    export(preset, state, "onnx", root / "model.onnx")
    session = ort.InferenceSession(str(root / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: raw})[0]
    assert np.abs(got - expected).max() < 1e-4


def test_model_py_loader_takes_raw_inputs_and_bare_network_is_described(trained):
    root, preset, state, raw, expected, ds = trained
    export(preset, state, "python", root / "model.py")
    spec = importlib.util.spec_from_file_location("house_model", root / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.no_grad():
        assert np.abs(module.load_model()(torch.from_numpy(raw)).numpy() - expected).max() < 1e-4
        bare = module.load_model(raw_inputs=False)
        assert np.abs(bare(torch.from_numpy(ds.x_test)).numpy() - expected).max() < 1e-4
    header = (root / "model.py").read_text().split('"""')[1]
    assert "take raw inputs" in header and f"{float(ds.mean[0]):.4g}" in header


def test_bare_network_files_say_which_mean_and_std_they_expect(trained):
    root, preset, state, _, _, ds = trained
    text = " ".join(summary_text(preset, state).split())  # the note is wrapped to the table's width
    assert f"mean [{float(ds.mean[0]):.4g}, {float(ds.mean[1]):.4g}]" in text and "std [" in text
    export(preset, state, "safetensors", root / "model.safetensors")
    meta = read_metadata(root / "model.safetensors")
    assert np.allclose(json.loads(meta["input_mean"]), ds.mean) and np.allclose(json.loads(meta["input_std"]), ds.std)
