"""The grid-against-random lab's page (issue 26): it opens from the labs window, computes off the
GUI thread and draws the engine's numbers: each repeat's best loss, the means ± sd, the chosen
repeat's trials, and the verdict in its note."""
from __future__ import annotations

import numpy as np

from playground.selection import grid_random as gr
from widgets.labs.grid_random import GridRandomLabPage
from widgets.labs.window import LabsWindow

WAIT_MS = 120_000


def test_the_page_draws_the_labs_numbers(qtbot):
    window = LabsWindow(first="grid-random")
    qtbot.addWidget(window)
    window.show()
    page = window.pages["grid-random"]
    assert isinstance(page, GridRandomLabPage)
    qtbot.waitUntil(lambda: page.lab is not None, timeout=WAIT_MS)
    reference = gr.explore(gr.REPEATS, gr.SEED)          # the same settings, computed here
    for name in gr.SAMPLERS:
        xs, ys = page.best_points[name].getData()
        assert np.allclose(xs, np.arange(gr.REPEATS)) and np.allclose(ys, reference.best(name))
        assert np.allclose(page.means[name].getData()[1], reference.spread(name).mean)
        low, high = (edge.getData()[1] for edge in page.band_edges[name])
        assert np.allclose(high - low, 2 * reference.spread(name).std)
    assert reference.summary() in page.note.text()
    page.shown_box.setValue(3)
    run = reference.repeats[3]
    for name in gr.SAMPLERS:
        xs, ys = page.trials[name].getData()
        assert np.allclose(10 ** xs, [t.lr for t in run.searches[name].trials])
        assert np.allclose(ys, [t.other for t in run.searches[name].trials])
    assert len(set(np.round(page.tried["grid"].getData()[0], 9))) == 3
    assert len(set(np.round(page.tried["random"].getData()[0], 9))) == 9
    window.close()
