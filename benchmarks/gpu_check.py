"""Checks that need a CUDA machine: does the playground train on a GPU as on the CPU?

On a CUDA machine it
- trains every built-in preset on cuda and on the CPU (a few epochs) and compares the epoch losses;
- counts host-device synchronisations per training step with torch.cuda.set_sync_debug_mode, on
  steps that emit nothing (they must be 0: losses, accuracy tallies and probes stay on the device
  until the emit interval) and on all steps;
- measures the Trainer against a bare loop on cuda (digits_mlp, digits_cnn; steps/s, wall time);
- says what `auto` chooses for those presets and why;
- exports a CUDA-trained model to every format;
- runs the exported train.py with --device cuda, and under torchrun --nproc_per_node=1 (NCCL).

One line per check (`ok` or `FAIL`, the check, figures); exit status 1 if any check failed.
Without CUDA it says so and exits 0 (CI never has a GPU).

    python benchmarks/gpu_check.py [--epochs 2] [--presets a,b] [--skip-script]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from playground.training.events import Event  # noqa: E402
from playground.network.preset import builtin_names, resolve_preset  # noqa: E402
from playground.training.trainer import Trainer  # noqa: E402

FAILED: list[str] = []
LOSS_RTOL = 2e-2
"""cuDNN and cuBLAS sum in other orders than the CPU: epoch losses agree to a few parts in a thousand
over a few epochs; a real divergence is far larger."""


def report(ok: bool, name: str, detail: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)
    if not ok:
        FAILED.append(name)


def epoch_losses(name: str, device: str, epochs: int) -> list[float]:
    preset = resolve_preset(name)
    preset.training.epochs = min(preset.training.epochs, epochs)
    trainer = Trainer(preset, device=device)
    trainer.run()
    if trainer.last_problem is not None:
        raise RuntimeError(trainer.last_problem.message)
    return [e.train_loss for e in trainer.history]


def check_same_figures(names: list[str], epochs: int) -> None:
    for name in names:
        try:
            gpu, cpu = epoch_losses(name, "cuda", epochs), epoch_losses(name, "cpu", epochs)
        except Exception as e:  # noqa: BLE001 — a crash is a failed check, reported on its line
            report(False, f"same figures {name}", f"{type(e).__name__}: {str(e)[:200]}")
            continue
        worst = max((abs(g - c) / max(abs(c), 1e-8) for g, c in zip(gpu, cpu)), default=math.inf)
        ok = len(gpu) == len(cpu) and worst <= LOSS_RTOL
        report(ok, f"same figures {name}", f"epoch losses cuda {['%.5g' % v for v in gpu]} cpu "
                                           f"{['%.5g' % v for v in cpu]}, worst relative difference {worst:.2e}")


def check_syncs(name: str, steps: int = 300) -> None:
    """Syncs per step, counted by torch's sync debug mode (one warning per synchronisation)."""
    preset = resolve_preset(name)
    emitted: list[Event] = []
    trainer = Trainer(preset, device="cuda", on_event=emitted.append)
    for _ in range(5):  # warm-up: the first steps allocate
        trainer.step()
    quiet_steps = quiet_syncs = all_syncs = 0
    torch.cuda.set_sync_debug_mode("warn")
    try:
        for _ in range(steps):
            before = len(emitted)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if not trainer.step():
                    break
            syncs = sum("synchroniz" in str(w.message).lower() for w in caught)
            all_syncs += syncs
            if len(emitted) == before:
                quiet_steps += 1
                quiet_syncs += syncs
    finally:
        torch.cuda.set_sync_debug_mode(0)
    per_quiet = quiet_syncs / max(1, quiet_steps)
    per_step = all_syncs / max(1, steps)
    report(per_quiet == 0, f"syncs {name}", f"{per_quiet:.3f} per step between emits ({quiet_steps} steps), "
                                            f"{per_step:.3f} per step overall")


