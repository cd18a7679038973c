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

from playground.training import losses
from playground.training.events import LossEvent

EMIT_SECONDS = 0.1
"""The emit interval: step losses are read back and sent at most this often (and at each epoch's
end). Ten curve updates a second keep a plot live; a fixed step count would flood a fast
model's consumer with events (and a GPU with syncs) and leave a slow model's curve empty."""
EMIT_MAX_STEPS = 512
"""... and never more steps than this at once, however fast the steps."""
ACCURACY_EVERY = 200
"""Kept batches of outputs before they are compared with their labels (at the latest at the
epoch's end; on a GPU the count stays on the device until then)."""


def host_classes(out: torch.Tensor, kind: str) -> np.ndarray:
    """`losses.predicted_classes` as host integers; a CPU float32 (N, C > 1) output's argmax is
    taken in numpy (the same first-maximum rule, NaN counting as the maximum, as torch's), which
    costs ~60% of torch's on the small arrays of an epoch's end."""
    if out.requires_grad:   # (outputs kept without a graph, the usual case, skip the detach op)
        out = out.detach()
    if out.device.type == "cpu" and out.dtype == torch.float32 and out.dim() == 2 and out.shape[1] > 1:
        return out.numpy().argmax(axis=1)
    return losses.predicted_classes(out, kind).cpu().numpy()


@dataclass
class Flushed:
    """What one read-back found: the event to send, and the first non-finite step (or None)."""

    event: LossEvent | None
    bad_step: int | None = None


class LossTally:
    """Pending step losses and the epoch's sums; knows nothing of models or optimizers."""

    def __init__(self, device: torch.device, kind: str, is_classifier: bool,
                 labels_in_order: np.ndarray | None = None) -> None:
        self.device, self.kind, self.is_classifier = device, kind, is_classifier
        self.first_step = 0
        self.last_flush = time.perf_counter()
        self.reset_epoch(0, labels_in_order)

    def reset_epoch(self, step: int, labels_in_order: np.ndarray | None = None) -> None:
        """A new epoch from `step`. `labels_in_order`: the epoch's training labels in the order
        its steps take them (a CPU classifier's), so the outputs kept for the running accuracy
        are compared with a slice of them, not with a batch of labels kept each step."""
        self._labels_in_order = labels_in_order
        self._tallied = 0
        """Outputs compared so far this epoch: where the next ones' labels start."""
        self._losses: list[torch.Tensor | float] = []
        self._sizes: list[int] = []
        self._lrs: list[float] = []
        self._momenta: list[float] = []
        """Each pending step's batch size, η and momentum (plain lists: numpy reads them fastest)."""
        self._penalties: list[tuple[int, torch.Tensor | float]] = []
        """(pending index, penalty) of the pending steps that had penalty terms."""
        self._outs: list[torch.Tensor] = []
        self._ys: list[torch.Tensor] = []
        self.first_step = step
        self.loss_sum = 0.0
        self.data_sum = 0.0
        """The epoch's summed losses without their penalty terms (equal to loss_sum where none)."""
        self.penalized = False
        """Whether a step of this epoch had penalty terms."""
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
        pending = self._losses
        if not pending:
            self.first_step = step
        if penalty is not None:
            self._penalties.append((len(pending), penalty))
        pending.append(loss)
        self._sizes.append(n)
        self._lrs.append(lr)
        self._momenta.append(momentum)
        if out is not None and self.is_classifier:
            self._outs.append(out)
            if self._labels_in_order is None:
                self._ys.append(y)
        return len(pending) >= EMIT_MAX_STEPS or time.perf_counter() - self.last_flush >= EMIT_SECONDS

    def flush(self, epoch: int, lr: float, epoch_end: bool) -> Flushed:
        """Read the pending losses back (one transfer on a GPU), add them to the epoch's sums and
        make their LossEvent; stop at the first non-finite step."""
        self.last_flush = time.perf_counter()
        if not self._losses:
            return Flushed(None)
        raw, k = self._losses, len(self._losses)
        if isinstance(raw[0], torch.Tensor):
            with torch.no_grad():   # (kept as the steps made them, not detached)
                values = torch.stack(raw).double().cpu().numpy()
        else:
            values = np.array(raw, dtype=np.float64)
        sizes = np.array(self._sizes, dtype=np.float64)
        lrs, momenta = np.array(self._lrs, dtype=np.float64), np.array(self._momenta, dtype=np.float64)
        total = float(values @ sizes)
        penalties = None
        if self._penalties:
            penalties = np.zeros(k)
            at = [i for i, _ in self._penalties]
            terms = [p for _, p in self._penalties]
            if all(isinstance(p, torch.Tensor) for p in terms):  # one transfer for all of them
                penalties[at] = torch.stack(terms).double().cpu().numpy()
            else:
                penalties[at] = [float(p) for p in terms]
        steps = np.arange(self.first_step, self.first_step + k, dtype=np.int64)
        n_seen = sum(self._sizes)
        self._losses, self._sizes, self._lrs, self._momenta, self._penalties = [], [], [], [], []
        self.first_step += k
        if len(self._outs) >= ACCURACY_EVERY or epoch_end:
            self.tally_accuracy()
        self.loss_sum += total
        self.seen += n_seen
        data = None if penalties is None else values - penalties   # the task loss alone
        self.data_sum += total if data is None else float(data @ sizes)
        self.penalized = self.penalized or data is not None
        if not math.isfinite(total):
            k = int(np.argmax(~np.isfinite(values)))
            return Flushed(LossEvent(steps[:k], values[:k], epoch, lr, lrs[:k], momenta[:k],
                                     None if penalties is None else penalties[:k], None if data is None else data[:k]),
                           int(steps[k]))
        return Flushed(LossEvent(steps, values, epoch, lr, lrs, momenta, penalties, data))

    @torch.no_grad()   # the outputs are kept as their steps made them, not detached
    def tally_accuracy(self) -> None:
        """Count correct predictions of the kept training outputs, in one batched comparison (in
        numpy on the CPU: three torch ops fewer at each epoch's end, where caches are cold)."""
        if not self._outs:
            return
        outs = torch.cat(self._outs)
        if isinstance(self.correct, int):
            pred = host_classes(outs, self.kind)
            at = self._tallied
            labels = torch.cat(self._ys).numpy() if self._labels_in_order is None else \
                self._labels_in_order[at:at + len(pred)]
            self._tallied = at + len(pred)
            self.correct += int(np.count_nonzero(pred == labels))
        else:
            self.correct.add_((losses.predicted_classes(outs, self.kind) == torch.cat(self._ys)).sum())
        self._outs, self._ys = [], []

    def epoch_loss(self) -> float:
        return self.loss_sum / max(1, self.seen)

    def epoch_data_loss(self) -> float | None:
        """The epoch's loss without its penalty terms; None where no step had any."""
        return self.data_sum / max(1, self.seen) if self.penalized else None

    def epoch_accuracy(self) -> float | None:
        """The running training accuracy (one read-back: call it at the epoch's end)."""
        return float(self.correct) / max(1, self.seen) if self.is_classifier else None
