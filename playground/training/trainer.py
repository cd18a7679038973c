"""The Trainer: plain Python that trains a preset and reports what happens inside.

The CLI, the tests, the benchmarks and the GUI's worker all drive this one class. It owns the
model while it trains and talks only through events (numpy, never tensors). Control is
cooperative: `pause`, `resume`, `stop`, `request_step` and `set_setting` only set flags or
queue values in its `control.RunControl` (the one place they live), which the training loop reads
at the start of each step; a live setting, once applied, is announced by a `SettingAppliedEvent`.

What it leans on, one module each: `fit` (does the network fit the data and loss?),
`device_choice` (where `auto` trains), `seeds` (init, data order, noise), `step` (augmentation,
corruption, penalty terms, evaluation, early stopping: the code train.py copies), `tally` (step
losses held on the device until the emit interval), and its helpers `visual_probes`, `inside`
and `perceptron`, which read a narrow `context.TrainingContext` and return events to emit.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Collection, Iterator

import numpy as np
import torch

from playground.training import losses

from playground.training import probes
from playground.training import step as one_step
from playground.network.build import GraphModel, build_model, check_buildable
from playground.data import Dataset, make_dataset
from playground.training.events import (
    EpochEvent, Event, FinishedEvent, ProbeEvent, ProblemEvent, SettingAppliedEvent)
from playground.training import device_choice
from playground.training.device_choice import DeviceChoice
from playground.core.heavy_imports import load_torch_machinery
from playground.network.fit import check_fit, resolve_device
from playground.training.optim import apply_hyperparameters, current_momentum, make_optimizer, scheduled_lr
from playground.params import Problem, ProblemList
from playground.core.seeds import Seeds, weights_hash
from playground.network.spec import HOT_SETTINGS, TRAINING_PARAMS, Preset, TrainSpec
from playground.training.control import RunControl
from playground.training.batches import epoch_batches
from playground.training.epoch_history import EpochHistory
from playground.training.tally import LossTally, host_classes
from playground.training.inside import INSIDE_VIEWS, InsideProbes
from playground.training.text_samples import TEXT_VIEW, TextSampleProbe, can_write
from playground.training.perceptron import PerceptronRule
from playground.training.semi_supervised import UnlabelledPool, semi_supervised_problems
from playground.training.views import VIEWS, classifies
from playground.training.visual_probes import VisualProbes, confusion_counts
from playground.training.warm_layers import WarmLayers, WeightsSource, fetch_warm_weights

EVAL_CHUNK = one_step.EVAL_CHUNK
OVER = frozenset(("finished", "stopped", "problem"))
"""The states after which a Trainer takes no more steps."""
PROBE_BATCH = 128
INSIDE_SHARE = 0.02
"""A share of the training time for the look-inside probes that keeps their panels live and
leaves room for the window's own drawing and the run record within the 10% the app may cost
training: what the app asks for. (At 0.04 they cost digits_mlp 5% of its steps with every panel
shown, at 0.1 9%.)"""
INSIDE_INTERVAL_S = 1.0
"""... and, with a share set, they run at most once a second: a small model's take a few ms
(digits_mlp's ~6 ms on one 2 GHz core), so the share alone would run them three or four times a
second, and drawing what they send costs the window's thread as much again, while its panels
change little in between: with every panel shown, digits_mlp kept 91% of its steps under the
share alone and 94% with this interval (`benchmarks/gui_responsiveness.py`). Where training
pauses or ends, the app has them run once more (`look_inside`), so their panels show the
network as it stopped."""
DEFAULT_VIEWS = frozenset(VIEWS) - INSIDE_VIEWS - {TEXT_VIEW}
"""The views a Trainer feeds unless told otherwise: all but the look-inside ones, which cost most
of a probe step, and the text a language model writes (a few hundred forward passes an epoch):
those are asked for by whoever shows them (the app's panels, a test)."""


class Trainer:
    """Trains one preset. Construct it (builds data, model and optimizer; raises ProblemList for
    anything invalid), then call `run()` or `step()`; events go to `on_event`.

    `views` names the views (`playground.training.views.VIEWS`) whose events the consumer wants; the
    look-inside probes (`inside.INSIDE_VIEWS`) run only for those named. None: DEFAULT_VIEWS.
    `wanted_views` can be set again between steps (e.g. when a panel is shown)."""

    def __init__(self, preset: Preset, *, device: str | None = None, dataset: Dataset | None = None,
                 on_event: Callable[[Event], None] | None = None, seeds: Seeds | None = None,
                 views: Collection[str] | None = None, control: RunControl | None = None,
                 initial_weights: WeightsSource | None = None) -> None:
        load_torch_machinery()   # (once per process; waits for a load another thread began)
        self.control = control or RunControl()
        """Pause, single steps, stop and live settings, asked for from any thread (one place)."""
        self.wanted_views = DEFAULT_VIEWS if views is None else frozenset(views)
        self.preset = preset.copy()
        self.ts: TrainSpec = self.preset.training
        self.on_event = on_event or (lambda e: None)
        self.seeds = seeds or Seeds.from_seed(self.ts.seed)
        """Initialization, data order and noise; `Seeds.from_seed(training.seed)` unless given."""
        check_buildable(self.preset.model)
        requested = device if device is not None else self.ts.device
        self.device = resolve_device(requested)
        try:
            self.dataset = dataset or make_dataset(self.preset.data.name, self.preset.data.params)
        except ValueError as e:
            raise ProblemList([Problem("data", str(e))], "cannot make the data set") from None
        warm_weights = fetch_warm_weights(self.preset.model, self.ts, initial_weights)   # before the seeding below
        torch.manual_seed(self.seeds.noise)  # dropout and sampling draw from torch's global RNG
        self.model: GraphModel = build_model(self.preset.model, seed=self.seeds.init)
        problems = check_fit(self.preset, self.dataset, self.model)
        if problems:
            raise ProblemList(problems, "the network does not fit this data and loss")
        self.warm = WarmLayers.of(self.model, self.ts, warm_weights)
        """The layers that start from a source's weights (training.warm_start), given as
        `initial_weights` by whoever fetched them; frozen for the first freeze_epochs epochs."""
        self.node_types = {n.id: n.type for n in self.preset.model.nodes}
        self._layer_types = frozenset(self.node_types.values())
        self.kind = losses.output_kind(self.node_types[self.model.output_id])
        self.device_choice = self._choose_device(requested)
        """Where training runs and why (`auto` times the model on the GPU and the CPU): the CLI's
        device line and the app's status show `device_choice.line()`."""
        self.device = self.device_choice.device
        if self.device.type == "cpu":
            # Cheap on the CPU, where almost every kernel is deterministic anyway: same seeds, same bits.
            torch.use_deterministic_algorithms(True, warn_only=True)
        self.model.to(self.device)
        self.is_classifier = classifies(self.dataset.n_classes, self.ts.target)
        self._tensors()
        semi = semi_supervised_problems(self.ts, self.dataset, self.is_classifier)
        if semi:
            raise ProblemList(semi, "the semi-supervised settings do not fit this data")
        self.unlabelled = UnlabelledPool.of(self.dataset, self.device, self.seeds.data)
        """The training inputs without labels (data labels_per_class), for the semi-supervised terms."""
        self.pseudo_labels = 0
        """How many unlabelled points self-training has labelled so far (they joined x_train)."""
        self.optimizer = make_optimizer(self.model.parameters(), self.ts)
        self._params = _optimized(self.optimizer)
        self._shuffle = self.seeds.data_generator()
        self._noise = self.seeds.noise_generator(self.device)
        self._set_mode = probes.mode_switch(self.model)
        self.visual = VisualProbes(self)
        self.inside = InsideProbes(self)
        self.text = TextSampleProbe(self) if can_write(
            self.dataset.name, self.dataset.input_shape, self.dataset.n_classes, self.ts.target,
            self.model.shapes.get(self.model.output_id, ())) else None
        """A character-level language model writes text at epoch ends (the text_samples view)."""
        self.perceptron = PerceptronRule(self) if self.ts.mode == "perceptron" else None

        self.step_count = 0
        self.epoch = 0
        self._freeze_warm_layers()
        self.state = "ready"
        self.history = EpochHistory()
        """Every epoch's EpochEvent, oldest first, kept as columns (66 bytes an epoch, not ~340)."""
        self.last_problem: ProblemEvent | None = None
        self._perm = self._new_permutation()
        self._cursor = 0
        self._read_each_loss = self.device.type == "cpu"
        """On the CPU reading a loss back costs nothing, so every step's is checked at once; on a
        GPU they stay on the device until the emit interval (a read-back is a sync)."""
        self.tally = LossTally(self.device, self.kind, self.is_classifier, self._labels_in_order())
        self._augments = any(self.preset.data.params.get(k) for k in ("augment_shift", "augment_flip", "augment_noise"))
        self._lr_applied: float | None = None
        self._momentum = current_momentum(self.ts)
        self._stopper = one_step.EarlyStopping(self.ts.early_stopping)
        self._started = time.perf_counter()
        self._settings = self.control.settings   # the control's own dict: read each step without a lock
        self._stop = self.control.stopping
        self._settings_changed = False
        self._plain_loss = self._no_penalties()
        self._plain_step = self._is_plain_step()
        self._step: Callable[[], bool] = self._train_step
        """The step `_advance` takes: `_train_step`, which applies the hyper-parameters, until
        they are applied and `_fast_step` fits (`_step_for_settings`)."""
        self._task_loss = losses.task_loss_fn(self.ts.loss, self.kind)
        self._input_values = math.prod(self.dataset.input_shape)
        self._initial_hash: str | None = None
        self.inside_share: float | None = None
        """At most this share of the time goes to the look-inside probes: after they took c
        seconds they are skipped at probe steps until c / share seconds have passed, and at
        least INSIDE_INTERVAL_S since they last ran (the app sets INSIDE_SHARE, so a small model
        is not slowed by ~10 ms of histograms and PCA every probe step). None: at every probe
        step, as tests and scripts expect."""
        self._inside_debt = 0.0
        """Seconds of look-inside work not yet paid back by share × the time since. Time pays
        the debt off but never banks credit: a long pause must not buy a burst of look-inside
        probes at every probe step after it."""
        self._inside_clock = time.perf_counter()
        self._inside_last = -math.inf
        """When the look-inside probes last ran (with a share set, at most every INSIDE_INTERVAL_S)."""
        self._inside_step: int | None = None
        self._inside_views: frozenset[str] = frozenset()
        """The step whose network they last showed, and for which views."""

    @property
    def wanted_views(self) -> frozenset[str]:
        """The views whose events this Trainer computes (one frozenset, replaced whole: safe to
        set from another thread; read at the next probe step)."""
        return self._wanted_views

    @wanted_views.setter
    def wanted_views(self, views: Collection[str]) -> None:
        unknown = sorted(set(views) - set(VIEWS))
        if unknown:
            raise ValueError(f"unknown view(s) {', '.join(unknown)}; the views are {', '.join(VIEWS)}")
        self._wanted_views = frozenset(views)

    def initial_weights_hash(self) -> str:
        """sha256 of the weights training started (or will start) from: equal for equal `seeds.init`
        and network, whatever the other settings."""
        if self._initial_hash is None:
            self._initial_hash = weights_hash(self.model.state_dict())
        return self._initial_hash

    def _choose_device(self, requested: str) -> DeviceChoice:
        if requested not in ("", "auto"):
            return device_choice.explicit(self.device, requested)
        if self.device.type == "cpu":
            return device_choice.only_cpu(requested)
        if self.ts.mode == "perceptron":
            return device_choice.DeviceChoice(torch.device("cpu"), requested, "auto: the perceptron rule visits "
                                              "examples one at a time, which the CPU does faster")
        d, n = self.dataset, min(self.ts.batch_size, len(self.dataset.x_train))
        x = torch.as_tensor(d.x_train[:n])
        y = torch.as_tensor(d.y_train[:n], dtype=torch.int64 if d.n_classes > 0 else torch.float32)
        key = device_choice.probe_key(self.preset.model, self.ts, self.preset.data.name, self.preset.data.params)
        return device_choice.choose_faster(self.model, self.ts, self.kind, x, y, self.device, requested, key)

    # ------------------------------------------------------------------ data on the device
    def _tensors(self) -> None:
        d, dev = self.dataset, self.device
        ydt = torch.int64 if d.n_classes > 0 else torch.float32
        self.x_train = torch.as_tensor(d.x_train, device=dev)
        self.y_train = torch.as_tensor(d.y_train, device=dev, dtype=ydt)
        self.x_val = torch.as_tensor(d.x_val, device=dev)
        self.y_val = torch.as_tensor(d.y_val, device=dev, dtype=ydt)
        self.x_test = torch.as_tensor(d.x_test, device=dev)
        self.y_test = torch.as_tensor(d.y_test, device=dev, dtype=ydt)
        probe_src = self.x_val if len(self.x_val) else self.x_train
        self.x_probe = probe_src[:PROBE_BATCH]
        self.n_train = len(self.x_train)
        self._labels = {split: np.asarray(getattr(d, f"y_{split}"), dtype=np.int64)
                        for split in ("train", "val", "test")} if d.n_classes > 0 else {}
        """Each split's class labels on the host, for counting confusion matrices there."""

    @property
    def steps_per_epoch(self) -> int:
        return max(1, -(-self.n_train // self.ts.batch_size))

    @property
    def total_steps(self) -> int:
        return self.ts.epochs * self.steps_per_epoch

    def _labels_in_order(self) -> np.ndarray | None:
        """A CPU classifier's training labels in this epoch's order, for the running accuracy
        (the tally then keeps no batch of labels a step); None elsewhere."""
        if self.device.type != "cpu" or not self.is_classifier or "train" not in self._labels:
            return None
        return self._labels["train"][self._perm.numpy()]

    def _new_permutation(self) -> torch.Tensor:
        """A fresh order of the training examples, split into the epoch's batches."""
        perm = torch.randperm(self.n_train, generator=self._shuffle).to(self.device)
        self._batches: Iterator[tuple[torch.Tensor, torch.Tensor]] = epoch_batches(
            self.x_train, self.y_train, perm, self.ts.batch_size)
        return perm

    # ------------------------------------------------------------------ control (thread-safe)
    def pause(self) -> None:
        self.control.pause()
        if self.state == "running":
            self.state = "paused"

    def resume(self) -> None:
        if self.state == "paused":
            self.state = "running"
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    def request_step(self) -> None:
        """Pause, and perform one more step (for looking at each update)."""
        self.control.request_step()

    @staticmethod
    def check_setting(name: str, value: Any) -> None:
        """Raise ValueError, in words for a person, unless `name` may change while training runs
        and `value` is in its range: the one judge of a live setting."""
        if name not in HOT_SETTINGS:
            raise ValueError(f"{name} cannot change during a run, running or paused (it needs a rebuild): it "
                             "applies when training starts again (Stop, then Start)")
        param = next(p for p in TRAINING_PARAMS if p.name == name)
        problem = param.check(value)
        if problem:
            raise ValueError(f"{name} {problem}")

    def set_setting(self, name: str, value: Any) -> None:
        """Change a hot setting (learning rate, penalties, batch size...); applied before the next
        step, which a `SettingAppliedEvent` names. Raises ValueError for a refused one."""
        self.check_setting(name, value)
        self.control.queue_setting(name, value)

    def _apply_settings(self) -> None:
        pending = self.control.take_settings()
        resplit = pending.get("batch_size", self.ts.batch_size) != self.ts.batch_size
        changes = [SettingAppliedEvent(self.step_count, name, value, getattr(self.ts, name))
                   for name, value in pending.items() if getattr(self.ts, name) != value]
        for name, value in pending.items():
            setattr(self.ts, name, value)
        for change in changes:
            self._emit(change)
        if pending:
            self._settings_changed = True
            self._step = self._train_step   # it applies them, then chooses again
            self._plain_loss = self._no_penalties()
            self._plain_step = self._is_plain_step()
            self._momentum = current_momentum(self.ts, self.epoch)
        if resplit:  # the rest of the epoch in batches of the new size
            self._batches = epoch_batches(self.x_train, self.y_train, self._perm[self._cursor:], self.ts.batch_size)

    def _is_plain_step(self) -> bool:
        """Whether a step is the loop a person writes by hand (forward, task loss, backward,
        update): no augmentation or corruption, no penalty terms, no clipping or max-norm. Most
        presets' steps are; they skip the checks for the rest (a few µs a step in Python)."""
        ts = self.ts
        return (self._no_penalties() and not self._augments and ts.target != "input"
                and ts.grad_clip <= 0 and ts.max_norm <= 0)

    def _no_penalties(self) -> bool:
        """Whether the training loss is the task loss alone: `losses.penalty_names` owns which
        settings add a term (a term whose weight is 0 adds none), so the Loss panel's legend and
        the recorded penalty series agree."""
        return not losses.penalty_names(self.ts, self._layer_types)

    @property
    def finished(self) -> bool:
        return self.state in OVER

    # ------------------------------------------------------------------ the loop
    def run(self, max_steps: int | None = None) -> FinishedEvent:
        """Train until the epochs are done, `stop()` is called, or a problem; honours pause."""
        if self.state == "ready":
            self.initial_weights_hash()  # what training starts from, before the first update
        control = self.control
        self.state = "paused" if control.paused else "running"
        done = 0
        limit = math.inf if max_steps is None else max_steps
        stop, running, advance = self._stop, control.go, self._advance  # looked up once
        while self.state not in OVER and done < limit:
            if control.undisturbed and self.state == "running":
                # nothing asked of the Trainer since the last step: straight on to the next
                if not advance():
                    break
                done += 1
                continue
            if stop.is_set():
                return self._finish("stopped", "stopped by the user")
            if not running.is_set():
                self.state = "paused"
                running.wait(0.1)
                continue
            single = control.take_step()
            if control.paused and not single:   # woken by a request that is its driver's (a reset)
                self.state = "paused"
                control.wait(0.1)
                continue
            if not single:
                self.state = "running"
            if not self.step():
                break
            done += 1
            if single:
                self.state = "paused"
        return self._finished_event or FinishedEvent("paused", self.step_count, self.epoch)

    _finished_event: FinishedEvent | None = None

    def step(self) -> bool:
        """One batch: forward, loss, backward, update; events; False once training is over."""
        state = self.state
        if state in OVER:
            return False
        if state == "ready":
            self.state = "running"
            self.initial_weights_hash()
        if self._settings:  # the common case, read without the lock: nothing to apply
            self._apply_settings()
        if self._stop.is_set():
            self._finish("stopped", "stopped by the user")
            return False
        return self._advance()

    def _advance(self) -> bool:
        """The step itself, control already seen to; ends the epoch after its last batch."""
        if self.epoch >= self.ts.epochs:
            self._finish("finished", f"trained {self.epoch} epochs")
            return False
        try:
            ok = self._step()
        except torch.OutOfMemoryError:
            self._problem("error", "", "out of memory on the device",
                          "use a smaller batch size or a smaller network, or train on the CPU")
            return False
        except RuntimeError as e:
            self._problem("error", "", f"training failed: {str(e).splitlines()[0][:300]}", "")
            return False
        if not ok:
            return False
        if self._cursor >= self.n_train:
            self._end_epoch()
        return self.state not in OVER

    def _train_step(self) -> bool:
        ts = self.ts
        xb, yb = next(self._batches)
        n = yb.shape[0]   # len() of a tensor goes through Python
        self._cursor += n
        lr = ts.lr if ts.schedule == "constant" else \
            scheduled_lr(ts, self.step_count, self.steps_per_epoch, self.total_steps)
        if self.perceptron is not None:
            probing = self.step_count % ts.probe_every == 0
            loss = self.perceptron.update(xb, yb)
            self._record(loss, n, lr, None, yb, None)
            if probing:
                self._probe({})  # no optimizer step to compare against: activations and the boundary
            return not self.finished
        if ts.momentum_schedule != "constant":   # ρ moves once an epoch
            rho = current_momentum(ts, self.epoch)
            if rho != self._momentum:
                self._momentum, self._settings_changed = rho, True
        if lr != self._lr_applied or self._settings_changed:
            apply_hyperparameters(self.optimizer, ts, lr, self.epoch)
            self._lr_applied, self._settings_changed = lr, False
            self._step = self._step_for_settings()
        probing = self.step_count % ts.probe_every == 0
        before = probes.snapshot(self.model) if probing else None

        plain = self._plain_step
        if plain:  # the common case: the batch as it is, its labels as the target
            xin, target = xb, yb
        else:
            xin = one_step.augment(xb, self.preset.data.params, self._noise) if self._augments else xb
            target = xin if ts.target == "input" else yb  # an autoencoder restores the clean input
            if ts.target == "input":
                xin = one_step.corrupt(xin, self.preset.data.params, self._noise)
        if self._plain_loss:  # no penalty terms, no bookkeeping
            out = self.model(xin)
            loss = self._task_loss(out, target)
            penalty = None
        else:
            loss, out, penalty = self._loss(xin, target)
        read_back = self._read_each_loss
        if read_back:
            value = loss.item()
            if not math.isfinite(value):
                self._non_finite(self.step_count, xin)
                return False
        for p in self._params:  # optimizer.zero_grad(set_to_none=True) without its ~8 µs of wrapping
            p.grad = None
        loss.backward()
        if not plain and ts.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), ts.grad_clip)
        self.optimizer.step()
        if not plain and ts.max_norm > 0:
            losses.apply_max_norm(self.model, ts.max_norm)
        # The loss and output as they are, not detached (a detach op costs ~5 µs, 0.6% of digits_mlp's
        # step on one core): backward has freed their graph's buffers; the tally combines them without grad.
        self._record(value if read_back else loss, n, lr, penalty, yb, out)
        if probing:
            self._probe(before)
        return self.state not in OVER

    def _step_for_settings(self) -> Callable[[], bool]:
        """`_fast_step` where it takes the same step as `_train_step` until a setting changes: on
        the CPU (each loss read at once), a plain step (`_is_plain_step`), no perceptron rule, a
        constant learning rate and momentum; `_train_step` elsewhere."""
        ts = self.ts
        fits = (self._read_each_loss and self._plain_step and self.perceptron is None
                and ts.schedule == "constant" and ts.momentum_schedule == "constant")
        return self._fast_step if fits else self._train_step

    def _fast_step(self) -> bool:
        """`_train_step` without the checks a plain CPU step with constant settings does not need
        (schedules, the perceptron, augmentation, penalties, clipping): those ~3 µs were ~0.8% of
        digits_mlp's training speed on one core. The same numbers, bit for bit (a test)."""
        xb, yb = next(self._batches)
        n = yb.shape[0]
        self._cursor += n
        step = self.step_count
        probing = step % self.ts.probe_every == 0
        before = probes.snapshot(self.model) if probing else None
        out = self.model(xb)
        loss = self._task_loss(out, yb)
        value = loss.item()
        if not math.isfinite(value):
            self._non_finite(step, xb)
            return False
        for p in self._params:
            p.grad = None
        loss.backward()
        self.optimizer.step()
        self._record(value, n, self._lr_applied, None, yb, out)
        if probing:
            self._probe(before)
        return self.state not in OVER

    def _loss(self, x: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Task loss plus every active penalty term, the network's output, and the (detached)
        penalty part of the loss."""
        ts = self.ts
        need_code = ts.sparsity != "none" or ts.contractive > 0
        if ts.contractive > 0:
            x = x.detach().requires_grad_(True)
        if need_code:
            values = self.model.forward_all(x)
            out, code = values[self.model.output_id], values[ts.code_node]
        else:
            out, code = self.model(x), None
        data_loss = losses.task_loss(ts.loss, out, target, self.kind)
        penalty = one_step.penalty_terms(ts, self.model, x, code, self._input_values)
        if ts.entropy_weight > 0:   # semi-supervised: sure predictions on points without labels
            unlabelled = self.model(self.unlabelled.batch(ts.batch_size))
            penalty = penalty + ts.entropy_weight * losses.entropy_penalty(unlabelled, self.kind)
        return data_loss + penalty, out, penalty.detach()

    def _record(self, loss: torch.Tensor | float, n: int, lr: float, penalty: torch.Tensor | None,
                yb: torch.Tensor, out: torch.Tensor | None) -> None:
        """Keep a step's loss (and output, for accuracy) until the next read-back."""
        due = self.tally.add(self.step_count, loss, n, lr, self._momentum, penalty, out, yb)
        self.step_count += 1
        if due or self._cursor >= self.n_train:
            self._flush_losses(lr)

    def _flush_losses(self, lr: float) -> None:
        """Read the pending step losses back (one transfer on a GPU) and send them as a LossEvent."""
        flushed = self.tally.flush(self.epoch, lr, self._cursor >= self.n_train)
        if flushed.event is not None:
            self._emit(flushed.event)
        if flushed.bad_step is not None:  # a GPU run reads losses back in chunks: name the first bad step
            self._non_finite(flushed.bad_step, None)

    def _probe(self, before: probes.Snapshot) -> None:
        stats = probes.layer_stats(self.model, before)
        # Finite weight and gradient norms mean finite weights and gradients: no extra pass over them.
        if any(v is not None and not math.isfinite(v) for s in stats.values() for v in s):
            self._non_finite(self.step_count - 1, None)
            return
        self._set_mode(False)
        try:
            with torch.no_grad():
                values = self.model.forward_all(self.x_probe)
                self._emit(ProbeEvent(self.step_count, self.epoch,
                                      probes.layer_probes(self.model, self.node_types, values, stats)))
                for event in self.visual.step_views(values):
                    self._emit(event)
                inside = self._wanted_views & INSIDE_VIEWS
                if inside and self._inside_due():
                    began = time.perf_counter()
                    self._emit_inside(values, inside)
                    self._inside_debt += time.perf_counter() - began
        finally:
            self._set_mode(True)

    def look_inside(self, views: Collection[str] | None = None) -> None:
        """Run the look-inside probes for the wanted views (or for `views`) now, whatever their
        share, unless they already show this step's network: the app calls it where training
        pauses (and after a single step, or a panel shown while paused), so their panels show the
        network as it is then, not as it was at the last probe step their share allowed; where a
        run ends it asks for every look-inside view, so a panel first shown after the run (its
        session gone) still shows the trained network."""
        inside = (self._wanted_views if views is None else frozenset(views)) & INSIDE_VIEWS
        if self._inside_step == self.step_count:
            inside -= self._inside_views   # only those not shown yet for this step
        if not inside:
            return
        self._set_mode(False)
        try:
            with torch.no_grad():
                self._emit_inside(self.model.forward_all(self.x_probe), inside)
        finally:
            self._set_mode(True)

    def _emit_inside(self, values: dict[str, torch.Tensor], inside: frozenset[str]) -> None:
        for event in self.inside.events(values, inside):
            self._emit(event)
        if self._inside_step != self.step_count:
            self._inside_step, self._inside_views = self.step_count, frozenset()
        self._inside_views |= inside

    def _inside_due(self) -> bool:
        share = self.inside_share
        if share is None:
            return True
        now = time.perf_counter()
        self._inside_debt = max(0.0, self._inside_debt - share * (now - self._inside_clock))
        self._inside_clock = now
        if self._inside_debt > 0.0 or now - self._inside_last < INSIDE_INTERVAL_S:
            return False
        self._inside_last = now
        return True

    # ------------------------------------------------------------------ epochs
    def _end_epoch(self) -> None:
        self._flush_losses(self.optimizer.param_groups[0]["lr"])
        if self.finished:
            return
        self.epoch += 1
        train_loss = self.tally.epoch_loss()
        train_acc = self.tally.epoch_accuracy()
        if self.perceptron is not None:
            train_acc, perceptron_event = self.perceptron.end_epoch()
            self._emit(perceptron_event)
        val, val_counts = self._evaluate("val") if len(self.x_val) else ({"loss": train_loss, "accuracy": train_acc}, None)
        if not math.isfinite(train_loss):
            self._non_finite(self.step_count - 1, None)
            return
        event = EpochEvent(self.epoch, self.step_count, train_loss, val["loss"], train_acc,
                           val.get("accuracy"), float(self.optimizer.param_groups[0]["lr"]),
                           time.perf_counter() - self._started, self.tally.epoch_data_loss())
        self.history.append(event)
        self._emit(event)
        for view in self.visual.epoch_views(val_counts):
            self._emit(view)
        if self.text is not None and TEXT_VIEW in self._wanted_views:
            self._set_mode(False)
            try:
                self._emit(self.text.event())
            finally:
                self._set_mode(True)
        self._self_training_round()
        self._freeze_warm_layers()
        self._perm, self._cursor = self._new_permutation(), 0
        self.tally.reset_epoch(self.step_count, self._labels_in_order())
        if self.perceptron is not None and self.perceptron.converged:
            self._finish("finished", self.perceptron.converged_message())
            return
        if self.ts.early_stopping > 0 and self._early_stop(val["loss"]):
            return
        if self.epoch >= self.ts.epochs:
            self._finish("finished", f"trained {self.epoch} epochs")

    def _self_training_round(self) -> None:
        """Self-training, every self_training_every epochs: the unlabelled points predicted with at
        least the threshold's probability join the training split with that class as their label
        (the training loss and accuracy then count them too)."""
        ts = self.ts
        if ts.self_training <= 0 or self.epoch % ts.self_training_every or not len(self.unlabelled):
            return
        x, labels = self.unlabelled.take_confident(self.predict, self.kind, ts.self_training)
        if len(x):
            self.x_train = torch.cat([self.x_train, x])
            self.y_train = torch.cat([self.y_train, labels])
            self._labels["train"] = np.concatenate([self._labels["train"], labels.cpu().numpy()])
            self.n_train = len(self.x_train)
            self.pseudo_labels += len(x)

    def _freeze_warm_layers(self) -> None:
        """Warm-started layers stay frozen for the first freeze_epochs epochs, then fine-tune."""
        if self.warm is not None and self.ts.freeze_epochs > 0:
            self.warm.freeze(self.epoch < self.ts.freeze_epochs)

    def _early_stop(self, val_loss: float) -> bool:
        self._stopper.patience = self.ts.early_stopping  # a hot setting
        if not self._stopper.update(val_loss, self.model, self.epoch):
            return False
        stopper = self._stopper
        self._finish("early_stopping", f"validation loss stopped improving; restored the weights of "
                                       f"epoch {stopper.best_epoch} (val loss {stopper.best_loss:.4g})")
        return True

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs in eval mode (no dropout, running BatchNorm statistics), in chunks."""
        was = self.model.training
        self._set_mode(False)   # model.eval() as flags: its walk through the modules costs more
        try:
            if len(x) <= EVAL_CHUNK:   # one chunk (most validation splits): no copy through torch.cat
                return self.model(x)
            return torch.cat([self.model(x[i:i + EVAL_CHUNK]) for i in range(0, len(x), EVAL_CHUNK)])
        finally:
            self._set_mode(was)

    def evaluate(self, split: str = "val") -> dict[str, float]:
        """Loss (task loss only) and, for classifiers, accuracy on a split."""
        return self._evaluate(split)[0]

    def _evaluate(self, split: str) -> tuple[dict[str, float], np.ndarray | None]:
        """Metrics on a split, and a classifier's confusion counts (None for other tasks)."""
        x, y = {"train": (self.x_train, self.y_train), "val": (self.x_val, self.y_val),
                "test": (self.x_test, self.y_test)}[split]
        if len(x) == 0:
            return {"loss": float("nan")}, None
        if self.perceptron is not None:
            return self.perceptron.evaluate(x, y), None
        out = self.predict(x)
        if not self.is_classifier:
            return one_step.evaluate_outputs(self.ts, out, x, y, self.kind, False, self.dataset.n_classes), None
        matrix = confusion_counts(self._labels[split], host_classes(out, self.kind), self.dataset.n_classes)
        return one_step.evaluate_outputs(self.ts, out, x, y, self.kind, True, self.dataset.n_classes,
                                         int(matrix.trace())), matrix

    # ------------------------------------------------------------------ problems and the end
    def _non_finite(self, step: int, x: torch.Tensor | None) -> None:
        values = None
        if x is not None:
            with torch.no_grad():
                values = self.model.forward_all(x)
        node = probes.first_non_finite(self.model, values)
        where = f" First non-finite values in {self.node_types[node]} '{node}'." if node else ""
        if not node and values is not None:
            node = probes.first_exploded(self.model, values) or self.model.output_id
            where = f" Values exploded first in {self.node_types[node]} '{node}' (beyond 1e8)."
        lr = self.optimizer.param_groups[0]["lr"]
        advice = (f"The learning rate {lr:g} is probably too high for {self.ts.optimizer}: try 10x smaller. "
                  "If gradients explode (deep or recurrent nets), turn on gradient clipping (e.g. 1.0). "
                  "Check for log(0) or division by zero: a Softmax/Sigmoid output with a loss that takes its log.")
        self._problem("non_finite", node, f"The loss became NaN or infinite at step {step} "
                                          f"(epoch {self.epoch + 1}).{where}", advice, step)

    def _problem(self, kind: str, node: str, message: str, advice: str, step: int | None = None) -> None:
        event = ProblemEvent(kind, self.step_count if step is None else step, self.epoch, node, message, advice)
        self.last_problem = event
        self._emit(event)
        self._finish("problem", message)

    def _finish(self, reason: str, message: str) -> FinishedEvent:
        if self._finished_event is not None:
            return self._finished_event
        self.state = {"problem": "problem", "stopped": "stopped"}.get(reason, "finished")
        metrics = {}
        if self.history:
            last = self.history[-1]
            metrics = {"train_loss": last.train_loss, "val_loss": last.val_loss}
            if last.train_data_loss is not None:   # (the training loss without its penalty: what val_loss measures)
                metrics = {"train_loss": last.train_loss, "train_data_loss": last.train_data_loss,
                           "val_loss": last.val_loss}
        event = FinishedEvent(reason, self.step_count, self.epoch, message, metrics, self.history)
        self._finished_event = event
        self._emit(event)
        return event

    def _emit(self, event: Event) -> None:
        self.on_event(event)

    def flush(self) -> None:
        """Send the step losses still waiting for a read-back now (after a single step, or
        before a pause), instead of with the next batch of steps."""
        self._flush_losses(self.optimizer.param_groups[0]["lr"])

    # ------------------------------------------------------------------ weights
    def load_weights(self, state: dict[str, torch.Tensor]) -> None:
        """Start from given weights (File ▸ Import weights) instead of the seed's. Call it between
        steps, from the thread that trains."""
        try:
            self.model.load_state_dict({k: v.to(self.device) for k, v in state.items()})
            if self.step_count == 0:
                self._initial_hash = None  # training starts from these weights now
            self._inside_step = None   # the look-inside panels show other weights now
        except RuntimeError as e:
            # PyTorch's first line names only the class; the next ones name the tensors.
            lines = [ln.strip() for ln in str(e).strip().splitlines()[1:] if ln.strip()]
            raise ProblemList([Problem("weights", "the weights do not fit this network: "
                                                  + ("; ".join(lines[:2])[:300] or "mismatch"))],
                              "cannot load weights") from None

    def state_dict_copy(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    def reset_weights(self) -> None:
        """Start over: fresh weights from the seed, fresh optimizer, epoch 0."""
        if self.state == "running":
            raise RuntimeError("pause or stop training before resetting the weights")
        fresh = build_model(self.preset.model, seed=self.seeds.init).to(self.device)
        self.model.load_state_dict(fresh.state_dict())
        if self.warm is not None:   # a fresh start of a fine-tuning starts from the source again
            self.warm.load(self.model)
        self.optimizer = make_optimizer(self.model.parameters(), self.ts)
        self._params = _optimized(self.optimizer)
        self._lr_applied, self._step = None, self._train_step
        if self.perceptron is not None:
            self.perceptron.reset()
        self.step_count = self.epoch = self._cursor = 0
        self._freeze_warm_layers()
        self._shuffle.manual_seed(self.seeds.data)
        if self.pseudo_labels:   # self-training's labels go with the weights that made them
            self._tensors()
            self.unlabelled = UnlabelledPool.of(self.dataset, self.device, self.seeds.data)
            self.pseudo_labels = 0
        self._perm = self._new_permutation()
        self.history.clear()
        self._stopper = one_step.EarlyStopping(self.ts.early_stopping)
        self._finished_event, self.last_problem = None, None
        self._initial_hash = self._inside_step = None
        self.tally.reset_epoch(0, self._labels_in_order())
        self.control.restart()
        self.state = "ready"


def _optimized(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    """The tensors an optimizer updates, whose gradients each step clears."""
    return [p for group in optimizer.param_groups for p in group["params"]]
