"""`playground check | lr-find | search` from the command line: exit codes and JSON shapes."""
from __future__ import annotations

import json

import pytest

from playground.command_line.main import main


def test_check_json_on_digits_mlp_exits_0(capsys):
    assert main(["check", "digits_mlp", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in doc["checks"]] == ["initial_loss", "regularization_raises_loss", "overfit_tiny",
                                                  "input_independent", "gradient_check"]
    for c in doc["checks"]:
        assert set(c) == {"name", "status", "measured", "expected", "why", "measured_label", "expected_label"}
        assert c["measured_label"] and (c["expected"] is None or c["expected_label"])   # what each number is
        assert c["status"] == "green"


def test_check_exits_1_when_a_check_is_red(capsys):
    code = main(["check", "digits_mlp", "--set", "model.nodes[out].params.init=\"normal\"",
                 "--set", "model.nodes[out].params.init_std=10"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in out and "initial_loss" in out


def test_check_exits_2_on_bad_input(capsys):
    assert main(["check", "no_such_preset_anywhere"]) == 2
    assert capsys.readouterr().err.startswith("playground: error:")


def test_lr_find_json(capsys):
    assert main(["lr-find", "xor_mlp", "--json", "--steps", "40"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"suggestions", "lr_at_min", "note", "lrs", "losses"}
    # all three suggestions and no note, or fewer and a note that says why
    assert set(doc["suggestions"]) <= {"steepest", "min_over_10", "valley"}
    assert (doc["note"] is None) == (len(doc["suggestions"]) == 3)
    assert len(doc["lrs"]) == len(doc["losses"]) <= 40


@pytest.mark.parametrize("param", ["training.lr=1e-1:1e-4:log", "training.bogus=1:2"])
def test_search_refuses_a_bad_param_naming_it(capsys, param):
    assert main(["search", "xor_mlp", "--trials", "1", "--param", param]) == 2
    err = capsys.readouterr().err
    assert err.startswith("playground: error:") and param in err and err.count("\n") == 1


def test_search_json(tmp_path, capsys):
    code = main(["search", "xor_mlp", "--trials", "2", "--budget-steps", "5", "--param", "training.lr=1e-3:1e-1:log",
                 "--runs-dir", str(tmp_path), "--seed", "0", "--device", "cpu", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["trials"]) == 2
    assert {"params", "value", "run"} <= set(doc["trials"][0])
    assert doc["best"]["value"] == min(t["value"] for t in doc["trials"])
    assert isinstance(doc["warnings"], list)
    assert (tmp_path / "searches.sqlite3").exists()
