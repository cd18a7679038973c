"""`--set KEY=VALUE`: any preset field by its path, validated like a loaded preset."""
import subprocess
import sys
from pathlib import Path

import pytest

from playground.network.overrides import apply_overrides, differences, parse_path
from playground.network.preset import PresetError, preset_to_dict, resolve_preset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def xor():
    return resolve_preset("xor_mlp")


def test_paths_set_training_model_and_data_fields(xor):
    p = apply_overrides(xor, ["training.lr=0.01", "training.optimizer=sgd",
                              "model.nodes[1].params.out_features=32", "data.params.noise=0.3"])
    assert p.training.lr == 0.01 and p.training.optimizer == "sgd"
    assert p.model.nodes[1].params["out_features"] == 32 and p.data.params["noise"] == 0.3
    assert xor.training.lr == 0.03 and xor.model.nodes[1].params["out_features"] == 8  # untouched


def test_a_node_can_be_named_by_its_id(xor):
    p = apply_overrides(xor, ["model.nodes[hidden].params.out_features=4"])
    assert p.model.node("hidden").params["out_features"] == 4


@pytest.mark.parametrize("assignment, path", [
    ("training.lrr=1", "training.lrr"),
    ("training.lr=abc", "training.lr"),
    ("training.lr=-1", "training.lr"),
    ("training.optimizer=sgdd", "training.optimizer"),
    ("model.nodes[9].params.out_features=3", "model.nodes[9].params.out_features"),
    ("model.nodes[1].params.out_features=0", "model.nodes[1].params.out_features"),
    ("data.params.noise=x", "data.params.noise"),
    ("training.lr", "training.lr"),
])
def test_bad_paths_and_values_name_the_path(xor, assignment, path):
    with pytest.raises(PresetError) as e:
        apply_overrides(xor, [assignment])
    assert path in str(e.value)


def test_parse_path_reads_indices_and_ids():
    assert parse_path("model.nodes[1].params.out_features") == ["model", "nodes", 1, "params", "out_features"]
    assert parse_path("model.nodes[conv1].type") == ["model", "nodes", "conv1", "type"]


def test_differences_are_exactly_the_changed_paths(xor):
    p = apply_overrides(xor, ["training.momentum=0.5", "model.nodes[1].params.out_features=16"])
    assert differences([preset_to_dict(xor), preset_to_dict(p)]) == [
        "model.nodes[1].params.out_features", "training.momentum"]
    # writing a layer parameter's default value out is not a difference
    q = apply_overrides(xor, ["model.nodes[1].params.bias=true"])
    assert differences([preset_to_dict(xor), preset_to_dict(q)]) == []


def test_train_set_bad_value_exits_2_with_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "playground", "train", "xor_mlp", "--out", str(tmp_path / "r"),
                           "--set", "training.lr=fast"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: error:") and "training.lr" in lines[0]
