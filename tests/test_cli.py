"""The command line: train writes a run, validate judges, bad input is one clear line and exit 2."""
import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from playground.command_line.main import main
from playground.network.model_file import load_weights

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_train_writes_metrics_summary_and_weights(tmp_path):
    out = tmp_path / "run"
    done = run_cli("train", "xor_mlp", "--epochs", "3", "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "xor_mlp: finished after 3 epochs" in done.stdout
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert set(rows[0]) == {"epoch", "train_loss", "val_loss", "train_acc", "val_acc"}
    summary = json.loads((out / "summary.json").read_text())
    assert {"test_loss", "test_accuracy"} <= set(summary) and summary["epochs"] == 3
    preset, state, meta = load_weights(out / "model.safetensors")
    assert preset.name == "xor_mlp" and preset.training.seed == 1 and meta["trained"] == "true"
    assert "hidden.weight" in state


def test_regression_metrics_have_no_accuracy(tmp_path):
    assert main(["train", "regression_sine", "--epochs", "2", "--out", str(tmp_path)]) == 0
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0]
    assert header == "epoch,train_loss,val_loss"
    assert "test_mse" in json.loads((tmp_path / "summary.json").read_text())


def test_presets_lists_builtins():
    done = run_cli("presets")
    assert done.returncode == 0 and "xor_mlp" in done.stdout and "resnet_shapes" in done.stdout


def test_validate_good_and_bad(tmp_path, capsys):
    assert main(["validate", "digits_cnn"]) == 0
    doc = json.loads((ROOT / "presets" / "digits_cnn.json").read_text())
    doc["model"]["nodes"][0]["params"]["shape"] = [1, 9, 9]
    doc["training"]["batch_size"] = 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "training.batch_size: must be >= 1" in err


@pytest.mark.parametrize("args, message", [
    (["train", "/no/such/file.json"], "no such preset file"),
    (["train", "nonsense_name"], "no preset file or built-in preset named"),
    (["validate", "BADJSON"], "not valid JSON"),
    (["train", "SHAPES"], "kernel 9 larger than input 8x8"),
    (["train", "xor_mlp", "--device", "cuda:7"], "not available on this machine"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "bad.json").write_text("{ not json")
    doc = json.loads((ROOT / "presets" / "digits_cnn.json").read_text())
    doc["model"]["nodes"][1]["params"].update(kernel_size=9, padding=0)
    (tmp_path / "shapes.json").write_text(json.dumps(doc))
    args = [str(tmp_path / "bad.json") if a == "BADJSON" else str(tmp_path / "shapes.json") if a == "SHAPES" else a
            for a in args]
    done = run_cli(*args, "--out", str(tmp_path / "o")) if args[0] == "train" else run_cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def registered_commands() -> list[str]:
    """The commands the modules register (every module imported): the oracle for the listed ones."""
    from playground.command_line.main import build_parser
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(action.choices)


@pytest.mark.parametrize("argv, expected", [
    (["chekc", "x"], "playground: error: unknown command 'chekc' — did you mean 'check'? (commands: train, "),
    (["xor_mpl"], "playground: error: no command, preset file or built-in preset named 'xor_mpl' — did you "
                  "mean the preset 'xor_mlp'?"),
    (["zzqq"], "playground: error: unknown command 'zzqq', and no preset file or built-in preset has that name"),
])
def test_a_mistyped_command_or_preset_is_one_line_with_the_nearest(argv, expected, capsys, monkeypatch):
    """`playground WORD` opens the app only for a preset; any other word is answered in one line."""
    from widgets import launch
    opened = []
    monkeypatch.setattr(launch, "launch", lambda preset=None: opened.append(preset) or 0)
    assert launch.main(argv) == 2 and opened == []
    err = capsys.readouterr().err
    assert err.startswith(expected) and len(err.strip().splitlines()) == 1
    if "did you mean 'check'" in err:
        assert all(f" {name}," in err or f" {name})" in err for name in registered_commands())
    assert launch.main(["xor_mlp"]) == 0 and opened == ["xor_mlp"]  # a built-in's name still opens it


def test_the_engine_cli_tells_a_preset_from_a_command(capsys):
    assert main(["xor_mlp"]) == 2
    assert capsys.readouterr().err.strip() == ("playground: error: 'xor_mlp' is a built-in preset, not a command: "
                                               "`playground gui xor_mlp` opens it, `playground train xor_mlp` trains it")


def test_help_lists_every_command_and_each_module_registers_the_listed_ones():
    """The one list of commands (with summaries) is the one the modules register: none missing, none extra."""
    from playground.command_line.main import COMMANDS
    registered = registered_commands()
    assert {"train", "presets", "validate", "export", "runs", "check", "install-desktop"} <= set(registered)
    assert registered == sorted(COMMANDS)
    help_text = run_cli("--help").stdout
    for name in registered:
        assert f"\n    {name} " in help_text or f"\n    {name}\n" in help_text, name


LIGHT_COMMANDS = [["--help"], ["presets"], ["presets", "--lesson", "xor_mlp"], ["runs"], ["validate", "BROKEN"],
                  ["data", "inspect", "NPZ"], ["chekc"], ["install-desktop"]]


@pytest.mark.parametrize("argv", LIGHT_COMMANDS, ids=lambda a: " ".join(a))
def test_light_commands_answer_without_torch_pandas_scipy_or_optuna(argv, private_home):
    """What makes them answer in a blink (benchmarks/cli_startup.py times it)."""
    import numpy as np
    broken = private_home / "broken.json"
    broken.write_text('{"format": "nn-playground-preset", "version": 1')
    npz = private_home / "points.npz"
    np.savez(npz, X=np.zeros((20, 2), np.float32), y=np.arange(20) % 2)
    argv = [str(broken) if a == "BROKEN" else str(npz) if a == "NPZ" else a for a in argv]
    code = ("import sys\nfrom widgets.launch import main\ntry:\n    main(sys.argv[1:])\nfinally:\n"
            "    print('LOADED', *[m for m in ('torch', 'pandas', 'scipy', 'optuna', 'PySide6') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines()[-1] == "LOADED", done.stdout[-500:]
