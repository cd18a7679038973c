"""The training loop of the exported `train.py`, as text the script export fills in.

Kept apart from `script.py` so the loop reads as the program it becomes. It holds only the epoch
loop and DistributedDataParallel: the step's pieces (augment, corrupt, the penalty terms and
the VAE's KL, evaluation, the perceptron update, the device, early stopping) are copied above it
from `playground/training/step.py`, the module the Trainer itself runs. `@@NAME@@` markers are replaced
by script.py.
"""

HEADER = '''"""Train "@@PRESET@@" with plain PyTorch: exported from NN Playground.

@@DESCRIPTION@@

It rebuilds the network (the class below, as in the model.py export), the data (data.npz beside
this file), the optimizer, the learning-rate schedule and every loss term of the preset. It
needs only torch and numpy.

One CPU or GPU:
    python train.py [--epochs N] [--device D] [--out DIR]
Many GPUs or machines (DistributedDataParallel, one process per GPU; gloo on CPUs):
    torchrun --nproc_per_node=N train.py [--epochs N] [--out DIR]
Each process takes batches of batch_size from its own shard of the training split, so the
effective batch is N x batch_size. DIR gets model.pt (a state_dict; load it with
torch.load(path, weights_only=True)), metrics.csv and summary.json.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
'''

LOOP = '''
# ---------------------------------------------------------------- data

def load_data(path: str | Path, device: torch.device) -> dict[str, torch.Tensor]:
    """The splits saved by the playground: x_train, y_train, x_val, y_val, x_test, y_test."""
    with np.load(path, allow_pickle=False) as d:
        return {k: torch.as_tensor(d[k], device=device) for k in d.files}


# ---------------------------------------------------------------- one step's loss

class CodeTap:
    """Keeps the output of the code (bottleneck) node, for the sparse and contractive terms."""

    def __init__(self, net: nn.Module, node_id: str) -> None:
        self.value: torch.Tensor | None = None
        if node_id and node_id != INPUT_ID:
            getattr(net, node_id).register_forward_hook(self._keep)

    def _keep(self, module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        self.value = output


def training_loss(model: nn.Module, net: nn.Module, tap: CodeTap, x: torch.Tensor,
                  target: torch.Tensor, s: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    """Task loss plus every active penalty term, as the playground adds them."""
    if s.contractive > 0:
        x = x.detach().requires_grad_(True)
    out = model(x)
    code = x if s.code_node == INPUT_ID else tap.value
    if not PENALTIES:  # as the playground: no penalty terms, nothing added
        return task_loss(s.loss, out, target, OUTPUT_KIND), out
    data_loss = task_loss(s.loss, out, target, OUTPUT_KIND)
    return data_loss + penalty_terms(s, net, x, code, math.prod(INPUT_SHAPE)), out


@torch.no_grad()
def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor, s: Settings) -> dict[str, float]:
    """Task loss (and accuracy for classifiers) in eval mode: no dropout, running BatchNorm."""
    if len(x) == 0:
        return {}
    was = net.training
    net.eval()
    out = torch.cat([net(x[i:i + EVAL_CHUNK]) for i in range(0, len(x), EVAL_CHUNK)])
    net.train(was)
    result = evaluate_outputs(s, out, x, y, OUTPUT_KIND, CLASSIFIER, N_CLASSES)
    return {k: v for k, v in result.items() if k != "mse"}


def perceptron_step(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The perceptron rule over one batch; its 'loss' is the batch's mistake rate."""
    linear = next(m for m in net.modules() if isinstance(m, nn.Linear))
    return torch.tensor(perceptron_update(linear, x, y) / max(1, len(x)), dtype=torch.float64)


# ---------------------------------------------------------------- devices and processes

def setup(device_name: str) -> tuple[int, int, torch.device]:
    """(rank, world size, device). Under torchrun: one process group, nccl on GPUs, gloo on CPUs."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = choose_device(device_name, world, local)
    if world > 1:
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def all_sum(values: list[float], device: torch.device, world: int) -> list[float]:
    if world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.all_reduce(t)
    return t.tolist()


# ---------------------------------------------------------------- training

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, help=f"passes over the training split (preset: {SETTINGS.epochs})")
    p.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N or mps (preset: "
                   f"{SETTINGS.device})")
    p.add_argument("--out", default="out", help="folder for model.pt, metrics.csv, summary.json")
    p.add_argument("--data", default=str(Path(__file__).with_name("data.npz")), help="the data file")
    p.add_argument("--weights", help="start from these weights (a state_dict .pt file)")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    s = replace(SETTINGS, epochs=args.epochs or SETTINGS.epochs)
    rank, world, device = setup(args.device or s.device)
    if s.mode == "perceptron" and world > 1:
        raise SystemExit("the perceptron rule visits examples one by one; run it as one process")
    torch.manual_seed(s.seed)
    net = @@CLASS@@().to(device)  # the same initial weights as the playground for the same seed
    torch.manual_seed(s.seed)  # and the same dropout and sampling noise
    if args.weights:
        net.load_state_dict(torch.load(args.weights, map_location=device, weights_only=True))
    tap = CodeTap(net, s.code_node)
    model = net
    if world > 1:
        ids = [device] if device.type == "cuda" else None
        model = nn.parallel.DistributedDataParallel(net, device_ids=ids,
                                                    find_unused_parameters=GRADIENT_STOPS)
    data = load_data(args.data, device)
    x_train, y_train = data["x_train"], data["y_train"]
    n = len(x_train)
    if s.mode == "perceptron":
        with torch.no_grad():
            for p in net.parameters():
                p.zero_()  # the perceptron theorem starts from theta = 0
    optimizer = make_optimizer(net.parameters(), s)
    sampler = None
    if world > 1:
        from torch.utils.data.distributed import DistributedSampler
        sampler = DistributedSampler(range(n), num_replicas=world, rank=rank, shuffle=True, seed=s.seed)
    steps_per_epoch = max(1, math.ceil((len(sampler) if sampler else n) / s.batch_size))
    total_steps = s.epochs * steps_per_epoch
    shuffle = torch.Generator().manual_seed(s.seed)
    noise = torch.Generator(device=device).manual_seed(s.seed + 1 + rank) if device.type != "mps" else None
    probe = slice(0, 2048)
    before = evaluate(net, x_train[probe], y_train[probe], s)

    history: list[dict] = []
    stopper = EarlyStopping(s.early_stopping)
    step, stop, started = 0, "", time.perf_counter()
    for epoch in range(1, s.epochs + 1):
        net.train()
        if sampler is not None:
            sampler.set_epoch(epoch)
            order = torch.tensor(list(sampler), device=device)
        else:
            order = torch.randperm(n, generator=shuffle).to(device)
        total, seen, correct = 0.0, 0, 0.0
        for start in range(0, len(order), s.batch_size):
            idx = order[start:start + s.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            lr = scheduled_lr(s, step, steps_per_epoch, total_steps)
            if s.mode == "perceptron":
                loss = perceptron_step(net, xb, yb)
            else:
                for group in optimizer.param_groups:
                    group["lr"] = lr
                    if "momentum" in group and s.optimizer in ("momentum", "nesterov", "rmsprop"):
                        group["momentum"] = scheduled_momentum(s, epoch - 1)   # epochs count from 1 here
                xin = augment(xb, DATA, noise)
                target = xin if s.target == "input" else yb  # an autoencoder restores the clean input
                if s.target == "input":
                    xin = corrupt(xin, DATA, noise)
                loss, out = training_loss(model, net, tap, xin, target, s)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if s.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(net.parameters(), s.grad_clip)
                optimizer.step()
                if s.max_norm > 0:
                    apply_max_norm(net, s.max_norm)
                if CLASSIFIER:
                    correct += float((predicted_classes(out.detach(), OUTPUT_KIND) == yb).sum())
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
            step += 1
            if args.max_steps and step >= args.max_steps:
                stop = f"stopped after {step} steps (--max-steps)"
                break
        total, seen, correct = all_sum([total, seen, correct], device, world)
        row = {"epoch": epoch, "step": step, "train_loss": total / max(1, seen)}
        if CLASSIFIER and s.mode != "perceptron":
            row["train_acc"] = correct / max(1, seen)
        val = evaluate(net, data["x_val"], data["y_val"], s)
        row.update({f"val_{'acc' if k == 'accuracy' else k}": v for k, v in val.items()})
        row["lr"] = optimizer.param_groups[0]["lr"] if s.mode != "perceptron" else 0.0
        history.append(row)
        if rank == 0:
            print("  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()),
                  flush=True)
        if not math.isfinite(row["train_loss"]):
            stop = f"the loss became NaN or infinite in epoch {epoch}: try a smaller learning rate"
        elif s.mode == "perceptron" and row["train_loss"] == 0.0:
            stop = "converged: an epoch without mistakes"
        elif s.early_stopping > 0 and val and stopper.update(val["loss"], net, epoch):
            stop = f"early stopping: restored the weights of epoch {stopper.best_epoch}"
        if stop:
            break

    after = evaluate(net, x_train[probe], y_train[probe], s)
    test = evaluate(net, data["x_test"], data["y_test"], s)
    summary = {"preset": PRESET_NAME, "epochs": len(history), "steps": step, "processes": world,
               "device": str(device), "seconds": round(time.perf_counter() - started, 3),
               "stopped": stop or "finished", "train_loss_before": before.get("loss"),
               "train_loss_after": after.get("loss"), **{f"test_{k}": v for k, v in test.items()}}
    if rank == 0:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, out / "model.pt")
        with open(out / "metrics.csv", "w", newline="") as f:
            fields = list(dict.fromkeys(k for row in history for k in row))
            writer = csv.DictWriter(f, fields)
            writer.writeheader()
            writer.writerows(history)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\\n")
        print(f"{summary['stopped']}; train loss {before.get('loss', float('nan')):.4g} -> "
              f"{after.get('loss', float('nan')):.4g}; test {test} -> {out}", flush=True)
    if world > 1:
        # Every rank waits for rank 0's files, then all let go of the group together: a rank
        # tearing gloo down while another still talks to it can abort ("terminate called ...").
        torch.distributed.barrier()
        del model
        torch.distributed.destroy_process_group()
    return summary


if __name__ == "__main__":
    finished = main()
    if finished["processes"] > 1:
        # A process of a torchrun group leaves without the interpreter's teardown, its files written
        # and closed: in that teardown gloo's threads could abort a rank after a finished training
        # ("terminate called without an active exception", torchrun: "train.py FAILED"), about 1 run
        # in 20 on a loaded 2-core machine (none in 30 with this exit).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
'''
