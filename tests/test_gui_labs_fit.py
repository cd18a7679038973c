"""Labs and the hidden-space panel that a student can read (issue 28): the hidden space names the
class of each colour, the backprop lab's edge labels cover none of each other, and the optimizer
race's log axis stops ten decades down instead of labelling every decade to 1e-47."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from playground.network.preset import resolve_preset
from playground.training.events import HiddenSpaceEvent
from playground.training.trainer import Trainer
from playground.training.views import VIEWS


@pytest.fixture
def shown(qtbot):
    def show(widget, width: int, height: int):
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget
    return show


def test_the_hidden_space_has_a_legend_of_the_classes_and_a_title_that_fits(shown):
    from widgets.panels.hidden_space import HiddenSpacePanel
    preset = resolve_preset("xor_mlp").copy()
    preset.training.probe_every = 5
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append, views=VIEWS)
    for _ in range(trainer.steps_per_epoch + 6):                    # past an epoch's end: its class names sent
        trainer.step()
    panel = shown(HiddenSpacePanel(), 420, 330)                     # a dock at 1366x768
    panel.show_events(events)
    e = next(e for e in reversed(events) if isinstance(e, HiddenSpaceEvent))
    names = [str(n) for n in trainer.dataset.class_names] or [f"class {k}" for k in range(e.n_classes)]
    assert len(names) == e.n_classes == 2
    labels = [label.text for _, label in panel.legend.items]
    assert labels == names                                          # one entry per class, in class order
    title = panel.plot.titleLabel.item.boundingRect().width()
    assert title <= panel.plot.getViewBox().width() + panel.plot.getAxis("left").width()   # not cut


def test_the_backprop_labs_edge_labels_do_not_cover_each_other(shown):
    from widgets.labs.backprop import BackpropPage
    page = shown(BackpropPage(), 1300, 700)
    for _ in range(3):                                               # other numbers, other widths
        texts = [text for _, text in page.edges.values()]
        rects = [t.sceneBoundingRect() for t in texts]
        for a, b in itertools.combinations(range(len(rects)), 2):
            assert not rects[a].intersects(rects[b]), (texts[a].toPlainText(), texts[b].toPlainText())
        page.next_step()


def test_no_edge_of_the_backprop_lab_is_drawn_across_a_label(shown):
    """Each label lies on its edge where others cross: the edges' lines must pass under the
    labels' backdrops, not over their numbers (a line drawn after a label ran across it)."""
    from widgets.labs.backprop import BackpropPage
    page = shown(BackpropPage(), 1300, 700)
    lines = [line for line, _ in page.edges.values()]
    labels = [text for _, text in page.edges.values()] + [t for row in page.node_text for t in row]
    crossed = 0
    for label in labels:
        for line in lines:
            if line.curve.sceneBoundingRect().intersects(label.sceneBoundingRect()):   # (the curve: its drawn line)
                crossed += 1
                assert label.zValue() > max(line.zValue(), page.nodes.zValue()), label.toPlainText()
    assert crossed > 12   # the middle column's edges cross each other's labels' boxes


def test_the_optimizer_race_log_axis_stops_ten_decades_down(shown):
    from widgets.labs.optimizers import LOSS_DECADES, OptimizerRacePage
    page = shown(OptimizerRacePage(surface="quadratic"), 1300, 700)
    lowest = min(float(np.min(c.getData()[1])) for c in page.loss_curves.values() if len(c.getData()[1]))
    assert lowest < 1e-30                                            # the fast methods go that far down
    lo, hi = page.loss_plot.getViewBox().viewRange()[1]              # in decades: the axis is log
    assert hi - lo <= LOSS_DECADES + 1
    axis = page.loss_plot.getAxis("left")
    labelled = [v for spacing, values in axis.tickValues(lo, hi, axis.height()) if spacing for v in values]
    assert 3 <= len(labelled) <= LOSS_DECADES + 1


def test_the_legend_sits_in_the_corner_across_from_the_start():
    """Rosenbrock starts at (−1.5, 2), top left, where the legend sat over the first steps; the
    plateau starts top right (3, 2.5). Offsets: negative x = right edge, negative y = bottom edge."""
    from playground.labs import optimizers as opt
    from widgets.labs.optimizers import legend_offset
    assert legend_offset(opt.surface("rosenbrock")) == (-5, -5)
    assert legend_offset(opt.surface("plateau")) == (5, -5)
