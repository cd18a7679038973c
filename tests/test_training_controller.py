"""The training thread, driven as the window drives it: start, watch real events reach the
panels, pause, step, stop, reset, close while training, and a loss that blows up."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QGridLayout, QMainWindow, QWidget

from playground.training.events import LossEvent, ProbeEvent
from playground.network.preset import resolve_preset
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from widgets.training.controller import TrainingController, running_threads
from widgets.training.worker import EMIT_INTERVAL, Note, coalesce

TIMEOUT = 30_000


@pytest.fixture(autouse=True)
def no_leaked_thread():
    """Fail a test that leaves a training thread running (it would go on training, and
    recording, while later tests run)."""
    yield
    leaked = running_threads()
    for t in leaked:   # join them so that the next tests run on a clean slate
        t.join(10)
    assert not leaked, f"{len(leaked)} training thread(s) left running"


def show_panels(window: QMainWindow, c: TrainingController) -> None:
    """Lay the panels out as the main window's docks would, and show them (hidden panels wait)."""
    grid_host = QWidget()
    grid = QGridLayout(grid_host)
    for k, (_title, panel) in enumerate(c.panels()):
        grid.addWidget(panel, k // 3, k % 3)
    window.setCentralWidget(grid_host)
    window.resize(1200, 900)
    window.show()


@pytest.fixture
def controller(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    c = TrainingController(window)
    show_panels(window, c)
    yield c
    c.shutdown()


def xor_preset(epochs: int = 4, **training) -> Preset:
    p = resolve_preset("xor_mlp")
    p.training.epochs = epochs
    p.training.probe_every = 4
    for k, v in training.items():
        setattr(p.training, k, v)
    return p


def long_xor() -> Preset:
    """Long enough to still be running when the test acts on it."""
    return xor_preset(epochs=100_000)


def small_digits(name: str, epochs: int = 3) -> Preset:
    p = resolve_preset(name)
    p.data.params["n_samples"] = 300
    p.training.epochs = epochs
    p.training.probe_every = 3
    return p


def points(curve) -> int:
    """How many points a curve holds (before downsampling for the screen)."""
    return 0 if curve.xData is None else len(curve.xData)


def wait_state(qtbot, c: TrainingController, *states: str) -> None:
    qtbot.waitUntil(lambda: c.state in states, timeout=TIMEOUT)


class Recorder:
    """Collects a controller's signals (slots of a plain Python object on the GUI thread:
    the controller's signals are emitted there)."""

    def __init__(self, c: TrainingController) -> None:
        self.states: list[str] = []
        self.progress: list[tuple] = []
        self.problems: list[tuple[str, str]] = []
        self.messages: list[str] = []
        self.weights: list[tuple[dict, Preset, int]] = []
        c.state_changed.connect(self.states.append)
        c.weights_ready.connect(self.on_weights)
        c.progress.connect(self.on_progress)
        c.problem.connect(self.on_problem)
        c.status_message.connect(self.messages.append)

    def on_progress(self, *args) -> None:
        self.progress.append(args)

    def on_weights(self, state: dict, preset: Preset, step: int) -> None:
        self.weights.append((state, preset, step))

    @property
    def state(self) -> dict | None:
        """The latest weights the controller handed out (the document would keep these)."""
        return self.weights[-1][0] if self.weights else None

    def on_problem(self, title: str, message: str) -> None:
        self.problems.append((title, message))


# ---------------------------------------------------------------------------- panels get data

def test_xor_trains_and_every_relevant_panel_draws(qtbot, controller):
    rec = Recorder(controller)
    controller.start(xor_preset())
    assert controller.is_active
    wait_state(qtbot, controller, "finished")
    assert rec.states[0] == "starting" and "running" in rec.states
    assert not controller.is_active and not controller.is_running

    loss = controller.panel("Loss & accuracy")
    assert points(loss.raw_curve) == 4 * 8   # 240 training points, batches of 32: 8 steps per epoch
    assert points(loss.smooth_curve) == 32
    assert points(loss.val_epoch_curve) == 4 and points(loss.val_acc_curve) == 4

    ratio = controller.panel("Update/weight ratio")
    assert set(ratio.layers.curves) == {"hidden", "out"}   # the layers with weights
    assert all(points(c) == 8 for c in ratio.layers.curves.values())   # probes at steps 0, 4, ... 28
    assert set(controller.panel("Gradients").layers.curves) == {"hidden", "out"}

    acts = controller.panel("Activations")
    assert list(acts.heatmaps) == ["hidden", "tanh", "out"]
    for h in acts.heatmaps.values():
        assert h.image.image.shape == (48, 8)      # value bins x probes
    boundary = controller.panel("Decision boundary")
    assert boundary.regions.image.shape == (60, 60)
    assert len(boundary.points.data) == 240
    confusion = controller.panel("Confusion matrix")
    assert confusion.image.image.shape == (2, 2)
    assert sum(int(t.toPlainText()) for t in confusion.texts) == 80   # the validation split
    assert controller.panel("Feature maps").received == 0

    epoch, step, total, rate, left = rec.progress[-1]
    assert (epoch, step, total) == (4, 32, 32)
    state = rec.state   # the end's weights, as numpy arrays, for the document
    assert set(state) >= {"hidden.weight", "out.weight"} and isinstance(state["out.weight"], np.ndarray)
    assert rec.weights[-1][2] == 32 and rec.weights[-1][1].name == "xor_mlp"


def test_cnn_feature_maps_and_filters(qtbot, controller):
    controller.start(small_digits("digits_cnn"))
    fm = controller.feature_maps
    qtbot.waitUntil(lambda: fm.received > 0, timeout=TIMEOUT)
    controller.stop()
    wait_state(qtbot, controller, "stopped", "finished")
    assert fm.layer_box.count() >= 4   # conv1, relu1, pool1, conv2, ...
    fm.layer_box.setCurrentText("conv1")
    assert fm.input_image.image.shape == (8, 8)
    # 16 maps of 8x8 in a 4x4 grid with 1-pixel gaps; 16 filters 3x3 likewise
    assert fm.maps_image.image.shape == (35, 35)
    assert fm.filters_image.image.shape == (15, 15)
    fm.layer_box.setCurrentText("pool2")   # 32 maps of 2x2: 6 columns, 6 rows
    assert fm.maps_image.image.shape == (17, 17)


def test_denoising_autoencoder_reconstructions(qtbot, controller):
    controller.start(small_digits("denoising_autoencoder"))
    rp = controller.panel("Reconstructions")
    qtbot.waitUntil(lambda: rp.received > 0, timeout=TIMEOUT)
    controller.stop()
    wait_state(qtbot, controller, "stopped", "finished")
    # rows: corrupted input, clean, reconstruction; 8 images of 8x8 side by side
    assert rp.row_names == ["corrupted input", "clean", "reconstruction"]
    assert rp.images.image.shape == (3 * 9 - 1, 8 * 9 - 1)
    assert len(rp.scatter.data) == 60   # the validation split's codes
    rp.projection_box.setCurrentIndex(1)   # PCA of the 8-number code
    assert len(rp.scatter.data) == 60
    assert controller.panel("Confusion matrix").received == 0


# ---------------------------------------------------------------------------- control

def test_pause_step_resume_stop(qtbot, controller):
    rec = Recorder(controller)
    controller.start(long_xor())
    wait_state(qtbot, controller, "running")
    qtbot.waitUntil(lambda: rec.progress and rec.progress[-1][1] > 20, timeout=TIMEOUT)
    controller.pause()
    wait_state(qtbot, controller, "paused")
    assert controller.is_active and not controller.is_running
    qtbot.wait(100)
    step = rec.progress[-1][1]
    qtbot.wait(200)
    assert rec.progress[-1][1] == step   # paused means paused
    qtbot.waitUntil(lambda: rec.state is not None, timeout=TIMEOUT)   # a snapshot at the pause

    controller.step(long_xor())
    qtbot.waitUntil(lambda: rec.progress[-1][1] == step + 1, timeout=TIMEOUT)
    controller.step(long_xor())
    qtbot.waitUntil(lambda: rec.progress[-1][1] == step + 2, timeout=TIMEOUT)
    assert controller.state == "paused"

    controller.resume()
    qtbot.waitUntil(lambda: rec.progress[-1][1] > step + 10, timeout=TIMEOUT)
    assert controller.is_running
    controller.stop()
    wait_state(qtbot, controller, "stopped")
    assert not controller.is_active
    assert rec.weights[-1][2] > step + 10   # the end's snapshot
    assert controller.last_finished is not None and controller.last_finished.reason == "stopped"


def test_step_without_a_session_starts_one_paused(qtbot, controller):
    rec = Recorder(controller)
    controller.step(xor_preset())
    wait_state(qtbot, controller, "paused")
    qtbot.waitUntil(lambda: rec.progress and rec.progress[-1][1] == 1, timeout=TIMEOUT)
    loss = controller.panel("Loss & accuracy")
    assert "running" not in rec.states
    # the step's loss is on the curve at once, not with the Trainer's next read-back (its emit interval)
    assert list(loss.steps.view()) == [0] and np.isfinite(loss.losses.view()[0])
    assert "step 0: loss" in loss.hint.text()   # drawn, not only taken in
    for k in (2, 3):
        controller.step(xor_preset())
        qtbot.waitUntil(lambda: rec.progress[-1][1] == k, timeout=TIMEOUT)
        assert list(loss.steps.view()) == list(range(k)) == list(range(controller.current_step()))
    controller.stop()
    wait_state(qtbot, controller, "stopped")
    assert list(loss.steps.view()) == [0, 1, 2]


def test_a_pause_shows_every_step_taken(qtbot, controller):
    controller.start(long_xor())
    wait_state(qtbot, controller, "running")
    loss = controller.panel("Loss & accuracy")
    qtbot.waitUntil(lambda: len(loss.steps) > 30, timeout=TIMEOUT)
    controller.pause()
    wait_state(qtbot, controller, "paused")
    taken = controller.current_step()   # (the Trainer reads losses back 25 at a time)
    assert list(loss.steps.view()) == list(range(taken))
    controller.step(long_xor())
    qtbot.waitUntil(lambda: controller.current_step() == taken + 1 and len(loss.steps) == taken + 1,
                    timeout=TIMEOUT)
    controller.stop()
    wait_state(qtbot, controller, "stopped")
    assert list(loss.steps.view()) == list(range(taken + 1))


def test_a_pause_and_a_single_step_show_the_network_inside_as_it_is(qtbot, controller):
    """The look-inside probes run at most once a second while training; a pause, and each single
    step after it, has them show the network as it is then."""
    controller.start(long_xor())
    wait_state(qtbot, controller, "running")
    weights = controller.panel("Weights")
    qtbot.waitUntil(lambda: weights.last is not None and controller.current_step() > 50, timeout=TIMEOUT)
    controller.pause()
    wait_state(qtbot, controller, "paused")
    taken = controller.current_step()
    qtbot.waitUntil(lambda: weights.last.step == taken, timeout=TIMEOUT)
    controller.step(long_xor())
    qtbot.waitUntil(lambda: weights.last.step == taken + 1, timeout=TIMEOUT)
    controller.stop()
    wait_state(qtbot, controller, "stopped")


def test_a_look_inside_panel_shown_while_paused_fills_at_once(qtbot, controller):
    controller.show_only(["Loss & accuracy"])   # the Inside group hidden: its probes cost nothing
    controller.start(long_xor())
    wait_state(qtbot, controller, "running")
    qtbot.waitUntil(lambda: controller.current_step() > 50, timeout=TIMEOUT)
    controller.pause()
    wait_state(qtbot, controller, "paused")
    weights = controller.panel("Weights")
    qtbot.wait(200)
    assert weights.last is None
    controller.show_only(["Loss & accuracy", "Weights"])
    qtbot.waitUntil(lambda: weights.last is not None, timeout=TIMEOUT)
    assert weights.last.step == controller.current_step()
    controller.stop()
    wait_state(qtbot, controller, "stopped")


def test_look_inside_panels_first_shown_after_a_run_show_the_trained_network(qtbot, controller):
    controller.show_only(["Loss & accuracy"])   # the Inside group hidden all run long
    preset = long_xor()
    preset.training.epochs = 2
    controller.start(preset)
    wait_state(qtbot, controller, "finished")
    weights, hidden = controller.panel("Weights"), controller.panel("Hidden space")
    controller.show_only(["Weights", "Hidden space"])   # the session has ended: nothing computes now
    trained = controller.last_finished.step
    assert trained > 0
    assert weights.last is not None and weights.last.step == trained
    assert hidden.last is not None and hidden.last.step == trained


def test_a_stopped_run_leaves_its_network_for_the_look_inside_panels(qtbot, controller):
    controller.show_only(["Loss & accuracy"])
    controller.start(long_xor())
    qtbot.waitUntil(lambda: controller.current_step() > 20, timeout=TIMEOUT)
    controller.stop()
    wait_state(qtbot, controller, "stopped")
    weights = controller.panel("Weights")
    assert weights.last is not None and weights.last.step == controller.last_finished.step > 20


def test_reset_weights_clears_the_curves_and_starts_over(qtbot, controller):
    rec = Recorder(controller)
    controller.start(long_xor())
    loss = controller.panel("Loss & accuracy")
    qtbot.waitUntil(lambda: len(loss.steps) > 40, timeout=TIMEOUT)
    controller.reset_weights()
    qtbot.waitUntil(lambda: any("reset" in m.lower() for m in rec.messages), timeout=TIMEOUT)
    wait_state(qtbot, controller, "paused")
    assert len(loss.steps) == 0 and controller.panel("Activations").heatmaps == {}
    fresh = rec.state   # the pause after the reset sends the fresh weights
    assert fresh is not None and rec.weights[-1][2] == 0
    controller.resume()
    qtbot.waitUntil(lambda: len(loss.steps) > 0, timeout=TIMEOUT)
    assert loss.steps.view()[0] == 0   # the step count starts again
    controller.stop()
    wait_state(qtbot, controller, "stopped")


def test_hot_settings_apply_and_structural_ones_are_refused(qtbot, controller):
    rec = Recorder(controller)
    controller.start(long_xor())
    wait_state(qtbot, controller, "running")
    controller.set_setting("lr", 0.001)
    controller.set_setting("batch_size", 16)
    qtbot.waitUntil(lambda: any(m.startswith("batch_size") and " from step " in m for m in rec.messages),
                    timeout=TIMEOUT)
    with pytest.raises(ValueError, match="applies when training starts again"):
        controller.set_setting("optimizer", "sgd")
    with pytest.raises(ValueError):
        controller.set_setting("lr", -1.0)
    qtbot.waitUntil(lambda: rec.progress and rec.progress[-1][2] > 0, timeout=TIMEOUT)
    # 240 points in batches of 16: the total follows the new batch size
    qtbot.waitUntil(lambda: rec.progress[-1][2] == 100_000 * 15, timeout=TIMEOUT)
    controller.stop()
    wait_state(qtbot, controller, "stopped")


def test_batches_reach_the_gui_at_most_about_30_times_a_second(qtbot, controller, monkeypatch):
    calls: list[float] = []
    original = type(controller.panel("Loss & accuracy")).ingest

    def counting(panel, events):
        calls.append(time.perf_counter())
        assert QThread.currentThread() is QApplication.instance().thread()   # on the GUI thread
        return original(panel, events)

    monkeypatch.setattr(type(controller.panel("Loss & accuracy")), "ingest", counting)
    controller.start(long_xor())
    wait_state(qtbot, controller, "running")
    qtbot.waitUntil(lambda: len(calls) > 3, timeout=TIMEOUT)
    t0, n0 = time.perf_counter(), len(calls)
    qtbot.wait(1500)
    rate = (len(calls) - n0) / (time.perf_counter() - t0)
    controller.stop()
    wait_state(qtbot, controller, "stopped")
    assert rate <= 1.3 / EMIT_INTERVAL


def test_a_batch_holds_one_loss_event_per_run_between_notes():
    def losses(a: int, b: int) -> LossEvent:
        return LossEvent(np.arange(a, b), np.full(b - a, 0.5), 0, 0.1)

    probe = ProbeEvent(30, 0, [])
    out = coalesce([losses(0, 25), probe, losses(25, 50), Note("state", "paused"), losses(50, 60)])
    assert [type(e) for e in out] == [LossEvent, ProbeEvent, Note, LossEvent]
    assert list(out[0].steps) == list(range(50)) and list(out[3].steps) == list(range(50, 60))


def test_close_while_training_stops_and_joins(qtbot):
    class Window(QMainWindow):
        def __init__(self) -> None:
            super().__init__()
            self.training = TrainingController(self)

        def closeEvent(self, event) -> None:   # what the main window does
            self.training.shutdown()
            super().closeEvent(event)

    w = Window()
    qtbot.addWidget(w)
    show_panels(w, w.training)
    w.training.start(long_xor())
    wait_state(qtbot, w.training, "running")
    qtbot.wait(100)
    t0 = time.perf_counter()
    w.close()
    assert time.perf_counter() - t0 < 5
    assert not running_threads()
    assert w.training.state == "stopped"
    w.training.start(long_xor())   # after shutdown: refused quietly
    assert not running_threads()


def test_shutdown_while_starting_and_twice(qtbot, controller):
    controller.start(small_digits("digits_cnn", epochs=1000))
    controller.shutdown()
    controller.shutdown()
    assert not running_threads()


def test_stop_then_start_again_runs_a_new_session(qtbot, controller):
    controller.start(long_xor())
    wait_state(qtbot, controller, "running")
    controller.stop()
    controller.start(xor_preset(epochs=2))   # queued until the first has stopped
    wait_state(qtbot, controller, "finished")
    loss = controller.panel("Loss & accuracy")
    assert len(loss.epoch_steps) == 2 and loss.steps.view()[0] == 0


# ---------------------------------------------------------------------------- imported weights

@pytest.fixture(scope="module")
def trained_xor(tmp_path_factory):
    """A trained xor_mlp run exported as the engine writes it: (preset, state_dict, its val loss)."""
    from playground.run_records.run_to_end import train_run
    from playground.network.model_file import load_weights
    out = tmp_path_factory.mktemp("trained_xor")
    result = train_run(resolve_preset("xor_mlp"), out, epochs=30)
    preset, state, _meta = load_weights(out / "model.safetensors")
    return preset, state, result.summary["train_loss"]


def first_step_loss(qtbot, c: TrainingController, preset: Preset, weights: dict | None = None) -> float:
    loss = c.panel("Loss & accuracy")
    c.step(preset, weights)
    wait_state(qtbot, c, "paused")
    qtbot.waitUntil(lambda: len(loss.steps) == 1, timeout=TIMEOUT)
    value = float(loss.losses.view()[0])
    c.stop()
    wait_state(qtbot, c, "stopped")
    return value


def test_a_session_starts_from_the_weights_it_is_given(qtbot, controller, trained_xor):
    preset, state, trained_loss = trained_xor
    state = {k: v.numpy() for k, v in state.items()}
    rec = Recorder(controller)
    fresh = first_step_loss(qtbot, controller, preset)
    imported = first_step_loss(qtbot, controller, preset, state)
    assert imported < 3 * trained_loss + 0.02 and imported < fresh / 5
    assert any("imported weights" in m for m in rec.messages)
    again = first_step_loss(qtbot, controller, preset, state)
    assert again == pytest.approx(imported, rel=1e-6)
    assert first_step_loss(qtbot, controller, preset) == pytest.approx(fresh, rel=1e-6)


def test_a_reset_in_a_session_from_imported_weights_goes_back_to_the_seed(qtbot, controller, trained_xor):
    preset, state, _ = trained_xor
    fresh = first_step_loss(qtbot, controller, preset)
    loss = controller.panel("Loss & accuracy")
    controller.step(preset, {k: v.numpy() for k, v in state.items()})
    qtbot.waitUntil(lambda: len(loss.steps) == 1, timeout=TIMEOUT)
    controller.reset_weights()
    qtbot.waitUntil(lambda: len(loss.steps) == 0, timeout=TIMEOUT)
    controller.step(preset)
    qtbot.waitUntil(lambda: len(loss.steps) == 1, timeout=TIMEOUT)
    assert float(loss.losses.view()[0]) == pytest.approx(fresh, rel=1e-6)
    controller.stop()
    wait_state(qtbot, controller, "stopped")


def test_weights_that_do_not_fit_the_network_are_refused_clearly(qtbot, controller, trained_xor):
    preset, state, _ = trained_xor
    rec = Recorder(controller)
    wider = preset.copy()
    wider.model.nodes[1].params["out_features"] = 3
    with qtbot.waitSignal(controller.problem, timeout=TIMEOUT):
        controller.step(wider, {k: v.numpy() for k, v in state.items()})
    title, message = rec.problems[0]
    assert "imported weights" in title and "do not fit" in message and "Reset" in message
    assert controller.state == "problem" and not controller.is_active


# ---------------------------------------------------------------------------- problems

def exploding_preset() -> Preset:
    """A regression net with a learning rate far too high for SGD: the loss overflows."""
    model = ModelSpec.chain(("Input", {"shape": [1]}), ("Linear", {"out_features": 32}), ("ReLU", {}),
                            ("Linear", {"out_features": 32}), ("ReLU", {}), ("Linear", {"out_features": 1}))
    return Preset("exploding", "", model, DataSpec("sine", {}),
                  TrainSpec(loss="mse", optimizer="sgd", lr=50.0, epochs=200, batch_size=16, probe_every=5))


def test_non_finite_loss_pauses_with_a_message(qtbot, controller):
    rec = Recorder(controller)
    with qtbot.waitSignal(controller.problem, timeout=TIMEOUT):
        controller.start(exploding_preset())
    title, message = rec.problems[0]
    assert "no longer a number" in title
    assert "learning rate" in message.lower() and "step" in message
    wait_state(qtbot, controller, "paused")
    assert controller.is_active   # kept: the model and the curves so far
    assert controller.last_problem is not None and controller.last_problem.kind == "non_finite"
    loss = controller.panel("Loss & accuracy")
    assert np.all(np.isfinite(loss.losses.view()))
    controller.resume()   # cannot go on: says so, stays paused
    qtbot.waitUntil(lambda: any("Reset the weights" in m for m in rec.messages), timeout=TIMEOUT)
    assert controller.state == "paused"
    controller.set_setting("lr", 0.01)
    controller.reset_weights()   # with a sane learning rate it trains again
    qtbot.waitUntil(lambda: controller.last_problem is None, timeout=TIMEOUT)
    controller.resume()
    qtbot.waitUntil(lambda: len(loss.steps) > 20, timeout=TIMEOUT)
    assert controller.state == "running" and np.all(np.isfinite(loss.losses.view()))
    controller.stop()
    wait_state(qtbot, controller, "stopped")


def test_a_network_that_does_not_fit_the_data_is_refused_clearly(qtbot, controller):
    rec = Recorder(controller)
    p = xor_preset()
    p.model.nodes[0].params["shape"] = [3]
    with qtbot.waitSignal(controller.problem, timeout=TIMEOUT):
        controller.start(p)
    title, message = rec.problems[0]
    assert "Cannot start" in title and "shape" in message
    assert controller.state == "problem" and not controller.is_active
    controller.start(xor_preset(epochs=1))   # and the next one runs
    wait_state(qtbot, controller, "finished")


def test_stop_while_the_session_is_still_being_built(qtbot, controller):
    rec = Recorder(controller)
    controller.start(small_digits("digits_cnn", epochs=1000))
    controller.stop()   # before the worker has even built the data and model
    wait_state(qtbot, controller, "stopped")
    assert rec.states[:2] == ["starting", "stopping"] and not controller.is_active
