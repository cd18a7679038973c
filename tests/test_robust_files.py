"""Nothing a person opens or types can hang, crash or bloat the engine: bounded reading of
presets, weights that say when they are damaged, saves that clean up after a killed writer
and keep the file's mode, and command-line values checked like the preset's own fields."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from playground.command_line import main as cli
from playground.core.files import FileProblem, atomic_write, process_alive, read_bounded, remove_stale_temporaries
from playground.network.preset import (
    MAX_DESCRIPTION_CHARS, MAX_FILE_BYTES, MAX_NODES, PRESETS_DIR, PresetError, load_preset, nesting_depth,
    preset_to_dict, save_preset)
from playground.network.model_file import load_state_dict_file, load_weights, read_metadata, save_weights

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def runs_dir(tmp_path: Path, monkeypatch) -> Path:
    """Runs the CLI records go to a temporary folder, not the user's data folder."""
    folder = tmp_path / "recorded_runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(folder))
    return folder


def xor_doc() -> dict:
    return json.loads((PRESETS_DIR / "xor_mlp.json").read_text())


# ---------------------------------------------------------------- reading presets

def test_deeply_nested_json_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "nested.json"
    path.write_text("[" * 200_000)
    with pytest.raises(PresetError, match="nests more than"):
        load_preset(path)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert nesting_depth('{"a": "[[[[\\"[[[", "b": [{}]}') == 3
    assert nesting_depth("[" * 1000) == 65   # stops counting past the limit


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "never_ends.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _capture(outcome, load_preset, fifo), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert isinstance(outcome[0], FileProblem) and "not a regular file" in str(outcome[0])


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_the_cli_does_not_hang_on_a_fifo(tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "never_ends.json"
    os.mkfifo(fifo)
    for command in (["validate", str(fifo)], ["train", str(fifo), "--epochs", "1", "--out", str(tmp_path / "r")]):
        codes: list = []
        runner = threading.Thread(target=lambda: codes.append(cli.main(command)), daemon=True)
        runner.start()
        runner.join(timeout=60)
        assert not runner.is_alive(), f"playground {command[0]} blocked on a FIFO"
        err = capsys.readouterr().err
        assert codes == [2] and err.count("\n") == 1 and "not a regular file" in err


def _capture(outcome: list, fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as e:  # noqa: BLE001 - the test inspects it
        outcome.append(e)


def test_an_oversized_file_is_refused_by_its_size_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)   # sparse: nothing to read, only a size to see
    with pytest.raises(FileProblem, match="at most"):
        load_preset(path)
    with pytest.raises(FileProblem, match="at most"):
        read_bounded(path, 10)


def test_a_huge_description_is_refused_with_its_field(tmp_path: Path) -> None:
    doc = xor_doc()
    doc["description"] = "x" * (MAX_DESCRIPTION_CHARS + 1)
    path = tmp_path / "long.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(PresetError) as err:
        load_preset(path)
    assert err.value.problems[0].path == "description" and "at most" in str(err.value)


def test_too_many_nodes_are_refused_before_validation(tmp_path: Path) -> None:
    doc = xor_doc()
    doc["model"]["nodes"] = [{"id": f"n{k}", "type": "Nope"} for k in range(MAX_NODES + 1)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(PresetError) as err:
        load_preset(path)
    assert [p.path for p in err.value.problems] == ["model.nodes"]


def test_a_folder_and_a_missing_file_say_so(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="folder"):
        load_preset(tmp_path)
    with pytest.raises(FileProblem, match="no such"):
        load_preset(tmp_path / "nothing.json")


# ---------------------------------------------------------------- weights

def _weights_file(tmp_path: Path) -> Path:
    from playground.network.build import build_model
    preset = load_preset(PRESETS_DIR / "xor_mlp.json")
    return save_weights(tmp_path / "model.safetensors", build_model(preset.model, seed=0).state_dict(), preset)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_safetensors_file_is_named_damaged(tmp_path: Path, keep: float) -> None:
    good = _weights_file(tmp_path)
    data = good.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[:int(len(data) * keep)])
    for read in (read_metadata, load_weights, load_state_dict_file):
        with pytest.raises(FileProblem, match="truncated or damaged"):
            read(cut)


def test_a_truncated_state_dict_is_damaged_and_a_pickled_object_is_refused(tmp_path: Path) -> None:
    full = tmp_path / "state.pt"
    torch.save({"w": torch.zeros(64, 64)}, full)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(full.read_bytes()[:3000])
    with pytest.raises(FileProblem, match="truncated or damaged"):
        load_state_dict_file(cut)
    evil = tmp_path / "evil.pt"
    torch.save({"w": Path("x")}, evil)
    with pytest.raises(FileProblem, match="run code"):
        load_state_dict_file(evil)


def test_the_cli_names_a_truncated_model_file(tmp_path: Path, capsys) -> None:
    good = _weights_file(tmp_path)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(good.read_bytes()[:100])
    assert cli.main(["load", str(cut)]) == 2
    err = capsys.readouterr().err
    assert "truncated or damaged" in err and "run code" not in err


# ---------------------------------------------------------------- writing

def test_stale_temporary_files_of_a_killed_save_are_removed_on_the_next(tmp_path: Path) -> None:
    target = tmp_path / "net.json"
    stale = [tmp_path / ".net.json.ab12cd_x.tmp", tmp_path / ".net.json.k3j4l5m6.tmp"]
    for s in stale:
        s.write_text("half a file")
    others = [tmp_path / ".other.json.ab12cd_x.tmp", tmp_path / "net.json.ab12cd_x.tmp",
              tmp_path / ".net.json.notours.bak"]
    for o in others:
        o.write_text("not ours")
    save_preset(load_preset(PRESETS_DIR / "xor_mlp.json"), target)
    assert not any(s.exists() for s in stale)
    assert all(o.exists() for o in others)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name] + [o.name for o in others])


