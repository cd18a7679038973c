"""The Trainer computes the look-inside probes only for the views its consumer asks for."""
from __future__ import annotations

import numpy as np
import pytest

from playground.training.events import HiddenSpaceEvent, NeuronMapEvent, ProbeEvent, RecurrentEvent, WeightsEvent
from playground.training.inside import INSIDE_VIEWS
from playground.network.preset import resolve_preset
from playground.training.trainer import DEFAULT_VIEWS, Trainer

INSIDE_EVENTS = (WeightsEvent, NeuronMapEvent, HiddenSpaceEvent, RecurrentEvent)


def run(name: str, steps: int, views=None) -> list[object]:
    preset = resolve_preset(name).copy()
    preset.training.probe_every = 5
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append, views=views)
    for _ in range(steps):
        trainer.step()
    return events


def kinds(events: list[object]) -> set[type]:
    return {type(e) for e in events if isinstance(e, INSIDE_EVENTS)}


def test_unasked_the_trainer_emits_no_look_inside_events_but_still_probes():
    events = run("xor_mlp", 11)
    assert not INSIDE_VIEWS & DEFAULT_VIEWS
    assert kinds(events) == set()
    assert sum(isinstance(e, ProbeEvent) for e in events) == 3  # steps 0, 5, 10


def test_asked_it_emits_exactly_the_views_asked_for_at_every_probe_step():
    events = run("xor_mlp", 11, views=DEFAULT_VIEWS | {"weights", "neuron_maps"})
    assert kinds(events) == {WeightsEvent, NeuronMapEvent}
    assert sum(isinstance(e, WeightsEvent) for e in events) == 3
    assert [e.step for e in events if isinstance(e, NeuronMapEvent)] == \
        [e.step for e in events if isinstance(e, WeightsEvent)]
    everything = run("xor_mlp", 6, views=DEFAULT_VIEWS | INSIDE_VIEWS)
    assert kinds(everything) == {WeightsEvent, NeuronMapEvent, HiddenSpaceEvent}


def test_wanted_views_can_change_between_steps_and_reject_unknown_names():
    preset = resolve_preset("xor_mlp").copy()
    preset.training.probe_every = 1
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append)
    trainer.step()
    assert kinds(events) == set()
    trainer.wanted_views = trainer.wanted_views | {"hidden_space"}
    trainer.step()
    assert kinds(events) == {HiddenSpaceEvent}
    with pytest.raises(ValueError, match="unknown view"):
        trainer.wanted_views = {"weights", "no_such_view"}


def test_a_time_share_samples_the_look_inside_probes_and_none_runs_them_every_probe_step():
    preset = resolve_preset("xor_mlp").copy()
    preset.training.probe_every = 1
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append, views=DEFAULT_VIEWS | {"weights"})
    trainer.inside_share = 1e-12   # nearly no time for them: only the first probe step's
    for _ in range(4):
        trainer.step()
    assert [e.step for e in events if isinstance(e, WeightsEvent)] == [1]   # after the first update
    assert sum(isinstance(e, ProbeEvent) for e in events) == 4   # the cheap probes keep coming
    trainer.inside_share = None
    trainer.step()
    assert [e.step for e in events if isinstance(e, WeightsEvent)] == [1, 5]


class _TickingClock:
    """A clock for the trainer module that moves 1 ms at each reading, and jumps on request."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 0.001
        return self.now


def _probing_xor(share: float | None, monkeypatch=None) -> tuple[Trainer, list[object], "_TickingClock | None"]:
    """xor_mlp probing at every step with the Weights view wanted, at a look-inside share; with
    `monkeypatch`, on a clock that ticks at each reading (returned)."""
    clock = None
    if monkeypatch is not None:
        import playground.training.trainer as trainer_module
        clock = _TickingClock()
        monkeypatch.setattr(trainer_module, "time", clock)
    preset = resolve_preset("xor_mlp").copy()
    preset.training.probe_every = 1
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append, views=DEFAULT_VIEWS | {"weights"})
    trainer.inside_share = share
    return trainer, events, clock


def test_a_pause_buys_no_burst_of_look_inside_probes(monkeypatch):
    """The share is paid back by time, never banked: after a long pause the look-inside probes
    run once and then keep to their share, not at every probe step until the pause is used up."""
    trainer, events, clock = _probing_xor(0.01, monkeypatch)
    trainer.step()
    assert sum(isinstance(e, WeightsEvent) for e in events) == 1
    clock.now += 1000.0   # paused for a quarter of an hour: 10 s of look-inside time at a 1% share
    events.clear()
    for _ in range(10):
        trainer.step()
    assert sum(isinstance(e, WeightsEvent) for e in events) == 1


def test_with_a_share_set_the_look_inside_probes_run_at_most_once_an_interval(monkeypatch):
    """A share generous enough to allow them at every probe step still leaves INSIDE_INTERVAL_S
    between two runs of the look-inside probes (their panels need no more; the window's thread
    pays for drawing each)."""
    import playground.training.trainer as trainer_module
    trainer, events, clock = _probing_xor(1.0, monkeypatch)
    for _ in range(20):   # a few ms of the clock's time a step
        trainer.step()
    assert clock.now < trainer_module.INSIDE_INTERVAL_S
    assert [e.step for e in events if isinstance(e, WeightsEvent)] == [1]
    assert sum(isinstance(e, ProbeEvent) for e in events) == 20   # the cheap probes at every step
    clock.now += trainer_module.INSIDE_INTERVAL_S
    trainer.step()
    trainer.step()
    assert [e.step for e in events if isinstance(e, WeightsEvent)] == [1, 21]


def test_look_inside_shows_the_network_as_it_is_now_once_per_step():
    """Where training pauses or ends the app calls look_inside: the look-inside panels then show
    that step's network whatever their share allowed, once; after a reset, the fresh one."""
    trainer, events, _ = _probing_xor(1e-12)   # starved: only the first probe step's
    for _ in range(5):
        trainer.step()
    weights = [e for e in events if isinstance(e, WeightsEvent)]
    assert [e.step for e in weights] == [1]
    trainer.look_inside()
    trainer.look_inside()   # the same step: nothing new to show
    weights = [e for e in events if isinstance(e, WeightsEvent)]
    assert [e.step for e in weights] == [1, 5]
    trainer.wanted_views = trainer.wanted_views | {"hidden_space"}   # a panel shown while paused
    trainer.look_inside()
    assert [e.step for e in events if isinstance(e, HiddenSpaceEvent)] == [5]
    assert not np.allclose(weights[0].quantiles, weights[1].quantiles)   # four updates later
    trainer.pause()
    trainer.reset_weights()
    trainer.look_inside()
    weights = [e for e in events if isinstance(e, WeightsEvent)]
    assert [e.step for e in weights] == [1, 5, 0]
    unasked = Trainer(trainer.preset, device="cpu", on_event=events.append)   # no look-inside view wanted
    before = len(events)
    unasked.look_inside()
    assert len(events) == before
