"""A deep network's per-layer panels keep their plot: the legend names at most 12 layers and counts
the rest in one line (a 42-layer network's legend once filled the whole Gradients panel)."""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from playground.training.events import LayerProbe, ProbeEvent  # noqa: E402
from widgets.panels.base import LEGEND_ENTRIES  # noqa: E402
from widgets.panels.update_ratio import GradientsPanel  # noqa: E402


def _probe(step: int, layers: int) -> ProbeEvent:
    edges = np.linspace(-1, 1, 11)
    return ProbeEvent(step, 0, [LayerProbe(f"fc{k}", "Linear", 1e-3, 10.0 ** -k, 1.0, np.ones(10), edges, 0.0, 1.0, None)
                                for k in range(layers)])


def _legend_labels(panel: GradientsPanel) -> list[str]:
    return [label.text for _sample, label in panel.plot.legend.items]


def test_a_42_layer_network_names_12_layers_and_counts_the_rest(qtbot):
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 420)
    panel.show()
    panel.ingest([_probe(0, 42), _probe(10, 42)])
    panel.render()
    qtbot.wait(50)
    assert LEGEND_ENTRIES == 12
    assert _legend_labels(panel) == [f"fc{k} (Linear)" for k in range(12)]
    legend = panel.plot.legend
    assert legend.left_out == 30 and "30 more" in legend._more.text
    assert len(panel.layers.curves) == 42                         # every curve is still drawn
    assert panel.plot.getViewBox().height() > 0.4 * panel.canvas.height()   # the plot keeps its room
    panel.clear()
    assert _legend_labels(panel) == [] and legend.left_out == 0 and legend._more is None
    panel.ingest([_probe(20, 3)])
    assert _legend_labels(panel) == ["fc0 (Linear)", "fc1 (Linear)", "fc2 (Linear)"] and legend._more is None
