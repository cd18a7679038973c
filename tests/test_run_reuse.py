"""A lesson comparison reuses a finished record of the same preset, seeds and library versions
(playground/run_records/reuse.py) instead of training it again."""
from __future__ import annotations

import json

from playground.run_records.reuse import reusable_family, reusable_run, trained_preset
from playground.run_records.run_to_end import train_run
from playground.run_records.store import RunRecorder, list_runs


def record(preset, folder):
    train_run(preset, recorder=RunRecorder(folder))
    return max(list_runs(folder), key=lambda r: r.started or "")


def test_only_a_finished_record_of_the_same_preset_seeds_and_versions_stands_in(runs_dir):
    preset = trained_preset("xor_mlp", 4, ["training.epochs=1"])
    run = record(preset, runs_dir)
    assert json.loads((runs_dir / run.id / "run.json").read_text())["seeds"] == {"init": 4, "data": 4, "noise": 4}
    runs = list_runs(runs_dir)
    assert reusable_run(preset, runs).id == run.id
    assert reusable_family(["xor_mlp"], 4, ["training.epochs=1"], runs_dir) == [run.id]
    assert reusable_family(["xor_mlp"], 5, ["training.epochs=1"], runs_dir) == [None]    # other seeds
    assert reusable_family(["xor_mlp"], 4, ["training.epochs=2"], runs_dir) == [None]    # other settings
    assert reusable_family(["no_such_preset"], 4, [], runs_dir) == [None]                # trained, and it says why
    info = json.loads((runs_dir / run.id / "run.json").read_text())
    assert reusable_run(preset, runs, {**info["versions"], "torch": "0.0.1"}) is None    # other versions
    info["status"] = "stopped"
    (runs_dir / run.id / "run.json").write_text(json.dumps(info))
    assert reusable_run(preset, list_runs(runs_dir)) is None                              # not finished
