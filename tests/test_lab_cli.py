"""`playground lab ...`: the JSON shapes a teacher's script reads, and bad options exit 2."""
from __future__ import annotations

import json

import pytest

from playground.command_line.main import main


def run_json(capsys, *argv: str) -> dict:
    assert main(["lab", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_init_json_has_ten_layers_of_act_and_grad_std(capsys):
    data = run_json(capsys, "init", "--activation", "tanh", "--init", "normal", "--std", "0.01",
                    "--seeds", "1", "--batch", "100")
    assert len(data["act_std"]) == len(data["grad_std"]) == 10
    assert data["act_std"][0] == pytest.approx(0.21, rel=0.1)
    assert data["act_std"][9] < 1e-5


def test_optimizers_json_gives_steps_per_method(capsys):
    # K = 10 keeps the search short; test_labs checks K = 100 (≈ 691 against ≈ 69)
    data = run_json(capsys, "optimizers", "--surface", "quadratic", "--condition", "10")
    assert set(data["steps"]) == {"gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}
    assert data["steps"]["gd"] == pytest.approx(69, rel=0.15)   # ln 10⁶ / ln(11/9)
    assert data["steps"]["momentum"] < data["steps"]["gd"] / 2
    assert all(isinstance(n, int) or n is None for n in data["steps"].values())


def test_race_on_another_surface_and_per_method_learning_rates(capsys):
    data = run_json(capsys, "optimizers", "--surface", "saddle", "--steps", "50", "--lr", "adam=0.2")
    assert data["paths"]["adam"]["lr"] == 0.2
    assert data["paths"]["gd"]["distance_to_minimum"] is None   # a saddle has none


def test_backprop_and_activations_json(capsys):
    data = run_json(capsys, "backprop")
    assert data["max_abs_diff_vs_autograd"] < 1e-12
    assert data["loss_after"] < data["loss"]
    gallery = run_json(capsys, "activations", "--at", "0")
    tanh = next(a for a in gallery["activations"] if a["name"] == "Tanh")
    assert tanh["grad_at_typical_input"] == pytest.approx(1.0)


@pytest.mark.parametrize("argv", [
    ["lab", "init", "--init", "bogus"],
    ["lab", "init", "--std", "-1"],
    ["lab", "optimizers", "--condition", "0"],
    ["lab", "optimizers", "--lr", "lbfgs=0.1"],
    ["lab", "optimizers", "--surface", "quadratic", "--condition", "1e9"],
    ["lab", "nosuchlab"],
])
def test_bad_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        code = main(argv)
        raise SystemExit(code)
    assert e.value.code == 2
    assert "error" in capsys.readouterr().err
