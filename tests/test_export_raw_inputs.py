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
from playground.network.preset import preset_from_dict
from playground.training.trainer import Trainer
from playground.network.model_file import read_metadata


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
    import onnxruntime as ort  # a test dependency: missing, this test fails
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


def test_a_three_channel_image_export_keeps_its_per_channel_standardization(tmp_path):
    """Colour images standardize per channel: mean and std over images, rows and columns (numpy
    by hand here), one per channel, and the exports carry them (never "inputs: raw")."""
    rng = np.random.default_rng(0)
    images = np.stack([10.0 * c + 1 + (c + 1) * rng.standard_normal((8, 4, 4)) for c in range(3)], axis=1)
    images = images.astype(np.float32)  # (8, 3, 4, 4): channel c near 10c + 1, spread c + 1
    np.savez(tmp_path / "colour.npz", X=images, y=np.arange(8) % 2)
    preset = preset_from_dict({
        "format": "nn-playground-preset", "version": 1, "name": "colour", "description": "Colour images.",
        "model": {"nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [3, 4, 4]}, "inputs": [], "pos": [0, 0]},
            {"id": "flat", "type": "Flatten", "params": {}, "inputs": ["x"], "pos": [0, 100]},
            {"id": "out", "type": "Linear", "params": {"out_features": 2}, "inputs": ["flat"], "pos": [0, 200]},
        ], "output": ""},
        "data": {"name": "npz", "params": {"path": str(tmp_path / "colour.npz"), "standardize": True,
                                           "val_fraction": 0.0, "test_fraction": 0.0}},
        "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.01, "epochs": 1, "batch_size": 4},
    })
    mean = images.mean(axis=(0, 2, 3), dtype=np.float64)
    std = images.std(axis=(0, 2, 3), dtype=np.float64)
    model = Trainer(preset, device="cpu").model.eval()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    text = " ".join(summary_text(preset, state).split())
    assert "inputs: raw" not in text and "take raw inputs" in text
    export(preset, state, "safetensors", tmp_path / "model.safetensors")
    meta = read_metadata(tmp_path / "model.safetensors")
    assert np.allclose(json.loads(meta["input_mean"]), mean, rtol=1e-5)
    assert np.allclose(json.loads(meta["input_std"]), std, rtol=1e-5)
    standardized = (images - mean[None, :, None, None]) / std[None, :, None, None]
    with torch.no_grad():
        expected = model(torch.from_numpy(standardized.astype(np.float32))).numpy()
    export(preset, state, "pt2", tmp_path / "model.pt2")
    program = torch.export.load(str(tmp_path / "model.pt2")).module()
    with torch.no_grad():
        assert np.abs(program(torch.from_numpy(images)).numpy() - expected).max() < 1e-4
