"""Presets covering every layer type, input kind, standardization and output kind (chosen from
the built-ins and the zoo by those declared traits), exported to every model format, give back
the model's outputs.

safetensors and state_dict reload to identical outputs here; the .pt2 program, the ONNX file
(in ONNX Runtime) and the generated model.py are run in a fresh process that cannot import the
playground, on inputs of a batch size the exporters never saw, and must match within 1e-4.
They take raw inputs (the data's own units): the data set's standardization is inside them, and
only the bare network (model.py's class, the weight files) takes standardized ones.
All exports are made once per module and checked in one fresh process, to keep this fast.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_export_support import all_presets, covering, export_traits, fresh_json, trained_like  # noqa: E402

from playground.network.build import build_model  # noqa: E402
from playground.export import export  # noqa: E402
from playground.data import make_dataset  # noqa: E402
from playground.network.model_file import load_state_dict_file, load_weights  # noqa: E402

TOL = 1e-4
BATCH = 7
EXPORTED = covering(all_presets(), export_traits)
PRESET_NAMES = list(EXPORTED)

CHECK = r'''
import importlib.util, json, sys
from pathlib import Path
import numpy as np
import torch
torch.set_num_threads(1)
import onnxruntime as ort

results = {}
for folder in sorted(p for p in Path(".").iterdir() if p.is_dir()):
    ref = np.load(folder / "reference.npz", allow_pickle=False)
    x, y = torch.from_numpy(ref["x"]), ref["y"]
    raw = torch.from_numpy(ref["raw"])  # the same samples in the data's own units
    r = results[folder.name] = {}
    with torch.no_grad():
        program = torch.export.load(str(folder / "model.pt2"))
        r["pt2"] = float(np.abs(program.module()(raw).numpy() - y).max())
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: raw.numpy()})[0]
    r["onnx"] = float(np.abs(got - y).max()) if got.shape == y.shape else float("inf")
    r["onnx_names"] = [session.get_inputs()[0].name, session.get_outputs()[0].name]
    r["onnx_exporter"] = session.get_modelmeta().custom_metadata_map.get("exporter", "")
    spec = importlib.util.spec_from_file_location("model_" + folder.name, folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.Model()  # no arguments
    net.load_state_dict(torch.load(folder / "model_state_dict.pt", weights_only=True))  # as it is
    net.eval()
    with torch.no_grad():
        r["python"] = float(np.abs(net(x).numpy() - y).max())
        r["python_loader"] = float(np.abs(module.load_model()(raw).numpy() - y).max())
        r["python_bare"] = float(np.abs(module.load_model(raw_inputs=False)(x).numpy() - y).max())
results["__playground_imported__"] = any(m.split(".")[0] == "playground" for m in sys.modules)
print(json.dumps(results))
'''


def _raw_by_hand(preset, x: torch.Tensor) -> torch.Tensor:
    """The samples in the data's own units, from the data set's training-split mean and std and
    numpy broadcasting written out here (not the export's code): one statistic per channel of an
    image (N, C, H, W), one per feature of a point (N, F)."""
    ds = make_dataset(preset.data.name, preset.data.params)
    if ds.mean is None or ds.std is None or tuple(x.shape[1:]) != tuple(ds.input_shape):
        return x
    mean, std = np.asarray(ds.mean, np.float32).ravel(), np.asarray(ds.std, np.float32).ravel()
    shape = (1, -1, *([1] * (x.ndim - 2))) if ds.kind == "image" else (1,) * (x.ndim - 1) + (-1,)
    return torch.from_numpy(x.numpy() * std.reshape(shape) + mean.reshape(shape))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Export every preset (with trained-looking weights) and check the files in a fresh process."""
    root = tmp_path_factory.mktemp("exports")
    presets, weights = EXPORTED, {}
    for name, preset in presets.items():
        folder = root / name
        folder.mkdir()
        state = weights[name] = trained_like(preset)
        for fmt in ("safetensors", "state_dict", "pt2", "onnx", "python"):
            paths = export(preset, state, fmt, folder)
            assert all(p.is_file() for p in paths) and not paths.warnings
        model = build_model(preset.model)
        model.load_state_dict(state)
        model.eval()
        x = torch.randn(BATCH, *model.shapes[model.input_id], generator=torch.Generator().manual_seed(5))
        with torch.no_grad():
            y = model(x)  # x: standardized, as the network saw its data in training
        raw = _raw_by_hand(preset, x)
        np.savez(folder / "reference.npz", x=x.numpy(), raw=raw.numpy(), y=y.numpy())
    results = fresh_json(CHECK, root)
    return {"root": root, "presets": presets, "weights": weights, "results": results}


def test_the_fresh_process_never_imported_the_playground(exported: dict) -> None:
    assert exported["results"]["__playground_imported__"] is False


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_pt2_program_reproduces_outputs_without_the_playground(exported: dict, name: str) -> None:
    assert exported["results"][name]["pt2"] <= TOL


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_onnx_reproduces_outputs_in_onnx_runtime(exported: dict, name: str) -> None:
    r = exported["results"][name]
    assert r["onnx"] <= TOL
    model = build_model(exported["presets"][name].model)
    assert r["onnx_names"] == [model.input_id, model.output_id]  # the diagram's names, for Netron
    assert "dynamo" in r["onnx_exporter"]  # the current exporter handles every layer; no fallback


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_model_py_reproduces_outputs_with_the_exported_state_dict(exported: dict, name: str) -> None:
    r = exported["results"][name]
    assert r["python"] <= TOL and r["python_loader"] <= TOL and r["python_bare"] <= TOL


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_weight_files_reload_to_identical_outputs(exported: dict, name: str) -> None:
    folder = exported["root"] / name
    ref = np.load(folder / "reference.npz", allow_pickle=False)
    x = torch.from_numpy(ref["x"])
    preset, state, meta = load_weights(folder / "model.safetensors")
    assert meta["trained"] == "true" and preset.name == exported["presets"][name].name
    plain = load_state_dict_file(folder / "model_state_dict.pt")
    for weights, spec in ((state, preset.model), (plain, exported["presets"][name].model)):
        model = build_model(spec)
        model.load_state_dict(weights)
        model.eval()
        with torch.no_grad():
            assert np.array_equal(model(x).numpy(), ref["y"])
        for k, v in exported["weights"][name].items():
            assert torch.equal(weights[k], v), k
