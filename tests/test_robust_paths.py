"""The app touches nothing outside its own files (issue 21, items 1-3): `runs --delete` removes
only records inside the runs folder and tells a stale pid from a live writer; every write refuses
a device, FIFO or socket instead of replacing it; every read refuses them (and /proc files)
before opening, so nothing hangs.

Every FIFO read runs in a subprocess with a timeout or a thread joined with a timeout, and no
test ever writes to a real device: the device cases go through a link to /dev/null, which a
missing check would replace (the link, not the device)."""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from playground.command_line.main import main
from playground.core.files import FileProblem, atomic_write, open_regular, read_bounded
from playground.network.preset import resolve_preset
from playground.run_records.store import RUN_FORMAT, RunRecorder, delete_run, list_runs
from playground.run_records.run_to_end import train_run

ROOT = Path(__file__).resolve().parent.parent
CLI_TIMEOUT_S = 60
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@pytest.fixture(autouse=True)
def own_home(private_home: Path) -> Path:
    """Every test here runs in a home and runs folder of its own (conftest's private_home)."""
    return private_home


def playground(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in its own process: a read that blocks fails the test by its timeout, not by hanging."""
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=cwd, capture_output=True, check=False,
                          text=True, timeout=CLI_TIMEOUT_S, env={**os.environ, "PYTHONPATH": str(ROOT)})


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# ---------------------------------------------------------------- 1. deleting run records

def outside_record(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere" / "v"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text("{}")
    (folder / "keep").write_text("x")
    return folder


def test_delete_refuses_a_folder_outside_the_runs_folder(tmp_path: Path) -> None:
    victim = outside_record(tmp_path)
    for ref, cwd in (("elsewhere/v", tmp_path), ("../elsewhere/v", tmp_path / "runs")):
        line = one_error_line(playground("runs", "--delete", ref, cwd=cwd))
        assert "not a run record inside the runs folder" in line and ref in line
        assert (victim / "keep").read_text() == "x"


def test_delete_never_follows_a_link_out_of_the_runs_folder(tmp_path: Path) -> None:
    victim = outside_record(tmp_path)
    (tmp_path / "runs" / "v").symlink_to(victim, target_is_directory=True)
    line = one_error_line(playground("runs", "--delete", "v", cwd=tmp_path))
    assert "is a link" in line
    assert (victim / "keep").read_text() == "x" and (tmp_path / "runs" / "v").is_symlink()


def running_record(runs: Path, run_id: str, **fields) -> Path:
    """A record that says "running", as a writer killed by `kill -9` (or a power cut) leaves it."""
    folder = runs / run_id
    folder.mkdir()
    info = {"format": RUN_FORMAT, "version": 1, "id": run_id, "preset": "xor_mlp", "status": "running",
            "started": "2026-01-01T00:00:00+00:00", "host": socket.gethostname(), **fields}
    (folder / "run.json").write_text(json.dumps(info))
    (folder / "metrics.csv").write_text("kind,epoch\n")
    return folder


def test_a_stale_record_whose_pid_now_belongs_to_another_process_can_be_deleted(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    # pid 1 always runs (init), but it never wrote a run record; nor did a pid reused since a reboot
    reused = running_record(runs, "xor_mlp-stale-reused", pid=1, pid_start="another-boot:42")
    old = running_record(runs, "xor_mlp-stale-old", pid=1)   # a record from before start times were kept
    assert {r.id: r.status for r in list_runs(runs)} == {reused.name: "incomplete", old.name: "incomplete"}
    for folder in (reused, old):
        assert delete_run(folder.name, runs).id == folder.name
        assert not folder.exists()


def test_a_record_being_written_cannot_be_deleted(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    recorder = RunRecorder(runs)
    refusals: list[str] = []

    def try_delete(event: object) -> None:
        if recorder.id and not refusals:
            with pytest.raises(FileProblem, match="still training") as refused:
                delete_run(recorder.id, runs)
            refusals.append(str(refused.value))

    train_run(resolve_preset("xor_mlp"), device="cpu", epochs=2, recorder=recorder, on_event=try_delete)
    assert len(refusals) == 1
    [run] = list_runs(runs)
    assert run.status == "finished"
    delete_run(run.id, runs)   # once it has finished, it goes
    assert list_runs(runs) == []


# ---------------------------------------------------------------- 2. writes never replace special files

def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.safetensors"
    assert main(["export", "xor_mlp", "--out", str(path)]) == 0
    return path


@needs_fifo
def test_export_and_save_preset_refuse_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "n"
    os.mkfifo(fifo)
    model = model_file(tmp_path)
    for args in (("export", "xor_mlp", "--out", "n"), ("load", str(model), "--save-preset", "n")):
        line = one_error_line(playground(*args, cwd=tmp_path))
        assert "n: it is a pipe (FIFO), not a regular file" in line
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode), f"playground {args[0]} replaced the FIFO"


def test_a_write_through_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    """A missing check would replace the link (never /dev/null itself) with a regular file."""
    link = tmp_path / "null_link"
    link.symlink_to(os.devnull)
    with pytest.raises(FileProblem, match="character device"):
        atomic_write(link, b"data")
    line = one_error_line(playground("export", "xor_mlp", "--out", str(link), cwd=tmp_path))
    assert "null_link: it is a character device" in line
    assert link.is_symlink() and os.path.samefile(link, os.devnull)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".null_link")] == []   # no temporaries


def test_a_write_over_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(FileProblem, match="socket"):
            atomic_write(path, b"{}")
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


# ---------------------------------------------------------------- 3. reads never hang

def finishes(fn, *args) -> list:
    """fn(*args)'s outcome (a value or the exception), from a thread given 20 s: a hang fails."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(fn(*args))
        except BaseException as e:   # noqa: BLE001 - the outcome is the test's to judge
            outcome.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), f"{fn.__name__}{args} blocked"
    return outcome


