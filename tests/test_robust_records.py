"""Damaged run records (issue 21, item 7): each is listed as damaged with its reason and never stops
`runs`, `runs --json`, `compare` or `twin` from working on the other records."""
import json
import socket
from pathlib import Path

import pytest

from playground.command_line.main import main
from playground.network.preset import preset_to_json, resolve_preset
from playground.run_records.store import RUN_FORMAT, list_runs

GOOD = ("20260101-000001-xor_mlp-aaaa", "20260101-000002-xor_mlp-bbbb")


def write_record(root: Path, run_id: str, **fields) -> Path:
    """A finished record as the recorder leaves it (no training needed), with `fields` replaced."""
    folder = root / run_id
    folder.mkdir()
    (folder / "preset.json").write_text(preset_to_json(resolve_preset("xor_mlp")))
    info = {"format": RUN_FORMAT, "version": 1, "id": run_id, "name": "", "preset": "xor_mlp",
            "seeds": {"init": 1, "data": 2, "noise": 3}, "started": f"2026-01-01T00:00:0{run_id[14]}+00:00",
            "ended": "2026-01-01T00:01:00+00:00", "status": "finished", "device": "cpu",
            "parent": None, "changed": {}, "group": None, "host": "here", "pid": 1}
    info.update(fields)
    (folder / "run.json").write_text(json.dumps(info))
    (folder / "summary.json").write_text(json.dumps({"val_accuracy": 0.75, "val_loss": 0.5}))
    return folder


def run_cli(capsys, *args) -> tuple[int, str, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


DAMAGES = {
    "deep": ("[" * 100_000, "nests more than"),
    "started": ({"started": 5}, "'started' is 5, expected text or null"),
    "changed": ({"changed": [1, 2]}, "'changed' is [1, 2], expected an object"),
    "not_a_record": ([1, 2, 3], "not an NN Playground run record"),
}


@pytest.fixture(params=sorted(DAMAGES))
def damaged(request, tmp_path):
    """Two good records and one damaged the given way: (runs folder, damaged id, expected reason)."""
    for run_id in GOOD:
        write_record(tmp_path, run_id)
    content, reason = DAMAGES[request.param]
    bad = "20260101-000003-xor_mlp-dddd"
    if isinstance(content, dict):
        write_record(tmp_path, bad, **content)
    else:
        folder = write_record(tmp_path, bad)
        (folder / "run.json").write_text(content if isinstance(content, str) else json.dumps(content))
    return tmp_path, bad, reason


def test_a_damaged_record_is_listed_with_its_reason_and_the_others_still_list(damaged, capsys):
    root, bad, reason = damaged
    runs = {r.id: r for r in list_runs(root)}
    assert set(runs) == {*GOOD, bad}
    assert runs[bad].status == "damaged" and reason in runs[bad].problem
    assert all(runs[g].status == "finished" and runs[g].metrics["val_accuracy"] == 0.75 for g in GOOD)

    rc, out, err = run_cli(capsys, "runs", "--runs-dir", str(root))
    assert rc == 0, err
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "damaged" in lines[bad] and reason in lines[bad]
    assert all("finished" in lines[g] for g in GOOD)

    rc, out, err = run_cli(capsys, "runs", "--runs-dir", str(root), "--json")
    assert rc == 0, err
    listed = {r["id"]: r for r in json.loads(out)}
    assert listed[bad]["status"] == "damaged" and reason in listed[bad]["problem"]
    assert {listed[g]["status"] for g in GOOD} == {"finished"}


def test_compare_and_twin_work_on_the_others_and_refuse_the_damaged_one_in_one_line(damaged, capsys):
    root, bad, reason = damaged
    rc, out, err = run_cli(capsys, "compare", *GOOD, "--runs-dir", str(root))
    assert rc == 0, err
    assert "val_accuracy" in out and "settings that differ: none" in out

    for command in (["compare", GOOD[0], bad], ["twin", bad, "--set", "training.lr=0.1"]):
        rc, out, err = run_cli(capsys, *command, "--runs-dir", str(root))
        assert rc == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and bad in err and reason in err, err


def test_a_twin_by_name_still_trains_beside_a_damaged_record(tmp_path, capsys):
    write_record(tmp_path, GOOD[0], name="base")
    write_record(tmp_path, "20260101-000003-xor_mlp-dddd", started=5)
    rc, out, err = run_cli(capsys, "twin", "base", "--set", "training.epochs=1", "--runs-dir", str(tmp_path))
    assert rc == 0, err
    child = {r.id: r for r in list_runs(tmp_path)}[out.strip().splitlines()[-1]]
    assert child.parent == GOOD[0] and child.seeds == {"init": 1, "data": 2, "noise": 3}


def test_an_incomplete_record_with_a_bad_epoch_keeps_its_readable_epochs(tmp_path, capsys):
    write_record(tmp_path, GOOD[0])
    folder = write_record(tmp_path, GOOD[1], status="running", host=socket.gethostname(), pid=0)  # writer gone
    (folder / "summary.json").unlink()
    (folder / "metrics.csv").write_text("kind,epoch,step,loss,train_loss,val_loss,train_acc,val_acc,seconds\n"
                                        "epoch,1,4,,0.9,0.8,0.5,0.6,0.1\n"
                                        "epoch,abc,8,,0.7,0.6,0.6,0.7,0.1\n")
    run = {r.id: r for r in list_runs(tmp_path)}[GOOD[1]]
    assert run.status == "incomplete" and run.metrics == {"epochs": 1, "train_loss": 0.9, "val_loss": 0.8,
                                                          "train_accuracy": 0.5, "val_accuracy": 0.6}
    assert "metrics.csv" in run.problem and "'abc'" in run.problem
    rc, out, err = run_cli(capsys, "runs", "--runs-dir", str(tmp_path))
    assert rc == 0 and "'abc'" in out and GOOD[0] in out, err
    rc, out, err = run_cli(capsys, "compare", *GOOD, "--runs-dir", str(tmp_path))
    assert rc == 0 and "val_accuracy" in out, err


def test_a_run_that_cannot_be_recorded_still_judges_its_events(tmp_path):
    """The app's session takes its findings from the LiveRecording: where the runs folder cannot
    be made (a file stands in its way), the record is off with its reason, and a NaN loss is
    still called a divergence for the Diagnoses panel."""
    import numpy as np

    from playground.run_records.store import LiveRecording
    from playground.training.events import LossEvent
    from playground.training.trainer import Trainer
    blocker = tmp_path / "runs"
    blocker.write_text("not a folder")
    trainer = Trainer(resolve_preset("xor_mlp"), device="cpu")
    recording = LiveRecording(trainer, blocker)
    assert recording.recorder is None and recording.problem
    fired = recording(LossEvent(np.arange(3), np.array([0.7, 0.7, np.nan]), 0, 0.03))
    assert [f.name for f in fired] == ["divergence"]
