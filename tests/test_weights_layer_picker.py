"""The Weights panel's layer picker shows whole layer names ("hidden (Linear)", not
"hidden (Lin"): it was sized while still empty, before any layer was known."""
from __future__ import annotations

import numpy as np

from playground.training.events import WeightsEvent
from widgets.panels.weights import WeightsPanel


def weights_event(nodes: list[str], types: list[str]) -> WeightsEvent:
    hist = (np.array([1.0, 2.0, 1.0]), np.array([-1.0, -0.3, 0.3, 1.0]))
    return WeightsEvent(step=10, nodes=nodes, layer_types=types, weight_hists=[hist] * len(nodes),
                        grad_hists=[hist] * len(nodes), quantiles=np.zeros((len(nodes), 9)),
                        zero_fraction=[0.0] * len(nodes), max_row_norm=[1.0] * len(nodes))


def test_the_picker_is_wide_enough_for_its_longest_layer_name(qtbot):
    panel = WeightsPanel()
    qtbot.addWidget(panel)
    panel.resize(860, 300)
    panel.show()   # shown empty first, as in the window before a run
    qtbot.waitExposed(panel)
    panel.layer_box.sizeHint()   # the header's layout sizes it while it is empty, as in the window
    panel.show_events([weights_event(["hidden", "hidden2", "out"], ["Linear", "Linear", "Linear"])])
    qtbot.wait(10)
    box = panel.layer_box
    assert box.itemText(box.count() - 1) == "out (Linear)"
    text_width = max(box.fontMetrics().horizontalAdvance(box.itemText(k)) for k in range(box.count()))
    assert box.width() >= text_width + 20   # the text, plus the arrow's room