@pytest.mark.parametrize("path", [os.devnull, "/proc/self/status", "/proc/self/pagemap"])
def test_devices_and_proc_files_are_refused_before_reading(path: str) -> None:
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    for fn in (lambda p: read_bounded(p, 1 << 20), open_regular):
        [outcome] = finishes(fn, path)
        assert isinstance(outcome, FileProblem) and "not a regular file" in str(outcome)


def write_csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = ["a,b,label"] + [f"{rng.normal():.3f},{rng.normal():.3f},{i % 2}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    return path


def csv_preset(path: Path, data: Path) -> Path:
    doc = {
        "format": "nn-playground-preset", "version": 1, "name": "my_csv", "description": "Own data.",
        "model": {"nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [2]}, "inputs": [], "pos": [0, 0]},
            {"id": "out", "type": "Linear", "params": {"out_features": 2}, "inputs": ["x"], "pos": [0, 100]},
        ], "output": ""},
        "data": {"name": "csv", "params": {"path": str(data), "label": "label"}},
        "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.05, "epochs": 1, "batch_size": 16},
    }
    path.write_text(json.dumps(doc))
    return path


@needs_fifo
def test_a_fifo_as_a_data_path_is_refused_by_every_command(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "d.csv")
    preset = csv_preset(tmp_path / "mine.json", data)
    assert main(["validate", str(preset)]) == 0   # the preset itself is fine
    data.unlink()
    os.mkfifo(data)   # the data file replaced by a FIFO later
    for args in (("data", "inspect", str(data)), ("validate", str(preset)),
                 ("train", str(preset), "--out", str(tmp_path / "r"))):
        line = one_error_line(playground(*args, cwd=tmp_path))
        assert "d.csv is a pipe (FIFO), not a regular file" in line, args


@needs_fifo
@pytest.mark.parametrize("suffix", [".npz", ".csv"])
def test_importers_refuse_a_fifo_without_blocking(tmp_path: Path, suffix: str) -> None:
    from playground.data.importers import inspect_path
    fifo = tmp_path / f"data{suffix}"
    os.mkfifo(fifo)
    [outcome] = finishes(inspect_path, str(fifo))
    assert isinstance(outcome, Exception) and "not a regular file" in str(outcome)


@pytest.mark.skipif(not os.path.exists("/proc/self/pagemap"), reason="no /proc here")
def test_a_link_to_proc_in_an_image_folder_is_skipped_not_read(tmp_path: Path) -> None:
    from PIL import Image
    folder = tmp_path / "images"
    for label in ("cat", "dog"):
        (folder / label).mkdir(parents=True)
        for k in range(2):
            Image.new("L", (8, 8), 60 * k + (120 if label == "dog" else 0)).save(folder / label / f"{k}.png")
    (folder / "cat" / "trap.png").symlink_to("/proc/self/pagemap")
    result = playground("data", "inspect", str(folder), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "trap.png" in result.stdout and "not a regular file" in result.stdout
    report = json.loads(result.stdout)
    assert report["n_samples"] == 4
