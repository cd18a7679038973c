"""A preset that references an imported CSV: it round-trips, trains from the CLI, and a changed
file on disk is reported instead of being trained on."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from playground.command_line.main import main
from playground.data.importers import inspect_path
from playground.network.preset import load_preset, preset_to_json, save_preset


def write_iris(path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    rows = ["sepal;petal;species"]
    for i in range(60):
        c = i % 3
        rows.append(f"{rng.normal(3 * c):.3f};{rng.normal(-3 * c):.3f};{['setosa', 'versicolor', 'virginica'][c]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def csv_preset(csv: Path, digest: str) -> dict:
    return {
        "format": "nn-playground-preset", "version": 1, "name": "my_iris", "description": "My own CSV.",
        "model": {"nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [2]}, "inputs": [], "pos": [0, 0]},
            {"id": "out", "type": "Linear", "params": {"out_features": 3}, "inputs": ["x"], "pos": [0, 100]},
        ], "output": ""},
        "data": {"name": "csv", "params": {"path": str(csv), "label": "species", "sha256": digest}},
        "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.05, "epochs": 3, "batch_size": 16},
    }


def test_preset_with_imported_csv_round_trips_and_trains_from_cli(tmp_path, private_home, capsys):
    csv = write_iris(tmp_path / "iris.csv")
    digest = inspect_path(str(csv), label="species").sha256
    path = tmp_path / "my_iris.json"
    path.write_text(json.dumps(csv_preset(csv, digest)), encoding="utf-8")
    preset = load_preset(path)
    assert preset.data.name == "csv" and preset.data.params["sha256"] == digest
    save_preset(preset, tmp_path / "again.json")
    assert preset_to_json(load_preset(tmp_path / "again.json")) == preset_to_json(preset)

    assert main(["train", str(tmp_path / "again.json"), "--out", str(tmp_path / "run")]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["data"] == "csv" and summary["test_accuracy"] > 0.8  # three well-separated classes


def test_changed_csv_is_reported_by_train_and_validate(tmp_path, private_home, capsys):
    csv = write_iris(tmp_path / "iris.csv")
    path = tmp_path / "my_iris.json"
    path.write_text(json.dumps(csv_preset(csv, inspect_path(str(csv)).sha256)), encoding="utf-8")
    write_iris(csv, seed=7)  # edited after the preset was saved
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("playground: error: ") and "iris.csv changed since the preset was saved" in err
    csv.rename(tmp_path / "moved.csv")
    assert main(["validate", str(path)]) == 2
    assert "iris.csv is not there: it was moved, renamed or deleted" in capsys.readouterr().err
