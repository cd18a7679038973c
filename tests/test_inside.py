"""The look-inside probes: what the Weights, Neuron maps, Hidden space and LSTM panels show."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.training.events import HiddenSpaceEvent, NeuronMapEvent, ProbeEvent, RecurrentEvent, WeightsEvent
from playground.training.inside import (
    depth_columns, project_2d, saturated_fraction, unroll)
from playground.layers.modules import Recurrent
from playground.network.preset import resolve_preset
from playground.training.trainer import Trainer
from playground.training.views import VIEWS


def trained(name: str, steps: int, **training) -> list[object]:
    preset = resolve_preset(name).copy()
    for key, value in training.items():
        setattr(preset.training, key, value)
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append, views=VIEWS)
    for _ in range(steps):
        trainer.step()
    return events


def of(events: list[object], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def test_inside_events_come_only_at_probe_steps_and_xor_shows_maps_and_hidden_space():
    events = trained("xor_mlp", 12, probe_every=5)
    probes, maps, spaces = of(events, ProbeEvent), of(events, NeuronMapEvent), of(events, HiddenSpaceEvent)
    assert len(probes) == len(maps) == len(spaces) == 3   # steps 0, 5, 10
    m = maps[-1]
    assert m.columns[0] == [m.input_id] and m.columns[-1] == [m.output_id]
    hidden = m.columns[1][0]
    assert m.maps[hidden].shape == (min(16, m.widths[hidden]), len(m.ys), len(m.xs))
    # the input node's own maps are the plane's coordinates: x1 grows left to right
    x1 = m.maps[m.input_id][0]
    assert np.all(np.diff(x1, axis=1) > 0) and np.allclose(np.diff(x1, axis=0), 0)
    s = spaces[-1]
    assert all(p.shape == (len(s.labels), 2) for p in s.points.values())
    assert set(np.unique(s.labels)) <= {0, 1}


def test_weights_event_histograms_templates_and_l1_zeros():
    events = trained("digits_mlp", 3, probe_every=2)
    w = of(events, WeightsEvent)[-1]
    assert w.templates is not None and w.templates.shape[1:] == (8, 8)
    assert w.templates_node == w.nodes[0]
    counts, edges = w.weight_hists[0]
    assert counts.sum() == w.templates.shape[0] * 64 or counts.sum() > 0
    assert len(edges) == len(counts) + 1 and edges[0] == -edges[-1]
    assert w.grad_hists[0] is not None and w.grad_hists[0][0].sum() > 0
    q = w.quantiles[0]
    assert np.all(np.diff(q) >= 0)   # min ≤ … ≤ max
    assert all(0.0 <= z <= 1.0 for z in w.zero_fraction)


def test_max_norm_caps_the_largest_row_norm():
    events = trained("xor_mlp", 6, probe_every=5, max_norm=0.5, lr=0.5)
    w = of(events, WeightsEvent)[-1]
    assert max(w.max_row_norm) <= 0.5 + 1e-5


def test_lstm_probe_gates_saturation_and_gradient_through_time():
    events = trained("adding_lstm", 2, probe_every=1)
    r = of(events, RecurrentEvent)[-1]
    assert r.cell == "LSTM"
    assert {"input", "forget", "output", "cell"} <= set(r.gates)
    seqs, steps, hidden = r.gates["forget"].shape
    assert seqs >= 1 and hidden == 32 and len(r.grad_norm) == steps
    assert 0.0 <= r.saturated <= 1.0
    assert np.all(r.gates["forget"] > 0) and np.all(r.gates["forget"] < 1)
    assert r.grad_norm[-1] > 0


def test_unroll_reproduces_the_torch_module():
    torch.manual_seed(0)
    for cell in ("LSTM", "GRU", "RNN"):
        m = Recurrent(cell, 3, 5, num_layers=2, last_only=False)
        x = torch.randn(4, 7, 3)
        out, hs, gates = unroll(m, x)
        assert torch.allclose(out, m(x), atol=1e-5)
        assert len(hs) == 7
    m = Recurrent("LSTM", 3, 5)
    _, _, gates = unroll(m, torch.randn(2, 6, 3))
    frac = saturated_fraction(gates)
    assert 0.0 <= frac <= 1.0


def test_pca_projection_and_depth_columns():
    h = torch.tensor([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.1, 0.0], [0.0, -0.1, 0.0]])
    pts, method, kept = project_2d(h)
    assert method == "pca" and pts.shape == (4, 2)
    assert kept == pytest.approx(1.0, abs=1e-4)
    assert abs(pts[0, 0]) == pytest.approx(1.0, abs=1e-5)
    wide = torch.randn(5, 12, generator=torch.Generator().manual_seed(0))   # fewer samples than units
    pts, _, kept = project_2d(wide)
    centred = (wide - wide.mean(dim=0)).double()
    s = torch.linalg.svdvals(centred)
    np.testing.assert_allclose(np.abs(pts), np.abs((centred @ torch.linalg.svd(centred)[2][:2].T).numpy()),
                               atol=1e-4)
    assert kept == pytest.approx(float((s[:2] ** 2).sum() / (s ** 2).sum()), abs=1e-4)
    two, method2, _ = project_2d(h[:, :2])
    assert method2 == "units" and np.allclose(two, h[:, :2].numpy())
    plan = [("a", ("in",)), ("b", ("in",)), ("c", ("a", "b")), ("d", ("c", "a"))]
    assert depth_columns(plan, "in") == [["in"], ["a", "b"], ["c"], ["d"]]


def test_l1_drives_weights_to_zero_and_l2_shrinks_them():
    def last_weights(**training):
        return of(trained("digits_mlp", 201, probe_every=100, **training), WeightsEvent)[-1]
    plain, l1, l2 = last_weights(), last_weights(l1=1e-3), last_weights(l2=1e-2)
    assert l1.zero_fraction[0] > plain.zero_fraction[0] + 0.2
    spread = lambda w: w.quantiles[0][7] - w.quantiles[0][1]   # 7th to 93rd percentile
    assert spread(l2) < spread(plain)


def test_a_layers_zero_share_is_relative_to_its_largest_weight():
    """By hand: |w| at most 0.001 of the largest counts as zero, the rule of summary's zero_weights."""
    from playground.training.inside import zero_share
    w = torch.tensor([2.0, 0.002, -0.0021, 0.0, 1.0])   # 0.002 = 0.001 x 2 counts; 0.0021 does not
    assert zero_share(w) == pytest.approx(2 / 5)
    assert zero_share(torch.zeros(3)) == 1.0
