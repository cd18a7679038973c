"""Run records: the files a run leaves, killed runs, reproducibility, twins, delete and rename."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from playground.command_line.main import main
from playground.run_records.experiments import record_run, twin
from playground.core.files import FileProblem
from playground.network.overrides import apply_overrides
from playground.network.preset import resolve_preset
from playground.run_records.store import find_run, list_runs, load_run, rename_run
from playground.core.seeds import Seeds

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def cli_here(capsys, *args):
    """The CLI in this process (no interpreter start-up): (exit status, stdout, stderr)."""
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def loss_columns(run_path) -> list[tuple[str, ...]]:
    with open(Path(run_path) / "metrics.csv", newline="") as f:
        return [(r["kind"], r["step"], r["loss"], r["train_loss"], r["val_loss"]) for r in csv.DictReader(f)]


def fast(preset_name, *sets):
    return apply_overrides(resolve_preset(preset_name), ["training.epochs=2", *sets])


def test_train_records_every_file_and_prints_the_id_last(tmp_path):
    done = cli("train", "xor_mlp", "--epochs", "2", "--runs-dir", str(tmp_path), "--set", "training.lr=0.05")
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    folder = tmp_path / run_id
    assert {"preset.json", "run.json", "metrics.csv", "probes.csv", "summary.json",
            "model.safetensors"} <= {p.name for p in folder.iterdir()}
    info = json.loads((folder / "run.json").read_text())
    assert info["status"] == "finished" and info["preset"] == "xor_mlp"
    assert set(info["seeds"]) == {"init", "data", "noise"}
    assert {"torch", "numpy", "python"} <= set(info["versions"]) and info["device"] == "cpu"
    assert info["started"] and info["ended"] and info["changed"] == {"training.lr": 0.05}
    assert json.loads((folder / "preset.json").read_text())["training"]["lr"] == 0.05
    rows = list(csv.DictReader((folder / "metrics.csv").open()))
    steps = [r for r in rows if r["kind"] == "step"]
    epochs = [r for r in rows if r["kind"] == "epoch"]
    assert len(steps) == 2 * info["steps_per_epoch"] and [r["epoch"] for r in epochs] == ["1", "2"]
    assert float(steps[0]["lr"]) == 0.05 and all(r["loss"] for r in steps) and all(r["val_acc"] for r in epochs)
    probes = list(csv.DictReader((folder / "probes.csv").open()))
    hidden = [p for p in probes if p["node_id"] == "hidden"]
    assert hidden and float(hidden[0]["update_ratio"]) > 0 and float(hidden[0]["grad_norm"]) > 0
    assert all(p["act_std"] for p in probes)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["val_loss_final"] == summary["val_loss"]
    assert summary["val_loss_min"] <= summary["val_loss_final"] and summary["best_epoch"] in (1, 2)
    listed = json.loads(cli("runs", "--runs-dir", str(tmp_path), "--json").stdout)
    assert [r["id"] for r in listed] == [run_id]
    assert {"id", "path", "preset", "status", "seeds", "changed", "metrics"} <= set(listed[0])
    assert listed[0]["metrics"]["val_accuracy"] == summary["val_accuracy"]


def test_a_run_killed_with_kill_9_lists_as_incomplete_with_what_it_had(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "playground", "train", "digits_mlp", "--epochs", "200",
                             "--runs-dir", str(tmp_path)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = list_runs(tmp_path)
            if runs and runs[0].metrics.get("epochs", 0) >= 1:
                break
            time.sleep(0.2)
        assert runs and runs[0].status == "running"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    run = list_runs(tmp_path)[0]
    assert run.status == "incomplete" and run.metrics["epochs"] >= 1 and "val_accuracy" in run.metrics
    done = cli("runs", "--runs-dir", str(tmp_path))
    assert done.returncode == 0 and "incomplete" in done.stdout
    (tmp_path / "broken").mkdir()  # a folder with no run.json: listed, never a crash
    (tmp_path / "torn").mkdir()
    (tmp_path / "torn" / "run.json").write_text('{"format": "nn-playground-run", "sta')
    statuses = {r.id: r.status for r in list_runs(tmp_path)}
    assert statuses["broken"] == "incomplete" and statuses["torn"] == "damaged"   # torn: unreadable run.json


def test_same_preset_and_seeds_give_bit_identical_loss_columns(tmp_path):
    preset = fast("xor_mlp")
    a = record_run(preset, tmp_path, seeds=Seeds.from_seed(3))
    b = record_run(preset, tmp_path, seeds=Seeds.from_seed(3))
    c = record_run(preset, tmp_path, seeds=Seeds.from_seed(4))
    pa, pb, pc = (find_run(r.id, tmp_path).path for r in (a, b, c))
    assert loss_columns(pa) == loss_columns(pb)
    assert loss_columns(pa) != loss_columns(pc)


def test_a_twin_keeps_the_seeds_initial_weights_and_batch_order(tmp_path):
    # A learning rate too small to move the weights: every batch loss then depends only on which
    # examples the batch holds, so equal per-step losses mean the same batches in the same order.
    parent = record_run(fast("xor_mlp", "training.lr=1e-7", "training.seed=5"), tmp_path)
    child = twin(parent.id, ["training.optimizer=sgd"], tmp_path)
    p, c = load_run(find_run(parent.id, tmp_path).path), find_run(child.id, tmp_path)
    assert c.parent == p.id and c.changed == {"training.optimizer": "sgd"} and c.seeds == p.seeds
    info_p, info_c = (json.loads((Path(r.path) / "run.json").read_text()) for r in (p, c))
    assert info_p["initial_weights_hash"] == info_c["initial_weights_hash"]
    lp = [float(r[2]) for r in loss_columns(p.path) if r[0] == "step"]
    lc = [float(r[2]) for r in loss_columns(c.path) if r[0] == "step"]
    assert len(lp) == len(lc) and lp[0] == lc[0]
    assert max(abs(x - y) for x, y in zip(lp, lc)) < 1e-4
    # a change that does not touch init: step-0 loss identical; one that does: a new hash
    lr_twin = find_run(twin(parent.id, ["training.lr=0.05"], tmp_path).id, tmp_path)
    assert float(loss_columns(lr_twin.path)[0][2]) == lp[0]
    init_twin = find_run(twin(parent.id, ["model.nodes[1].params.init=kaiming_normal"], tmp_path).id, tmp_path)
    assert json.loads((Path(init_twin.path) / "run.json").read_text())["initial_weights_hash"] != \
        info_p["initial_weights_hash"]


def test_delete_and_rename_from_the_cli(tmp_path, capsys):
    a = record_run(fast("xor_mlp", "training.epochs=1"), tmp_path)
    b = record_run(fast("xor_mlp", "training.epochs=1"), tmp_path)
    rc, _, err = cli_here(capsys, "runs", "--runs-dir", str(tmp_path), "--rename", a.id, "momentum try")
    assert rc == 0, err
    assert find_run("momentum try", tmp_path).id == a.id
    assert "momentum try" in cli_here(capsys, "runs", "--runs-dir", str(tmp_path))[1]
    assert cli_here(capsys, "runs", "--runs-dir", str(tmp_path), "--delete", b.id)[0] == 0
    assert [r.id for r in list_runs(tmp_path)] == [a.id]


def test_a_failed_write_leaves_the_old_record_whole(tmp_path, monkeypatch):
    a = record_run(fast("xor_mlp", "training.epochs=1"), tmp_path)
    run_json = Path(find_run(a.id, tmp_path).path) / "run.json"
    before = run_json.read_bytes()

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(FileProblem):
        rename_run(a.id, "new name", tmp_path)
    assert run_json.read_bytes() == before
    assert [p.name for p in run_json.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("args", [
    ("twin", "no-such-run", "--set", "training.lr=0.1"),
    ("compare", "no-such-run", "other"),
    ("runs", "--delete", "no-such-run"),
    ("runs", "--rename", "no-such-run", "x"),
])
def test_a_bad_run_id_is_one_line_and_exit_2(tmp_path, capsys, args):
    rc, _, err = cli_here(capsys, *args, "--runs-dir", str(tmp_path))
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: error:") and "no-such-run" in lines[0]


def test_a_runs_dir_that_is_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    for args in (("runs",), ("train", "xor_mlp", "--epochs", "1")):
        rc, _, err = cli_here(capsys, *args, "--runs-dir", str(f))
        assert rc == 2 and len(err.strip().splitlines()) == 1, err


def test_step_rows_are_what_the_csv_module_writes_for_each_step():
    """metrics.csv's per-step rows are built a column at a time; they must read back as the csv
    module's own rows of the same values: a scalar learning rate repeated, per-step arrays
    (float32 and int ones too) as the repr of their float64 value, NaN and inf kept."""
    import io

    import numpy as np

    from playground.run_records.store import METRIC_COLUMNS, step_rows
    from playground.training.events import LossEvent
    losses = np.array([0.5, float("nan"), float("inf"), 1e-300, 2.0 / 3.0])
    event = LossEvent(np.arange(40, 45, dtype=np.int64), losses, 3, 0.01,
                      momenta=np.array([0.9, 0.9, 0.8, 0.8, 0.7], dtype=np.float32),
                      penalties=np.array([0, 1, 0, 2, 0]), data_losses=losses - np.array([0, 1, 0, 2, 0]))
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    for k in range(5):
        row = {"kind": "step", "epoch": 3, "step": 40 + k, "loss": repr(float(losses[k])), "lr": "0.01",
               "momentum": repr(float(event.momenta[k])), "penalty": repr(float(event.penalties[k])),
               "data_loss": repr(float(event.data_losses[k]))}
        writer.writerow([row.get(c, "") for c in METRIC_COLUMNS])
    assert step_rows(event) == expected.getvalue()
    assert step_rows(event).splitlines()[1].startswith("step,3,41,nan,,,,,,0.01,")


def test_constant_step_columns_are_written_as_each_value_is():
    """A column of one value throughout is written from one repr; 0.0 next to -0.0, and NaN,
    must still come out as each value's own repr."""
    import numpy as np

    from playground.run_records.store import METRIC_COLUMNS, step_rows
    from playground.training.events import LossEvent
    for column in ([0.001] * 4, [0.0, -0.0, 0.0, 0.0], [float("nan")] * 4, [-0.0] * 4, [0.9, 0.9, 0.9, 0.91]):
        event = LossEvent(np.arange(4, dtype=np.int64), np.array(column), 0, 0.1, lrs=np.array(column))
        rows = [line.split(",") for line in step_rows(event).splitlines()]
        lr_at = METRIC_COLUMNS.index("lr")
        assert [r[3] for r in rows] == [repr(float(v)) for v in column]
        assert [r[lr_at] for r in rows] == [repr(float(v)) for v in column]
