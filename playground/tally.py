"""The loss bookkeeping of a training run: step losses held until the emit interval, then read
back in one go and summed into the epoch's figures.

On a GPU every read-back is a host-device synchronisation, so step losses, penalties and the
outputs for the running accuracy stay on the device until `flush`; on the CPU reading a loss
costs nothing, and the Trainer hands in plain floats.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from playground import losses
from playground.events import LossEvent

EMIT_SECONDS = 0.05
"""The emit interval: step losses are read back and sent at most this often (and at each epoch's
end). Twenty curve updates a second is as live as a plot can show; a fixed step count would
flood a fast model's consumer with events (and syncs) and leave a slow model's curve empty."""
EMIT_MAX_STEPS = 512
"""... and never more steps than this at once, however fast the steps."""
ACCURACY_EVERY = 200
"""Kept batches of outputs before they are compared with their labels (on the device)."""


@dataclass
class Flushed:
    """What one read-back found: the event to send, and the first non-finite step (or None)."""

    event: LossEvent | None
    bad_step: int | None = None


class LossTally:
    """Pending step losses and the epoch's sums; knows nothing of models or optimizers."""

    def __init__(self, device: torch.device, kind: str, is_classifier: bool) -> None:
        self.device, self.kind, self.is_classifier = device, kind, is_classifier
        self.first_step = 0
        self.last_flush = time.perf_counter()
        self.reset_epoch(0)

    def reset_epoch(self, step: int) -> None:
        self._losses: list[torch.Tensor | float] = []
        self._sizes: list[int] = []
        self._lrs: list[float] = []
        self._momenta: list[float] = []
        self._penalties: list[torch.Tensor | float] = []
        self._any_penalty = False
        self._outs: list[torch.Tensor] = []
        self._ys: list[torch.Tensor] = []
        self.first_step = step
        self.loss_sum = 0.0
        self.seen = 0
        self.correct: int | torch.Tensor = 0 if self.device.type == "cpu" else \
            torch.zeros((), dtype=torch.int64, device=self.device)
        """Correct training predictions so far: an int on the CPU (reading a count back is free there),
        a tensor on a GPU (read back once, at the epoch's end)."""

    def __len__(self) -> int:
        return len(self._losses)

    def add(self, step: int, loss: torch.Tensor | float, n: int, lr: float, momentum: float,
            penalty: torch.Tensor | float | None, out: torch.Tensor | None, y: torch.Tensor) -> bool:
        """Keep one step's figures (tensors stay where they are) until the next flush; True once
        the emit interval has passed (or EMIT_MAX_STEPS are pending): time to flush."""
        if not self._losses:
            self.first_step = step
        self._losses.append(loss)
        self._sizes.append(n)
        self._lrs.append(lr)
        self._momenta.append(momentum)
        if penalty is None:
            self._penalties.append(0.0)
        else:
            self._penalties.append(penalty)
            self._any_penalty = True
        if out is not None and self.is_classifier:
            self._outs.append(out)
            self._ys.append(y)
        return len(self._losses) >= EMIT_MAX_STEPS or time.perf_counter() - self.last_flush >= EMIT_SECONDS

    def flush(self, epoch: int, lr: float, epoch_end: bool) -> Flushed:
        """Read the pending losses back (one transfer on a GPU), add them to the epoch's sums and
        make their LossEvent; stop at the first non-finite step."""
        self.last_flush = time.perf_counter()
        if not self._losses:
            return Flushed(None)
        raw, sizes = self._losses, self._sizes
        if isinstance(raw[0], torch.Tensor):
            values = torch.stack(raw).double().cpu().numpy()
        else:
            values = np.array(raw, dtype=np.float64)
        total = float(values @ np.array(sizes, dtype=np.float64))
        penalties = None
        if self._any_penalty:
            penalties = np.array([0.0 if isinstance(p, torch.Tensor) else float(p) for p in self._penalties])
            at = [k for k, p in enumerate(self._penalties) if isinstance(p, torch.Tensor)]
            if at:  # one transfer for all of them
                penalties[at] = torch.stack([self._penalties[k] for k in at]).double().cpu().numpy()
        steps = np.arange(self.first_step, self.first_step + len(raw), dtype=np.int64)
        lrs, momenta = np.array(self._lrs, dtype=np.float64), np.array(self._momenta, dtype=np.float64)
        n_seen = sum(sizes)
        self._losses, self._sizes, self._lrs, self._momenta, self._penalties = [], [], [], [], []
        self._any_penalty = False
        self.first_step += len(raw)
        if len(self._outs) >= ACCURACY_EVERY or epoch_end:
            self.tally_accuracy()
        self.loss_sum += total
        self.seen += n_seen
        if not math.isfinite(total):
            k = int(np.argmax(~np.isfinite(values)))
            return Flushed(LossEvent(steps[:k], values[:k], epoch, lr, lrs[:k], momenta[:k],
                                     None if penalties is None else penalties[:k]), int(steps[k]))
        return Flushed(LossEvent(steps, values, epoch, lr, lrs, momenta, penalties))

    def tally_accuracy(self) -> None:
        """Count correct predictions of the kept training outputs, in one batched comparison."""
        if self._outs:
            pred = losses.predicted_classes(torch.cat(self._outs), self.kind)
            hits = (pred == torch.cat(self._ys)).sum()
            if isinstance(self.correct, int):
                self.correct += int(hits)
            else:
                self.correct.add_(hits)
            self._outs, self._ys = [], []

    def epoch_loss(self) -> float:
        return self.loss_sum / max(1, self.seen)

    def epoch_accuracy(self) -> float | None:
        """The running training accuracy (one read-back: call it at the epoch's end)."""
        return float(self.correct) / max(1, self.seen) if self.is_classifier else None
