"""The three seeds of a run: initialization, data order and noise.

One seed for everything couples things a person wants apart: re-running with other batches
must not change the starting weights, and a dropout rate changed must not change the batch
order. So each source of randomness has its own seed and its own generator:

- `init`: the initial weights (the model is built under it, in a forked RNG);
- `data`: the order of the training examples each epoch (a CPU `torch.Generator`);
- `noise`: dropout and Sampling (torch's global RNG, seeded once when training starts) and
  augmentation and corruption (their own generator on the training device).

`Seeds.from_seed(s)` gives the three a single `training.seed` has always meant, so figures
measured before the split still hold.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # torch is imported where a generator or a hash is made: run listings stay light
    import torch

NOISE_OFFSET = 1
"""Augmentation/corruption draw from a generator seeded `noise + 1` (dropout uses `noise` itself):
what one training seed gave before the seeds were split."""


@dataclass(frozen=True)
class Seeds:
    """Seeds for initialization, data order and noise (each 0 ≤ s < 2**31)."""

    init: int
    data: int
    noise: int

    @classmethod
    def from_seed(cls, seed: int) -> "Seeds":
        """The three seeds that one `training.seed` stands for."""
        return cls(int(seed), int(seed), int(seed))

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Seeds":
        return cls(int(d["init"]), int(d["data"]), int(d["noise"]))

    def data_generator(self) -> torch.Generator:
        """Shuffles the training split: on the CPU, so the order is the same on every device."""
        import torch
        return torch.Generator().manual_seed(self.data)

    def noise_generator(self, device: torch.device) -> torch.Generator | None:
        """Augmentation and corruption noise, drawn where the batch lives (None on MPS, which
        has no seedable generators: there torch's global RNG is used)."""
        if device.type == "mps":
            return None
        import torch
        return torch.Generator(device=device).manual_seed(self.noise + NOISE_OFFSET)


def weights_hash(state: dict[str, torch.Tensor]) -> str:
    """sha256 over the tensors' names, dtypes, shapes and bytes, in name order: equal hashes
    mean bit-identical weights."""
    import torch
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().to("cpu").contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")  # 0-dim too
    return h.hexdigest()
