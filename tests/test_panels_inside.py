"""The look-inside panels open and draw the engine's real events (offscreen)."""
from __future__ import annotations

import numpy as np
import pytest

from playground.training.events import HiddenSpaceEvent, NeuronMapEvent, RecurrentEvent, WeightsEvent
from playground.network.preset import resolve_preset
from playground.training.trainer import Trainer
from playground.training.views import VIEWS
from widgets.panels.hidden_space import HiddenSpacePanel
from widgets.panels.lstm_internals import LstmInternalsPanel
from widgets.panels.neuron_maps import NeuronMapsPanel, column_image
from widgets.panels.weights import WeightsPanel

_CACHE: dict[str, list[object]] = {}


def events_of(name: str, steps: int, **training) -> list[object]:
    if name not in _CACHE:
        preset = resolve_preset(name).copy()
        for key, value in training.items():
            setattr(preset.training, key, value)
        out: list[object] = []
        trainer = Trainer(preset, device="cpu", on_event=out.append, views=VIEWS)
        for _ in range(steps):
            trainer.step()
        _CACHE[name] = out
    return _CACHE[name]


@pytest.fixture
def show(qtbot):
    def make(cls):
        panel = cls()
        qtbot.addWidget(panel)
        panel.resize(700, 500)
        panel.show()
        return panel
    return make


def test_weights_panel_draws_bands_histograms_and_digit_templates(show):
    panel = show(WeightsPanel)
    events = events_of("digits_mlp", 5, probe_every=2)
    panel.show_events(events)
    n_probes = sum(isinstance(e, WeightsEvent) for e in events)
    assert n_probes == 3
    assert len(panel.median.getData()[0]) == n_probes
    assert panel.templates_image.image is not None
    h, w = panel.templates_image.image.shape
    assert h >= 8 and w >= 8   # 8×8 templates tiled
    assert panel.templates_plot in panel.canvas.ci.items
    assert panel.layer_box.count() == len(events[-1].nodes if isinstance(events[-1], WeightsEvent)
                                          else next(e for e in reversed(events) if isinstance(e, WeightsEvent)).nodes)
    header, rows = panel.csv_table()
    assert header[0] == "node" and len(rows) >= n_probes
    panel.clear()
    assert panel.layer_box.count() == 0


def test_neuron_maps_panel_lays_out_columns_and_enlarges_a_click(show):
    panel = show(NeuronMapsPanel)
    events = events_of("xor_mlp", 6, probe_every=5)
    panel.show_events(events)
    e = next(e for e in reversed(events) if isinstance(e, NeuronMapEvent))
    assert len(panel.columns) == len(e.columns)
    first_img = panel.columns[0][1].image
    assert first_img is not None and first_img.shape[1] == len(e.xs)
    panel.choose(0, 1)   # the input column's second map: x₂
    assert panel.chosen == (e.input_id, 1)
    big = panel.big_image.image
    assert np.allclose(big, e.maps[e.input_id][1])
    image, starts = column_image([np.zeros((2, 4, 4)), np.ones((1, 4, 4))])
    assert image.shape == (3 * 4 + 2 * 3, 4) and starts == [(0, 0), (0, 1), (1, 0)]


def test_hidden_space_panel_scatters_the_chosen_layer(show):
    panel = show(HiddenSpacePanel)
    events = events_of("xor_mlp", 6, probe_every=5)
    panel.show_events(events)
    e = next(e for e in reversed(events) if isinstance(e, HiddenSpaceEvent))
    assert panel.layer_box.count() == len(e.points)
    x, y = panel.scatter.getData()
    assert len(x) == len(e.labels)
    assert "step" in panel.plot.titleLabel.text


