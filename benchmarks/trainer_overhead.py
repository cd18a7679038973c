"""How much do the Trainer's probes, events and bookkeeping cost against a bare PyTorch loop?

For `digits_mlp` and `digits_cnn`: the same model, data, batches and optimizer are trained by a
bare loop and by the Trainer with its default probe settings, alternating (which goes first
swaps every round, so neither always runs on a cache the other warmed), fifteen rounds each by
default; the best steps/s of each is compared, which on a loaded machine is the run least
disturbed by others. (With nine rounds, six runs on a shared 2-core VM gave digits_cnn ratios
from 0.92 to 1.03 for the same code: the host's bursts of load decide a best of nine.) The bare loop is the one a person writes by hand to watch
a validation curve: per step forward, cross-entropy, backward, update; per epoch one no-grad
pass over the validation split (in the same chunks the Trainer uses). The ratio against a loop
with no validation at all is printed too. Time is this process's CPU time (one intra-op thread),
so that other load on a shared machine skews the ratio less than wall time would.

Two things make the Trainer's step faster than the bare loop's, and make up for part of what
its bookkeeping costs: it clears gradients itself (`p.grad = None` for each parameter) where
the bare loop calls `optimizer.zero_grad(set_to_none=True)`, whose wrapping costs ~8 µs a
call on one core (more inside a training loop, where caches are cold); and it gathers an
epoch's rows in its shuffled order in one op (`index_select`) and slices the batches from them
(`playground/training/batches.py`) where the bare loop indexes the training tensors with each
batch's indices, ~13 µs a digits_mlp step. `--direct-zero` has the bare loop do both the
Trainer's way, so the ratio shows the Trainer's bookkeeping (the loss read-back, the running
accuracy, the probes, the events) with nothing offsetting it: the honest limit.

Prints one line per preset and, last, `ratio=R` with R the lower of the two ratios
(Trainer / bare loop with validation). Each preset's line also gives the median of the rounds'
own ratios (each round's Trainer run against the bare run beside it): on a shared machine a best
of fifteen can move by several per cent between runs of this script (digits_mlp 0.893, 0.981 and
0.942 in three runs of the same code, one after another), the median of paired rounds much less
(0.938, 0.946, 0.930), so it says whether a difference between two runs is the code's or the host's.

    python benchmarks/trainer_overhead.py [--rounds 15] [--epochs 10] [--threads 1] [--direct-zero]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from playground.network.build import build_model  # noqa: E402
from playground.training.optim import make_optimizer  # noqa: E402
from playground.network.preset import resolve_preset  # noqa: E402
from playground.training.trainer import EVAL_CHUNK, Trainer  # noqa: E402


def _load() -> float:
    """The 1-minute load average (NaN where the OS has none): how shared the machine was."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _clock(wall: bool) -> float:
    return time.perf_counter() if wall else time.process_time()


def bare_steps_per_s(trainer: Trainer, epochs: int, validate: bool, wall: bool = False,
                     direct_zero: bool = False) -> float:
    """The loop a person would write by hand, on the Trainer's own tensors (and device);
    `direct_zero`: it takes the Trainer's two shortcuts, clearing gradients with `p.grad = None`
    instead of optimizer.zero_grad and slicing each batch from the epoch's rows gathered in one op."""
    ts = trainer.ts
    model = build_model(trainer.preset.model, seed=ts.seed).to(trainer.device)
    opt = make_optimizer(model.parameters(), ts)
    params = list(model.parameters())
    x, y = trainer.x_train, trainer.y_train
    gen = torch.Generator().manual_seed(0)
    steps = 0
    start = _clock(wall)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen).to(x.device)
        if direct_zero:   # the epoch's rows in one gather, each batch a slice of them
            batches = zip(x.index_select(0, order).split(ts.batch_size), y.index_select(0, order).split(ts.batch_size))
        else:             # each batch's rows gathered by its indices
            batches = ((x[idx], y[idx]) for idx in order.split(ts.batch_size))
        for xb, yb in batches:
            loss = F.cross_entropy(model(xb), yb)
            if direct_zero:
                for p in params:
                    p.grad = None
            else:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            steps += 1
        if validate:
            model.eval()
            with torch.no_grad():
                out = torch.cat([model(trainer.x_val[i:i + EVAL_CHUNK])
                                 for i in range(0, len(trainer.x_val), EVAL_CHUNK)])
                float(F.cross_entropy(out, trainer.y_val))
    float(loss.detach())  # wait for the device
    return steps / (_clock(wall) - start)


def trainer_steps_per_s(name: str, epochs: int, device: str = "cpu", wall: bool = False) -> float:
    preset = resolve_preset(name)
    preset.training.epochs = epochs
    events = []
    trainer = Trainer(preset, on_event=events.append, device=device)
    start = _clock(wall)
    trainer.run()
    return trainer.step_count / (_clock(wall) - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--direct-zero", action="store_true",
                    help="the bare loop takes the Trainer's shortcuts: it clears gradients with "
                         "p.grad = None and slices batches from the epoch's rows gathered at once")
    args = ap.parse_args()
    if args.direct_zero:
        print("the bare loop takes the Trainer's shortcuts: it clears gradients with p.grad = None, not with "
              "optimizer.zero_grad, and slices its batches from the epoch's rows gathered in one op", flush=True)
    torch.set_num_threads(args.threads)
    ratios = []
    for name in ("digits_mlp", "digits_cnn"):
        reference = Trainer(resolve_preset(name), device="cpu")
        bare, plain, ours = [], [], []
        zero = args.direct_zero
        bare_steps_per_s(reference, 1, True, direct_zero=zero)  # warm-up
        trainer_steps_per_s(name, 1)
        for k in range(args.rounds):
            if k % 2 == 0:
                bare.append(bare_steps_per_s(reference, args.epochs, True, direct_zero=zero))
                ours.append(trainer_steps_per_s(name, args.epochs))
            else:
                ours.append(trainer_steps_per_s(name, args.epochs))
                bare.append(bare_steps_per_s(reference, args.epochs, True, direct_zero=zero))
            plain.append(bare_steps_per_s(reference, args.epochs, False, direct_zero=zero))
        ratio = max(ours) / max(bare)
        ratios.append(ratio)
        paired = statistics.median(o / b for o, b in zip(ours, bare))
        print(f"{name}: bare loop {max(bare):.0f} steps/s (without validation {max(plain):.0f}), "
              f"trainer {max(ours):.0f} steps/s, ratio {ratio:.3f} (without validation "
              f"{max(ours) / max(plain):.3f}; median of the rounds' own ratios {paired:.3f}; "
              f"device {reference.device}, {args.threads} thread(s), best of {args.rounds}, "
              f"load average {_load():.1f})", flush=True)
    print(f"ratio={min(ratios):.3f}")


if __name__ == "__main__":
    main()
