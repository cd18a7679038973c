"""The generative lab's page (issue 25): it opens from the labs window and computes off the GUI
thread, draws each model's p = 0.5 boundary where scikit-learn's own model gives 0.5, and the
learning curve's two series with the engine's means; `lab generative --png` draws it."""
from __future__ import annotations

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression

from playground.labs import generative
from widgets.labs.generative import GenerativeLabPage
from widgets.labs.window import LabsWindow

WAIT_MS = 120_000
"""A computation's patience on a loaded 2-core machine (waited on as a condition, never slept)."""


def test_the_page_opens_from_the_labs_window_and_draws_the_engines_values(qtbot, monkeypatch):
    monkeypatch.setattr(GenerativeLabPage, "sizes", (4, 16, 64))
    window = LabsWindow(first="generative")
    qtbot.addWidget(window)
    window.show()
    page = window.pages["generative"]
    assert isinstance(page, GenerativeLabPage) and page.computing and page.busy_label.text() == "computing…"
    qtbot.waitUntil(lambda: page.lab is not None, timeout=WAIT_MS)
    lab = page.lab
    assert lab.data == "moons" and page.busy_label.text() == ""
    reference = {"lda": LinearDiscriminantAnalysis(), "qda": QuadraticDiscriminantAnalysis(),
                 "logistic": LogisticRegression(C=1e4, max_iter=10_000)}
    for name, model in reference.items():
        xs, ys = page.boundaries[name].getData()
        finite = np.isfinite(xs)
        assert finite.sum() > 20, name
        p = model.fit(lab.x_train, lab.y_train).predict_proba(np.column_stack([xs[finite], ys[finite]]))[:, 1]
        assert np.abs(p - 0.5).max() < 0.05, name     # on the boundary, up to the grid's interpolation
    for name in generative.CURVE_MODELS:
        xs, ys = page.curves[name].getData()
        assert np.allclose(2 ** xs, [4, 16, 64]) and np.allclose(ys, lab.curve.mean(name))
        low, high = (edge.getData()[1] for edge in page.band_edges[name])
        assert np.allclose(high - low, 2 * lab.curve.sd(name))
    assert lab.curve.verdict("moons") in page.note.text()
    page.data_box.setCurrentText("xor")
    thread = page.task._thread
    window.close()   # waits for the computation in flight
    assert not thread.is_alive()


def test_lab_generative_png_from_the_command_line(tmp_path):
    from PySide6.QtGui import QImage

    from widgets.launch import main
    out = tmp_path / "generative.png"
    assert main(["lab", "generative", "--data", "xor", "--seeds", "2", "--png", str(out)]) == 0
    img = QImage(str(out))
    assert out.stat().st_size > 0 and (img.width(), img.height()) == (1366, 768)


def test_the_legend_hides_no_training_point_on_any_set(qtbot):
    """On moons every corner held points, and the legend sat on some: the page grows the range at
    the legend's edge instead, so that it covers no point of any set at 1366×768 and 1920×1080."""
    from widgets.panels.legend_place import covered, drawn_pixels
    hidden = {}
    for data in generative.SETS:
        lab = generative.explore(data, seeds=1, sizes=(4, 8))
        for size in ((1366, 768), (1920, 1080)):
            page = GenerativeLabPage(lab=lab)
            qtbot.addWidget(page)
            page.resize(*size)
            page.show()
            qtbot.waitExposed(page)
            vb, legend = page.points_plot.vb, page.points_legend
            qtbot.waitUntil(lambda: page.legend_place.corner is not None and vb.width() > 0)
            points = drawn_pixels(page.points_plot)
            box = legend.boundingRect()
            n = covered(points, page.legend_place.corner, (box.width(), box.height()), (vb.width(), vb.height()), 6)
            if n:
                hidden[data, size] = n
            (_, _), (y0, y1) = vb.viewRange()
            assert y0 <= lab.x_train[:, 1].min() and lab.x_train[:, 1].max() <= y1   # every point still shown
            page.close()
    assert hidden == {}
