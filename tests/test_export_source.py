"""The generated model.py reads like the diagram and builds the network the playground builds."""
from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_export_support import PRESET_NAMES, all_presets, trained_like, zoo_presets  # noqa: E402

from playground.network.build import build_model  # noqa: E402
from playground.export import export  # noqa: E402
from playground.export.common import prepare  # noqa: E402
from playground.export.python_source import class_name_for, model_py_source  # noqa: E402

PRESETS = all_presets()


def load_source(source: str, path: Path) -> types.ModuleType:
    module = types.ModuleType("generated_model")
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def find(tree: ast.Module, kind: type, name: str) -> ast.AST:
    return next(n for n in ast.walk(tree) if isinstance(n, kind) and getattr(n, "name", None) == name)


@pytest.mark.parametrize("name", ["resnet_shapes", "vae_digits", "zoo_cnn"])
def test_model_py_is_the_diagram_written_out(name: str) -> None:
    preset = PRESETS[name]
    job = prepare(preset, None)
    tree = ast.parse(model_py_source(job))
    plan = job.model.plan
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name_for(preset.name))

    init = find(cls, ast.FunctionDef, "__init__")
    attrs = [s.targets[0].attr for s in init.body
             if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Attribute)]
    assert attrs == [nid for nid, _ in plan]  # one attribute per node, named by its id, in graph order

    forward = find(cls, ast.FunctionDef, "forward")
    assert [a.arg for a in forward.args.args] == ["self", job.model.input_id]
    steps = [s for s in forward.body if isinstance(s, ast.Assign)]
    assert [s.targets[0].id for s in steps] == [nid for nid, _ in plan]
    for step, (nid, inputs) in zip(steps, plan):
        assert step.value.func.attr == nid and [a.id for a in step.value.args] == list(inputs)
    assert forward.body[-1].value.id == job.model.output_id

    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "pathlib", "torch", "safetensors.torch", "sys"}


def test_python_keywords_and_self_as_node_ids_still_make_valid_code(tmp_path: Path) -> None:
    preset = zoo_presets()["zoo_mlp"]  # nodes named class, self and lambda
    source = model_py_source(prepare(preset, None))
    assert "setattr(self, 'class', nn.Linear(2, 12, bias=True))" in source
    assert "class_ = getattr(self, 'class')(x)" in source and "self_ = self.self(class_)" in source
    net = load_source(source, tmp_path / "model.py").Model()
    assert net.load_state_dict(trained_like(preset)) is not None


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_model_class_starts_from_the_playground_initial_weights(tmp_path: Path, name: str) -> None:
    """Same seed, same modules made in the same order with the same init: the same numbers, so
    train.py (which reuses the class) starts exactly where the playground starts."""
    preset = PRESETS[name]
    module = load_source(model_py_source(prepare(preset, None)), tmp_path / "model.py")
    torch.manual_seed(preset.training.seed)
    net = module.Model()
    expected = build_model(preset.model, seed=preset.training.seed).state_dict()
    got = net.state_dict()
    assert list(got) == list(expected)
    for k in expected:
        assert torch.equal(got[k], expected[k]), k


def test_model_py_loads_the_safetensors_export_too(tmp_path: Path) -> None:
    from safetensors.torch import load_file
    preset = PRESETS["digits_cnn"]
    state = trained_like(preset)
    export(preset, state, "python", tmp_path)
    export(preset, state, "safetensors", tmp_path)
    module = load_source((tmp_path / "model.py").read_text(), tmp_path / "model.py")
    net = module.load_model(tmp_path / "model.safetensors")
    x = torch.randn(3, 1, 8, 8)
    reference = build_model(preset.model)
    reference.load_state_dict(load_file(str(tmp_path / "model.safetensors")))
    assert torch.equal(net(x), reference.eval()(x))


def test_class_names_come_from_the_preset_name() -> None:
    assert class_name_for("xor_mlp") == "XorMlp"
    assert class_name_for("XOR with an MLP") == "XorWithAnMlp"
    assert class_name_for("ResNet on shapes") == "ResNetOnShapes"
    assert class_name_for("Sign") == "SignNet"  # would hide the Sign layer's class
    assert class_name_for("3-layer net") == "Model"
    assert class_name_for("") == "Model"
