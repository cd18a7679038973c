"""Which device trains this model faster: `auto` decided by a short timed probe.

A GPU is not always faster. The course's networks are small: a training step of `digits_mlp`
launches a few dozen tiny kernels, and on an H200 it ran at ~670 steps/s against ~3,700 on one
CPU thread (launch-bound; a 64→4096-wide MLP stayed at ~600 steps/s there). So `auto` times a
few training steps of this very model, batch size and optimizer on each candidate (the
accelerator and the CPU) and keeps the faster, saying which and why. Explicit choices (`cpu`,
`cuda`, `cuda:1`, `mps`) are kept as they are. The probe trains copies, under a forked RNG, so
the run's weights and random numbers are the same whichever device wins.
"""
from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from playground.training import losses
from playground.training.optim import make_optimizer

PROBE_SECONDS = 0.15
"""Time spent on each candidate (after warm-up); a probe stops earlier after MAX_STEPS."""
WARMUP_STEPS = 3
MAX_STEPS = 50
MARGIN = 1.1
"""The accelerator must be this much faster to be chosen: on a near tie the CPU keeps the GPU free
and avoids copies."""


@dataclass(frozen=True)
class DeviceChoice:
    """The device a run trains on, what was asked for, and why (for the CLI line and the app's status)."""

    device: torch.device
    requested: str
    reason: str
    steps_per_s: dict[str, float] = field(default_factory=dict)
    """Steps/s each candidate reached in the probe (empty when nothing was timed)."""

    def line(self) -> str:
        return f"device {self.device}: {self.reason}"


_cache: dict[str, DeviceChoice] = {}
_lock = threading.Lock()


def explicit(device: torch.device, requested: str) -> DeviceChoice:
    return DeviceChoice(device, requested, f"as chosen (device '{requested}')")


def only_cpu(requested: str) -> DeviceChoice:
    return DeviceChoice(torch.device("cpu"), requested, "auto: no CUDA or MPS device on this machine")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def steps_per_second(model: torch.nn.Module, ts: Any, kind: str, x: torch.Tensor, y: torch.Tensor,
                     device: torch.device, seconds: float = PROBE_SECONDS) -> float:
    """Training steps per second of a copy of `model` on `device` (forward, loss, backward, update)."""
    net = copy.deepcopy(model).to(device)
    net.train()
    opt = make_optimizer(net.parameters(), ts)
    xb, yb = x.to(device), y.to(device)
    target = xb if ts.target == "input" else yb

    def one_step() -> None:
        loss = losses.task_loss(ts.loss, net(xb), target, kind)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(WARMUP_STEPS):
        one_step()
    _sync(device)
    steps, start = 0, time.perf_counter()
    while steps < MAX_STEPS:
        one_step()
        steps += 1
        if steps % 5 == 0:
            _sync(device)
            if time.perf_counter() - start >= seconds:
                break
    _sync(device)
    return steps / max(1e-9, time.perf_counter() - start)


def choose_faster(model: torch.nn.Module, ts: Any, kind: str, x: torch.Tensor, y: torch.Tensor,
                  accelerator: torch.device, requested: str = "auto", key: str = "") -> DeviceChoice:
    """Time the model on `accelerator` and on the CPU; the faster wins (the accelerator by MARGIN).
    `key` (e.g. the network, data and batch as JSON) caches the answer for this process."""
    if key:
        with _lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
    cuda = [accelerator.index or 0] if accelerator.type == "cuda" and torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        rates = {str(accelerator): steps_per_second(model, ts, kind, x, y, accelerator),
                 "cpu": steps_per_second(model, ts, kind, x, y, torch.device("cpu"))}
    fast, cpu = rates[str(accelerator)], rates["cpu"]
    if fast >= MARGIN * cpu:
        choice = DeviceChoice(accelerator, requested, f"auto: {accelerator} trains this model {fast / cpu:.1f}x "
                                                      f"faster than the CPU ({fast:.0f} vs {cpu:.0f} steps/s "
                                                      "in a short probe)", rates)
    else:
        choice = DeviceChoice(torch.device("cpu"), requested,
                              f"auto: the CPU trains this model {'faster than' if cpu > fast else 'about as fast as'} "
                              f"{accelerator} ({cpu:.0f} vs {fast:.0f} steps/s in a short probe; small "
                              "networks are launch-bound on a GPU)", rates)
    if key:
        with _lock:
            _cache[key] = choice
    return choice


def probe_key(spec: Any, ts: Any, data_name: str, data_params: dict) -> str:
    """What the answer depends on: network, batch size, optimizer, loss and data."""
    return json.dumps([spec.to_dict() if hasattr(spec, "to_dict") else repr(spec), ts.batch_size, ts.optimizer,
                       ts.loss, ts.target, data_name, data_params], sort_keys=True, default=str)
