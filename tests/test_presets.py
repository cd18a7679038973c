"""Presets: round trip, validation with paths, migration, atomic save, and the built-ins."""
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.core.files import FileProblem
from playground.params import ProblemList
from playground.network.preset import (
    FORMAT, VERSION, builtin_names, load_preset, preset_from_dict, preset_from_json, preset_to_dict,
    resolve_preset, save_preset)

REQUIRED = ["perceptron_linear", "xor_mlp", "spiral_tanh", "circle_relu", "digits_mlp", "digits_cnn",
            "shapes_cnn", "resnet_shapes", "digits_autoencoder", "denoising_autoencoder",
            "sparse_autoencoder", "contractive_autoencoder", "vae_digits", "sine_lstm", "adding_rnn",
            "adding_lstm", "deep_init_kaiming", "deep_init_small", "regression_sine"]


def doc(name="xor_mlp"):
    return preset_to_dict(resolve_preset(name))


def test_all_required_builtins_exist_with_descriptions_and_promises():
    assert set(REQUIRED) <= set(builtin_names())
    for name in builtin_names():
        p = resolve_preset(name)
        assert p.name == name and len(p.description) > 80 and p.expect, name


@pytest.mark.parametrize("name", builtin_names())
def test_round_trip_is_identical(name, tmp_path):
    p = resolve_preset(name)
    path = save_preset(p, tmp_path / "p.json")
    assert preset_to_dict(load_preset(path)) == preset_to_dict(p)


def test_bad_field_is_named_by_its_path():
    d = doc("digits_cnn")
    d["model"]["nodes"][1]["params"]["kernel_size"] = 0
    with pytest.raises(ProblemList) as e:
        preset_from_dict(d)
    assert "model.nodes[1].params.kernel_size: must be >= 1" in str(e.value)


def test_every_problem_is_listed():
    d = doc()
    d["training"]["lr"] = -1
    d["data"]["params"]["noise"] = "loud"
    d["model"]["nodes"][1]["type"] = "Linaer"
    with pytest.raises(ProblemList) as e:
        preset_from_dict(d)
    paths = {p.path for p in e.value.problems}
    assert {"training.lr", "data.params.noise", "model.nodes[1].type"} <= paths


def test_shape_errors_are_reported_at_the_node():
    d = doc("digits_cnn")
    d["model"]["nodes"][4]["params"].update(kernel_size=9, padding=0)
    with pytest.raises(ProblemList, match=r"model.nodes\[4\]: Conv2d 'conv2': kernel 9 larger than input 4x4"):
        preset_from_dict(d)


def test_future_version_is_refused_clearly():
    d = doc()
    d["version"] = VERSION + 1
    with pytest.raises(ProblemList, match="newer NN Playground"):
        preset_from_dict(d)


def test_version_0_chain_migrates_forward():
    old = {"format": FORMAT, "version": 0, "name": "old", "description": "a chain",
           "layers": [{"type": "Input", "params": {"shape": [2]}}, {"type": "Linear", "params": {"out_features": 2}}],
           "data": {"name": "xor"}, "training": {}}
    p = preset_from_dict(old)
    assert [n.type for n in p.model.nodes] == ["Input", "Linear"] and p.model.nodes[1].inputs == [p.model.nodes[0].id]


def test_not_json_and_not_a_preset():
    with pytest.raises(ProblemList, match="not valid JSON: .* line 1"):
        preset_from_json("{nope")
    with pytest.raises(ProblemList, match="not an NN Playground preset"):
        preset_from_json(json.dumps({"hello": 1}))


def test_missing_file_and_unknown_builtin():
    with pytest.raises(FileProblem, match="no such preset file"):
        load_preset("/nonexistent/x.json")
    with pytest.raises(FileProblem, match="no preset file or built-in preset named 'nope'"):
        resolve_preset("nope")


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    p = resolve_preset("xor_mlp")
    target = tmp_path / "mine.json"
    save_preset(p, target)
    before = target.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(FileProblem, match="No space left on device"):
        save_preset(p, target)
    assert target.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["mine.json"]  # no temp file left behind


def test_save_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileProblem, match="does not exist"):
        save_preset(resolve_preset("xor_mlp"), tmp_path / "no" / "such" / "p.json")


# ---- malformed presets: each one a validation error, never a crash ----
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10)
BASE = doc("digits_cnn")
PATHS = [("name",), ("model",), ("model", "nodes"), ("model", "nodes", 0), ("model", "nodes", 1, "params"),
         ("model", "nodes", 1, "params", "kernel_size"), ("model", "nodes", 2, "inputs"), ("model", "nodes", 3, "type"),
         ("model", "nodes", 1, "pos"), ("model", "output"), ("data",), ("data", "name"), ("data", "params"),
         ("data", "params", "seed"), ("training",), ("training", "lr"), ("training", "optimizer"), ("expect",),
         ("version",), ("model", "nodes", 4, "id")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), json_values)
def test_malformed_presets_give_validation_errors_not_crashes(path, value):
    d = json.loads(json.dumps(BASE))
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    try:
        preset_from_dict(d)
    except ProblemList as e:
        assert e.problems and all(p.message for p in e.problems)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json_document_is_refused_or_accepted_cleanly(value):
    try:
        preset_from_dict(value)
    except ProblemList:
        pass
