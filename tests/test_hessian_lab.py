"""The Hessian lab: torch.autograd.functional.hessian on the optimizer race's own surfaces agrees
with the second derivatives worked out by hand (and with finite differences of the gradient), and
the eigenvalues say what a point is: the saddle x² − y² has one negative eigenvalue."""
from __future__ import annotations

import json

import numpy as np
import pytest

from playground.command_line.main import main
from playground.labs import hessian as hs
from playground.labs import optimizers as opt

POINTS = [(0.0, 0.0), (1.0, 1.0), (-0.5, 1.0), (0.3, -0.7), (1.2, 0.4), (-1.1, 2.0)]


@pytest.mark.parametrize("name", opt.SURFACES)
@pytest.mark.parametrize("x,y", POINTS)
def test_autograd_hessian_equals_the_hand_derived_one(name, x, y):
    auto = hs.autograd_hessian(name, x, y, condition=25.0)
    hand = hs.hand_hessian(name, x, y, condition=25.0)
    np.testing.assert_allclose(auto, hand, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", opt.SURFACES)
def test_hand_hessian_equals_finite_differences_of_the_gradient(name):
    """An independent check of the hand formulas: central differences of autograd's gradient."""
    x, y, e = 0.4, -0.3, 1e-6
    gx = (hs.gradient(name, x + e, y) - hs.gradient(name, x - e, y)) / (2 * e)
    gy = (hs.gradient(name, x, y + e) - hs.gradient(name, x, y - e)) / (2 * e)
    np.testing.assert_allclose(np.column_stack([gx, gy]), hs.hand_hessian(name, x, y), rtol=1e-5, atol=1e-5)


def test_the_saddle_has_one_negative_eigenvalue_everywhere():
    for x, y in POINTS:
        p = hs.at("saddle", x, y)
        np.testing.assert_allclose(p.eigenvalues, [-2.0, 2.0])
        assert p.kind == "indefinite"
    centre = hs.at("saddle", 0.0, 0.0)
    assert centre.stationary and centre.label == "a saddle point"
    # the negative curvature is along y: the eigenvector of −2 is ±(0, 1)
    np.testing.assert_allclose(np.abs(centre.eigenvectors[:, 0]), [0.0, 1.0], atol=1e-12)


def test_minima_are_positive_definite_and_the_ravine_shows_its_condition_number():
    for name in ("rosenbrock", "beale", "quadratic", "plateau"):
        p = hs.at(name, *hs.default_point(name))
        assert p.stationary and p.kind == "positive definite" and p.label == "a minimum", name
    ravine = hs.at("quadratic", 0.3, -0.2, condition=100.0)
    np.testing.assert_allclose(ravine.eigenvalues, [1.0, 100.0], rtol=1e-12)
    assert ravine.condition == pytest.approx(100.0)
    # Rosenbrock at its minimum (1, 1): H = [[802, −400], [−400, 200]], eigenvalues 501 ∓ √(301² + 400²)
    rb = hs.at("rosenbrock", 1.0, 1.0)
    np.testing.assert_allclose(rb.eigenvalues, 501 + np.array([-1, 1]) * np.hypot(301, 400), rtol=1e-12)


def test_rosenbrock_is_not_convex_above_its_valley_nor_the_plateau_far_out():
    # det H = 400 − 80000 (y − x²): negative (one negative eigenvalue) where y > x² + 1/200
    assert hs.at("rosenbrock", 0.0, 0.1).kind == "indefinite"
    assert hs.at("rosenbrock", 0.0, 0.001).kind == "positive definite"
    # the plateau 1 − g, g = exp(−r²/2): curvature g (1 − r²) along the radius, g across it
    far = hs.at("plateau", 2.0, 2.0)
    g = np.exp(-4.0)
    np.testing.assert_allclose(far.eigenvalues, [g * (1 - 8), g], rtol=1e-12)
    assert far.kind == "indefinite" and far.label == "not convex here" and not far.stationary
    assert hs.at("plateau", 0.5, 0.5).label == "convex here"
    assert hs.kind(np.array([-3.0, -1.0])) == "negative definite" and hs.kind(np.array([0.0, 2.0])) == "singular"
    xs, ys, lows = hs.negative_curvature_grid("rosenbrock", n=41)
    gx, gy = np.meshgrid(xs, ys)
    inside = gy > gx ** 2 + 1 / 200 + 1e-9
    outside = gy < gx ** 2 + 1 / 200 - 1e-9
    assert np.all(lows[inside] < 0) and np.all(lows[outside] > 0)


def test_cli_json(capsys):
    assert main(["lab", "hessian", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["surface"] == "saddle" and data["eigenvalues"] == [-2.0, 2.0] and data["label"] == "a saddle point"
    assert data["max_abs_diff_vs_hand"] == 0.0
    assert main(["lab", "hessian", "--surface", "quadratic", "--condition", "50", "--x", "1", "--y", "1",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["eigenvalues"] == pytest.approx([1.0, 50.0]) and data["condition"] == pytest.approx(50.0)
    assert not data["stationary"]
    with pytest.raises(SystemExit) as e:
        main(["lab", "hessian", "--surface", "bowl"])
    assert e.value.code == 2


def test_page_moves_the_point_and_follows_the_surface(qtbot):
    from playground.course.chapters import CHAPTERS
    from widgets.labs.hessian import HessianLabPage
    from widgets.labs.window import LabsWindow
    page = HessianLabPage()
    qtbot.addWidget(page)
    page.show()
    assert page.point.kind == "indefinite" and "a saddle point" in page.eigen_text()
    assert not page.condition_box.isEnabled()
    page.surface_box.setCurrentText("rosenbrock")
    assert (page.point.x, page.point.y) == (1.0, 1.0) and "a minimum" in page.eigen_text()
    page.set_point(-0.5, 1.0)
    assert page.point.kind == "indefinite" and "not convex here" in page.eigen_text()
    xs, _ = page.vectors[0].getData()
    assert xs[0] < -0.5 < xs[1] or xs[1] < -0.5 < xs[0]   # drawn through the point
    page.surface_box.setCurrentText("quadratic")
    page.condition_box.setValue(40.0)
    assert page.condition_box.isEnabled() and page.point.eigenvalues == pytest.approx([1.0, 40.0])
    w = LabsWindow(first="hessian")
    qtbot.addWidget(w)
    assert isinstance(w.pages["hessian"], HessianLabPage)
    assert "hessian" in next(c for c in CHAPTERS if c.key == "optimization").labs


def test_a_point_typed_off_the_plot_is_said_to_be_off_it(qtbot):
    from widgets.labs.hessian import HessianLabPage
    page = HessianLabPage()
    qtbot.addWidget(page)
    page.surface_box.setCurrentText("rosenbrock")
    assert "off this plot" not in page.contour.titleLabel.text
    page.set_point(100.0, -100.0)
    assert "off this plot" in page.contour.titleLabel.text and "not a stationary point" in page.note.text()
