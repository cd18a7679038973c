"""Processes that lose nothing when stopped (issue 21, items 5 and 8): a killed `repeat` leaves no
worker training and no record `running`; Ctrl-C or SIGTERM during `train` keeps the weights and
says `stopped`; a full disk while writing the model says `failed`, never `finished` without one."""
from __future__ import annotations

import errno
import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
LINUX = sys.platform.startswith("linux")
WAIT_S = 90.0
"""An upper bound for waits on a loaded 2-core machine; each wait ends as soon as its condition holds."""


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT_S) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (read from /proc: psutil is not a dependency)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for whoever adopted it to reap it."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def playground(*args: str, env_home: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "HOME": str(env_home), "PLAYGROUND_RUNS_DIR": str(env_home / "runs"),
           "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "playground", *args], cwd=ROOT, env=env, text=True,
                            **popen)


def is_worker(pid: int) -> bool:
    """A live multiprocessing worker (a pid reused by another program is never one)."""
    try:
        return alive(pid) and b"spawn_main" in (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def end_all(proc: subprocess.Popen, workers: list[int]) -> None:
    """Kill what this test started and is still alive, so a failing test leaves nothing training."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pid in workers:
        if is_worker(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*/run.json"))]


def epoch_rows(record: Path) -> int:
    """Epoch rows in the record's metrics.csv, counted from the file itself."""
    try:
        lines = (record / "metrics.csv").read_text().splitlines()
    except OSError:
        return 0
    return sum(1 for line in lines if line.startswith("epoch,"))


def xor_mlp_initial_weights(init_seed: int) -> dict[str, torch.Tensor]:
    """The built-in xor_mlp network as built from an initialization seed, before any step."""
    from playground.network.build import build_model
    from playground.network.preset import resolve_preset
    return build_model(resolve_preset("xor_mlp").model, seed=init_seed).state_dict()


def line_reader(stream) -> queue.Queue:
    """Lines of a child's pipe, read on a thread so that a wait for one can time out."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


# ---------------------------------------------------------------- a repeat's workers

@pytest.mark.skipif(not LINUX, reason="reads /proc; a parent killed with -9 takes its workers only on Linux")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_killed_repeat_leaves_no_worker_training(private_home, how):
    runs = private_home / "runs"
    proc = playground("repeat", "xor_mlp", "--seeds", "0-3", "--jobs", "2", "--runs-dir", str(runs),
                      "--set", "training.epochs=100000", env_home=private_home,
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: list[int] = []

    def training() -> list[Path]:
        return [d for d in runs.glob("*") if epoch_rows(d) >= 1]

    try:
        wait_for(lambda: len(training()) == 2, "two workers to train an epoch each")
        workers = [p for p in children(proc.pid) if is_worker(p)]
        assert len(workers) == 2
        proc.send_signal(how)
        wait_for(lambda: not any(alive(p) for p in workers), "the workers to end with their parent")
        rc = proc.wait(timeout=WAIT_S)
        err = proc.stderr.read()
    finally:
        end_all(proc, workers)
    assert rc == (-signal.SIGKILL if how == signal.SIGKILL else 128 + signal.SIGTERM), err
    done = records(runs)
    assert len(done) == 2, done
    assert [r["status"] for r in done] == ["stopped", "stopped"]   # never left "running"
    names = set(xor_mlp_initial_weights(0))
    for d in training():   # each stopped worker kept the weights it had trained
        assert set(load_file(d / "model.safetensors")) == names
    if how == signal.SIGTERM:
        last = err.strip().splitlines()[-1]
        assert last.startswith("repeat group g-") and "stopped by SIGTERM" in last, err
        assert "Traceback" not in err


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG is Linux's")
def test_pool_workers_die_with_a_parent_killed_by_sigkill(tmp_path):
    """The pool itself (repeat's and `presets --verify`'s): a worker busy with a task that never
    ends is gone soon after its parent is killed with `kill -9`."""
    script = textwrap.dedent("""
        import os, sys, time
        from playground.core.workers import run_task, worker_pool

        def forever(path):
            with open(path, "w") as f:
                f.write(str(os.getpid()))
            while True:
                time.sleep(0.05)

        if __name__ == "__main__":
            with worker_pool(2) as pool:
                futures = [pool.submit(run_task, forever, f"{sys.argv[1]}/w{k}") for k in range(2)]
                futures[0].result()
    """)
    (tmp_path / "pool.py").write_text(script)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "pool.py"), str(tmp_path)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        pids = wait_for(lambda: [int(p.read_text()) for p in tmp_path.glob("w*") if p.read_text()]
                        if len(list(tmp_path.glob("w*"))) == 2 else None, "both workers to start")
        assert all(alive(p) for p in pids)
        proc.kill()
        proc.wait(timeout=WAIT_S)
        wait_for(lambda: not any(alive(p) for p in pids), "the workers to die with their parent")
    finally:
        end_all(proc, pids)


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_stopped_pool_kills_a_worker_that_ignores_sigterm(tmp_path):
    """SIGTERM to the parent: a worker that does not end within the grace is killed, and the
    parent is told which workers it stopped (repeat marks their records stopped from that)."""
    script = textwrap.dedent("""
        import os, signal, sys, time
        from playground.core.workers import StopSignal, run_task, worker_pool

        def stubborn(path):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with open(path, "w") as f:
                f.write(str(os.getpid()))
            while True:
                time.sleep(0.05)

        if __name__ == "__main__":
            try:
                with worker_pool(2, on_stopped=lambda pids: print(*sorted(pids), flush=True), grace=0.5) as pool:
                    futures = [pool.submit(run_task, stubborn, f"{sys.argv[1]}/w{k}") for k in range(2)]
                    futures[0].result()
            except StopSignal as e:
                sys.exit(e.exit_status)
    """)
    (tmp_path / "pool.py").write_text(script)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "pool.py"), str(tmp_path)], cwd=ROOT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE)
    pids: list[int] = []
    try:
        pids = wait_for(lambda: [int(p.read_text()) for p in tmp_path.glob("w*") if p.read_text()]
                        if len(list(tmp_path.glob("w*"))) == 2 else None, "both workers to start")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=WAIT_S)
        wait_for(lambda: not any(alive(p) for p in pids), "the stubborn workers to be killed")
    finally:
        end_all(proc, pids)
    assert proc.returncode == 128 + signal.SIGTERM
    assert sorted(int(p) for p in out.split()) == sorted(pids)


def test_stop_unfinished_marks_only_its_groups_running_records(tmp_path):
    """What a killed worker left `running` says `stopped`; other groups, other writers and ended
    runs are left as they were."""
    from playground.run_records.store import stop_unfinished
    cases = {"mine": ("g-1", 111, "running"), "other-group": ("g-2", 111, "running"),
             "other-writer": ("g-1", 222, "running"), "ended": ("g-1", 111, "finished")}
    for name, (group, pid, status) in cases.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(json.dumps(
            {"format": "nn-playground-run", "id": name, "group": group, "pid": pid, "status": status}))
    assert stop_unfinished("g-1", [111, 333], "stopped with its group", tmp_path) == ["mine"]
    statuses = {n: json.loads((tmp_path / n / "run.json").read_text()) for n in cases}
    assert statuses["mine"]["status"] == "stopped" and statuses["mine"]["message"] == "stopped with its group"
    assert {n: s["status"] for n, s in statuses.items() if n != "mine"} == {
        "other-group": "running", "other-writer": "running", "ended": "finished"}


# ---------------------------------------------------------------- Ctrl-C during train

@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_train_keeps_its_weights_and_says_stopped(private_home, how):
    runs, out = private_home / "runs", private_home / "out"
    proc = playground("train", "xor_mlp", "--set", "training.epochs=100000", "--runs-dir", str(runs),
                      "--out", str(out), env_home=private_home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = line_reader(proc.stderr)
        seen = []
        while not any(line.startswith("epoch 1/") for line in seen):   # the progress line of epoch 1
            line = lines.get(timeout=WAIT_S)
            assert line is not None, "".join(seen)
            seen.append(line)
        proc.send_signal(how)
        rc = proc.wait(timeout=WAIT_S)
        while (line := lines.get(timeout=WAIT_S)) is not None:
            seen.append(line)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 128 + how, "".join(seen)   # 130 for Ctrl-C, 143 for SIGTERM, as shells report them
    assert "Traceback" not in "".join(seen)
    [record] = list(runs.iterdir())
    info = json.loads((record / "run.json").read_text())
    assert info["status"] == "stopped"
    epochs = epoch_rows(record)
    assert epochs >= 1
    last = seen[-1].strip()
    assert last.startswith(f"stopped at epoch {epochs} step "), last   # the epochs metrics.csv holds
    assert str(record) in last and str(out) in last
    weights = load_file(record / "model.safetensors")
    assert weights.keys() == load_file(out / "model.safetensors").keys()
    assert all(torch.equal(weights[k], load_file(out / "model.safetensors")[k]) for k in weights)
    # trained weights, not the seed's: they differ from the network's weights before the first step
    initial = xor_mlp_initial_weights(info["seeds"]["init"])
    assert set(initial) == set(weights)
    assert any(not torch.equal(initial[k], weights[k]) for k in weights)


# ---------------------------------------------------------------- a full disk

def _disk_full_oserror(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _disk_full_safetensors(*_args, **_kwargs):
    from safetensors import SafetensorError
    raise SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, '
                          'message: "No space left on device" })')


@pytest.mark.parametrize("writer", [_disk_full_oserror, _disk_full_safetensors])
def test_full_disk_while_writing_the_model_marks_the_run_failed(private_home, monkeypatch, capsys, writer):
    import safetensors.torch

    from playground.command_line.main import main
    monkeypatch.setattr(safetensors.torch, "save_file", writer)
    runs = private_home / "runs"
    rc = main(["train", "xor_mlp", "--set", "training.epochs=1", "--runs-dir", str(runs)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1].startswith("playground: error: could not write model.safetensors: No space left on device")
    [record] = list(runs.iterdir())
    info = json.loads((record / "run.json").read_text())
    assert info["status"] == "failed"
    assert info["message"] == "could not write model.safetensors: No space left on device"
    assert not (record / "model.safetensors").exists()
    assert [p.name for p in record.iterdir() if p.name.startswith(".")] == []   # no temporary left


def test_full_disk_under_out_says_which_file(private_home, monkeypatch, capsys):
    import safetensors.torch

    from playground.command_line.main import main
    real = safetensors.torch.save_file
    out = private_home / "out"

    def full_under_out(tensors, path, *args, **kwargs):
        if Path(path).parent == out:
            _disk_full_oserror()
        return real(tensors, path, *args, **kwargs)

    monkeypatch.setattr(safetensors.torch, "save_file", full_under_out)
    rc = main(["train", "xor_mlp", "--set", "training.epochs=1", "--runs-dir", str(private_home / "runs"),
               "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1] == f"playground: error: could not write {out / 'model.safetensors'}: No space left on device"
    assert not (out / "model.safetensors").exists()
    [record] = list((private_home / "runs").iterdir())
    assert json.loads((record / "run.json").read_text())["status"] == "finished"   # its own model was written
    assert (record / "model.safetensors").exists()
