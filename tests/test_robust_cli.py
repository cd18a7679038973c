"""Wrong results without a word (issue 21, item 9, the command line): `--set` paths that are no
preset field, numeric options out of their range, and data too small to split are refused with
exit status 2 and one line that says what would be right."""
from __future__ import annotations

import json

import pytest

from playground.command_line.main import main
from playground.data.base import minimum_samples, split_sizes


def run(argv: list[str], capsys) -> tuple[int, str]:
    """The exit status of `playground ARGV` (argparse errors included) and its stderr."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def one_line_error(err: str) -> str:
    text = err.strip()
    assert text.startswith("playground: error: ") and "\n" not in text, err
    return text


# ---- --set: only preset fields, with a did-you-mean -----------------------------------------

@pytest.mark.parametrize("command", [["train", "xor_mlp", "--epochs", "1"], ["lr-find", "xor_mlp"]])
@pytest.mark.parametrize("assignment, meant", [
    ("epochs=1", "did you mean training.epochs?"),   # once trained the preset's 80 epochs
    ("lr=0.5", "did you mean training.lr?"),
    ("trainig.lr=0.5", "did you mean training.lr?"),
])
def test_set_of_a_path_that_is_no_field_is_refused_with_the_path_meant(command, assignment, meant,
                                                                         private_home, capsys):
    code, err = run(command + ["--set", assignment], capsys)
    assert code == 2
    line = one_line_error(err)
    assert f"{assignment.split('=')[0]}: the preset has no field" in line and meant in line


@pytest.mark.parametrize("assignment", ["__class__=1", "data.foo=1", "model.nodes[1].foo=2"])
def test_set_of_an_attribute_or_unknown_structural_field_is_refused(assignment, private_home, capsys):
    code, err = run(["train", "xor_mlp", "--epochs", "1", "--set", assignment], capsys)
    assert code == 2
    assert "the preset has no field" in one_line_error(err)


def test_set_value_nested_5000_deep_is_one_line(private_home, capsys):
    value = "[" * 5000 + "]" * 5000
    code, err = run(["train", "xor_mlp", "--epochs", "1", "--set", f"training.lr={value}"], capsys)
    assert code == 2
    line = one_line_error(err)
    assert "training.lr" in line and "nests more than 64 levels" in line


def test_set_of_real_fields_still_trains(private_home, capsys, tmp_path):
    out = tmp_path / "run"
    code = main(["train", "xor_mlp", "--set", "training.epochs=2", "--set",
                 "model.nodes[hidden].params.out_features=4", "--out", str(out)])
    assert code == 0
    assert json.loads((out / "summary.json").read_text())["epochs"] == 2


# ---- every numeric option has its range -------------------------------------------------------

@pytest.mark.parametrize("argv, option, span", [
    (["lr-find", "xor_mlp", "--steps", "0"], "--steps", "from 3 to 100"),   # once swept 3 rates silently
    (["lr-find", "xor_mlp", "--steps", "101"], "--steps", "from 3 to 100"),   # once swept 100 silently
    (["search", "xor_mlp", "--trials", "0"], "--trials", "from 1 to 10,000"),
    (["search", "xor_mlp", "--budget-steps", "0"], "--budget-steps", "from 1 to 1,000,000"),
    (["search", "xor_mlp", "--fine-trials", "-1"], "--fine-trials", "from 0 to 10,000"),
    (["search", "xor_mlp", "--fine-steps", "0"], "--fine-steps", "from 1 to 1,000,000"),
    (["search", "xor_mlp", "--seed", "-1"], "--seed", "from 0 to 2,147,483,647"),
    (["repeat", "xor_mlp", "--seeds", "2", "--jobs", "0"], "--jobs", "from 1 to 256"),
    (["presets", "--verify", "--jobs", "0"], "--jobs", "from 1 to 256"),
    (["data", "inspect", "somewhere.csv", "--size", "2"], "--size", "from 4 to 128"),
    (["lab", "activations", "--at", "nan"], "--at", "from -100 to 100"),
    (["lab", "backprop", "--seed", "1.5"], "--seed", "from 0 to 2,147,483,647"),
    (["lab", "optimizers", "--surface", "rosenbrock", "--steps", "0"], "--steps", "from 1 to 100,000"),
    (["lab", "init", "--seeds", "101"], "--seeds", "from 1 to 100"),
    (["lab", "init", "--batch", "0"], "--batch", "from 1 to 10,000"),
])
def test_numeric_option_out_of_range_is_refused_with_its_range(argv, option, span, private_home, capsys):
    code, err = run(argv, capsys)
    assert code == 2
    line = one_line_error(err)
    assert f"argument {option}: must be" in line and span in line


def test_lr_find_sweeps_exactly_the_steps_asked_at_its_lower_bound(private_home, capsys):
    """The range is the sweep's own: 3 steps sweep 3 rates (and say they are too few to suggest from)."""
    assert main(["lr-find", "xor_mlp", "--steps", "3"]) == 0
    out = capsys.readouterr().out
    assert "swept 3 learning rates" in out and "too few" in out


def test_numeric_options_at_their_bounds_are_accepted(private_home, capsys):
    assert run(["lab", "backprop", "--seed", "0", "--json"], capsys)[0] == 0
    assert run(["lab", "activations", "--at", "-100", "--json"], capsys)[0] == 0


# ---- data too small to split --------------------------------------------------------------------

def test_two_row_csv_is_refused_with_the_minimum(private_home, tmp_path, capsys):
    csv = tmp_path / "two.csv"
    csv.write_text("a,b,y\n1,2,3\n4,5,6\n", encoding="utf-8")
    preset = {
        "format": "nn-playground-preset", "version": 1, "name": "two", "description": "",
        "model": {"nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [2]}, "inputs": [], "pos": [0, 0]},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}, "inputs": ["x"], "pos": [0, 100]},
        ], "output": ""},
        "data": {"name": "csv", "params": {"path": str(csv), "label": "y"}},
        "training": {"loss": "mse", "optimizer": "adam", "lr": 0.05, "epochs": 3, "batch_size": 16},
    }
    path = tmp_path / "two.json"
    path.write_text(json.dumps(preset), encoding="utf-8")
    code, err = run(["train", str(path)], capsys)   # once trained and reported test_loss nan
    assert code == 2
    line = one_line_error(err)
    # val and test fractions 0.2: 3 rows round to 1 + 1 held out and 1 to train on; 2 rows to 0 + 0.
    assert "2 samples are too few to split into training, validation and test data" in line
    assert "at least 3 are needed" in line


@pytest.mark.parametrize("val, test, least", [
    (0.2, 0.2, 3),     # 0.6 rounds to 1; 0.4 to 0
    (0.1, 0.1, 6),     # 0.5 rounds to 0 (half to even); 0.6 to 1
    (0.25, 0.0, 3),    # 0.5 rounds to 0, 0.75 to 1; no test split asked for
    (0.0, 0.0, 1),
])
def test_minimum_samples_by_hand(val, test, least):
    assert minimum_samples(val, test) == least
    split_sizes(least, val, test)
    if least > 1:
        with pytest.raises(ValueError, match=f"at least {least} are needed"):
            split_sizes(least - 1, val, test)


def test_fractions_that_leave_nothing_to_train_on_say_so():
    with pytest.raises(ValueError, match="leave no sample to train on"):
        split_sizes(20, 0.5, 0.5)   # 10 + 10 held out