def test_lstm_panel_draws_gates_saturation_and_keeps_the_previous_runs_gradient(show):
    panel = show(LstmInternalsPanel)
    events = events_of("adding_lstm", 3, probe_every=1)
    panel.show_events(events)
    e = next(e for e in reversed(events) if isinstance(e, RecurrentEvent))
    img = panel.gate_plots["forget"][1].image
    t, h = e.gates["forget"].shape[1:]
    assert img.shape == (h, t)
    assert len(panel.sat_curve.getData()[0]) == 3
    assert len(panel.grad_curve.getData()[0]) == t
    assert panel.grad_plot.legend.getLabel(panel.previous_curve) is None   # nothing to compare yet
    panel.clear()
    assert panel.previous is not None and panel.previous[0] == "LSTM"
    panel.show_events(events)   # the next run: the last one's curve stays beside it
    assert len(panel.previous_curve.getData()[0]) == t
    assert panel.grad_plot.legend.getLabel(panel.previous_curve).text == "previous run (LSTM)"


def test_weights_panel_at_step_0_draws_the_spread_and_says_why_gradients_are_missing(show):
    """Before the first update (where a person looks first) the bands of one probe are a narrow
    column, not an empty plot, and the gradient plot's title says there are none yet."""
    panel = show(WeightsPanel)
    out: list[object] = []
    trainer = Trainer(resolve_preset("digits_cnn"), device="cpu", on_event=out.append, views=VIEWS)
    trainer.look_inside()
    event = next(e for e in out if isinstance(e, WeightsEvent))
    assert event.step == 0 and event.grad_hists[0] is None
    panel.show_events([event])
    xs, median = panel.median.getData()
    assert len(xs) == 2 and xs[1] - xs[0] == pytest.approx(1.0)
    assert median[0] == median[1] == pytest.approx(event.quantiles[0][4])
    lows, highs = panel.band_curves[0][2].getData()[1], panel.band_curves[0][3].getData()[1]
    assert lows[0] == pytest.approx(event.quantiles[0][0]) and highs[0] == pytest.approx(event.quantiles[0][8])
    assert "one probe so far" in panel.bands_plot.titleLabel.text
    assert panel.bands_plot.getAxis("bottom")._tickLevels == [[(0.0, "0")]]   # the step, not ±0.4
    assert "none before the first step" in panel.grad_plot.titleLabel.text
    for _ in range(2):
        trainer.step()
    trainer.look_inside()
    later = [e for e in out if isinstance(e, WeightsEvent)][1:]
    panel.show_events(later)
    assert list(panel.median.getData()[0]) == [0] + [e.step for e in later]   # the probes' own steps
    assert "last step" in panel.grad_plot.titleLabel.text and "one probe" not in panel.bands_plot.titleLabel.text
    assert panel.bands_plot.getAxis("bottom")._tickLevels is None


def test_a_short_histogram_labels_only_as_many_counts_as_fit_one_above_the_other(show):
    """A Weights panel in a 1366×768 dock: its histograms are ~45 px tall, and the count axis
    printed five labels (8 6 4 2 0) into them, one over the other."""
    from widgets.panels.base import TICK_LABEL_PX
    panel = show(WeightsPanel)
    axis = panel.hist_plot.getAxis("left")
    for size in (45.0, 60.0, 200.0):
        spacing = axis.tickSpacing(0.0, 8.0, size)[0][0]
        labels = int(8.0 // spacing) + 1
        assert labels <= max(2, size // TICK_LABEL_PX), size
        assert labels >= 2   # (never a lone label)
    assert axis.tickSpacing(0.0, 8.0, 200.0)[0][0] == 2.0   # a tall axis keeps pyqtgraph's spacing
    bottom = panel.hist_plot.getAxis("bottom")
    assert bottom.tickSpacing(0.0, 8.0, 45.0) == type(bottom).__mro__[1].tickSpacing(bottom, 0.0, 8.0, 45.0)
    assert panel.hist_plot.vb.viewRange()[1][0] >= 0 and panel.grad_plot.vb.viewRange()[1][0] >= 0   # no -0.4 counts