def check_overhead(names: list[str], epochs: int) -> None:
    from benchmarks.trainer_overhead import bare_steps_per_s, trainer_steps_per_s
    for name in names:
        reference = Trainer(resolve_preset(name), device="cuda")
        bare_steps_per_s(reference, 1, True, wall=True)
        trainer_steps_per_s(name, 1, device="cuda", wall=True)
        bare = max(bare_steps_per_s(reference, epochs, True, wall=True) for _ in range(3))
        ours = max(trainer_steps_per_s(name, epochs, device="cuda", wall=True) for _ in range(3))
        ratio = ours / bare
        report(ratio >= 0.95, f"trainer/bare on cuda {name}",
               f"ratio={ratio:.3f} (trainer {ours:.0f} steps/s, bare loop {bare:.0f} steps/s, best of 3)")


def check_auto(names: list[str]) -> None:
    for name in names:
        choice = Trainer(resolve_preset(name), device="auto").device_choice
        rates = ", ".join(f"{k} {v:.0f}" for k, v in choice.steps_per_s.items())
        report(bool(choice.steps_per_s), f"auto {name}", f"{choice.line()} [{rates} steps/s]")


def check_exports(name: str, folder: Path) -> None:
    from playground.export import FORMATS, export
    preset = resolve_preset(name)
    preset.training.epochs = 1
    trainer = Trainer(preset, device="cuda")
    trainer.run()
    state = {k: v for k, v in trainer.model.state_dict().items()}  # still on the GPU: exports must cope
    for fmt in FORMATS:
        target = folder / f"export_{fmt}"
        target.mkdir()  # each format writes its default file name inside
        if FORMATS[fmt].is_folder:
            target = target / "out"
        try:
            paths = export(preset, state, fmt, target)
            report(True, f"export {fmt}", f"{name} trained on cuda -> {', '.join(p.name for p in paths)}")
        except Exception as e:  # noqa: BLE001
            report(False, f"export {fmt}", f"{type(e).__name__}: {str(e)[:200]}")


def check_script(name: str, folder: Path) -> None:
    from playground.export import export
    script = folder / "script"
    export(resolve_preset(name), None, "script", script)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_"))}
    runs = {
        "train.py --device cuda": [sys.executable, "train.py", "--epochs", "2", "--device", "cuda", "--out", "one"],
        "torchrun --nproc_per_node=1 (nccl)": [sys.executable, "-m", "torch.distributed.run", "--standalone",
                                               "--nproc_per_node=1", "train.py", "--epochs", "2", "--device",
                                               "cuda", "--out", "ddp"],
    }
    for label, cmd in runs.items():
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=script, env=env, capture_output=True, text=True, timeout=600)
        out = cmd[cmd.index("--out") + 1]
        summary = script / out / "summary.json"
        ok = done.returncode == 0 and summary.exists()
        detail = (json.loads(summary.read_text()) if ok else (done.stderr or done.stdout)[-300:].replace("\n", " | "))
        if ok:
            detail = (f"device {detail['device']}, {detail['processes']} process(es), train loss "
                      f"{detail['train_loss_before']:.4g} -> {detail['train_loss_after']:.4g}, "
                      f"{time.perf_counter() - started:.1f}s")
        report(ok, label, str(detail))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=2, help="epochs per preset for the figure comparison")
    ap.add_argument("--presets", default="", help="comma-separated presets (default: every built-in)")
    ap.add_argument("--skip-script", action="store_true", help="do not run the exported train.py")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print(f"gpu_check: no CUDA device here (torch {torch.__version__}); nothing to check")
        return 0
    torch.set_num_threads(1)
    print(f"gpu_check: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}",
          flush=True)
    names = [n for n in args.presets.split(",") if n] or builtin_names()
    main_presets = [n for n in ("digits_mlp", "digits_cnn") if n in builtin_names()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        check_auto(main_presets)
        for name in main_presets:
            check_syncs(name)
        check_overhead(main_presets, epochs=5)
        check_exports("digits_cnn", folder)
        if not args.skip_script:
            check_script("digits_cnn", folder)
        check_same_figures(names, args.epochs)
    print(f"gpu_check: {len(FAILED)} failed" + (f": {', '.join(FAILED)}" if FAILED else ""))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