def test_a_save_in_progress_is_not_taken_for_stale(tmp_path: Path) -> None:
    target = tmp_path / "net.json"
    seen: list[list[Path]] = []

    def writer(tmp: Path) -> None:
        tmp.write_bytes(b"{}")
        seen.append(remove_stale_temporaries(target))   # a second saver looking while this one writes
        assert tmp.exists()

    atomic_write(target, writer)
    assert seen == [[]] and target.read_bytes() == b"{}"


def test_a_killed_writer_leaves_no_stale_file_after_the_next_save(tmp_path: Path) -> None:
    target = tmp_path / "net.json"
    script = ("import os, sys\nfrom playground.core.files import atomic_write\n"
              "atomic_write(sys.argv[1], lambda tmp: (tmp.write_bytes(b'x'), os.kill(os.getpid(), 9)))\n")
    subprocess.run([sys.executable, "-c", script, str(target)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                   timeout=60)
    assert [p.name.startswith(".net.json.") for p in tmp_path.iterdir()] == [True]
    atomic_write(target, b"{}")
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_saving_over_a_file_keeps_its_mode_and_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    existing = tmp_path / "shared.json"
    existing.write_text("{}")
    existing.chmod(0o644)
    atomic_write(existing, b"[]")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o644
    existing.chmod(0o640)
    atomic_write(existing, b"[1]")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    old = os.umask(0o027)
    try:
        fresh = atomic_write(tmp_path / "fresh.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


# ---------------------------------------------------------------- command-line values

@pytest.mark.parametrize("args, option", [
    (["--epochs", "-1"], "--epochs"), (["--epochs", "0"], "--epochs"), (["--epochs", "1e12"], "--epochs"),
    (["--epochs", "1000000000000"], "--epochs"), (["--epochs", "2.5"], "--epochs"),
    (["--seed", "-5"], "--seed"), (["--seed", str(2**40)], "--seed"), (["--seed", "abc"], "--seed"),
])
def test_cli_training_values_are_checked_like_the_preset_fields(args, option, capsys, tmp_path) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["train", "xor_mlp", "--out", str(tmp_path / "run"), *args])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("playground: error: ") and option in err
    assert not (tmp_path / "run").exists()


def test_cli_values_in_range_still_train(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert cli.main(["train", "xor_mlp", "--epochs", "1", "--seed", "7", "--out", str(out)]) == 0
    saved = json.loads((out / "summary.json").read_text())
    assert saved["epochs"] == 1
    assert load_weights(out / "model.safetensors")[0].training.seed == 7


def test_the_preset_document_round_trips_within_the_limits() -> None:
    for path in PRESETS_DIR.glob("*.json"):
        assert len(path.read_bytes()) < MAX_FILE_BYTES
        assert nesting_depth(path.read_text()) < 12
        assert preset_to_dict(load_preset(path))["format"]


def test_an_export_cleans_up_after_a_killed_one_and_keeps_the_mode(tmp_path: Path) -> None:
    from playground.export.common import write_together
    target = tmp_path / "model.py"
    target.write_text("old")
    target.chmod(0o644)
    stale = tmp_path / ".model.py.x1y2z3w4.tmp"
    stale.write_text("half an export")
    write_together([(target, b"new"), (tmp_path / "train.py", b"script")])
    assert not stale.exists() and target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py", "train.py"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_given_as_a_model_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    for read in (read_metadata, load_weights, load_state_dict_file):
        with pytest.raises(FileProblem, match="not a regular file"):
            read(fifo)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to tell a zombie")
def test_a_writer_counts_as_alive_only_while_it_runs():
    """Autosave recovery and run records ask this of the process that wrote a file."""
    assert process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # exited but not reaped: a zombie, which writes nothing any more
            if Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z":
                break
            threading.Event().wait(0.02)
        assert not process_alive(child.pid)
    finally:
        child.wait()
    assert not process_alive(child.pid)
    assert not any(process_alive(v) for v in (0, -1, 2 ** 40, True, "123", None))
