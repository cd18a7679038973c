"""The decision boundary of more than two inputs is drawn on their first two principal components
(issue 22): the plane is checked against a hand computation and against numpy's eigen-
decomposition of the covariance, and a run on a 13-input CSV draws its regions there."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from playground.training.events import BoundaryEvent
from playground.network.preset import preset_from_dict
from playground.network.spec import Preset
from playground.training.projection import principal_plane
from playground.run_records.run_to_end import train_run
from test_own_data import counts_and_names_csv


def test_plane_of_a_cross_by_hand():
    # Four points about the mean (5, -2, 7): ±3 along the first input, ±1 along the second.
    mean = np.array([5.0, -2.0, 7.0])
    x = mean + np.array([[3, 0, 0], [-3, 0, 0], [0, 1, 0], [0, -1, 0]], dtype=float)
    plane = principal_plane(x)
    assert np.allclose(plane.mean, mean)
    assert np.allclose(plane.axes, [[1, 0, 0], [0, 1, 0]])   # signs: largest loading positive
    # variances 18/4 and 2/4 of a total 20/4
    assert plane.variance_share == pytest.approx((0.9, 0.1))
    assert plane.axis_names() == ("PC1 (90% of variance)", "PC2 (10% of variance)")
    assert np.allclose(plane.project(x), [[3, 0], [-3, 0], [0, 1], [0, -1]])
    assert np.allclose(plane.lift([[1.0, 2.0]]), [[6.0, 0.0, 7.0]])   # the third input at its mean


def test_plane_matches_the_covariance_eigenvectors():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + rng.normal(size=6)
    plane = principal_plane(x)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(x, rowvar=False))
    top = eigenvectors[:, ::-1][:, :2].T
    assert np.allclose(np.abs(np.sum(plane.axes * top, axis=1)), 1.0, atol=1e-8)   # same directions
    assert np.allclose(plane.variance_share, eigenvalues[::-1][:2] / eigenvalues.sum())
    z = plane.project(x)
    assert np.allclose(z.var(axis=0, ddof=1), eigenvalues[::-1][:2], rtol=1e-4)


def wine_preset(csv: Path) -> Preset:
    """A small MLP on a wine-like file: first line `178,13,class_0,class_1,class_2`."""
    counts_and_names_csv(csv, n_per_class=(59, 71, 48), n_features=13)
    return preset_from_dict({
        "format": "nn-playground-preset", "version": 1, "name": "my_wine", "description": "A wine-like CSV.",
        "model": {"nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [13]}, "inputs": [], "pos": [0, 0]},
            {"id": "h", "type": "Linear", "params": {"out_features": 8}, "inputs": ["x"], "pos": [0, 100]},
            {"id": "r", "type": "ReLU", "params": {}, "inputs": ["h"], "pos": [0, 200]},
            {"id": "out", "type": "Linear", "params": {"out_features": 3}, "inputs": ["r"], "pos": [0, 300]},
        ], "output": ""},
        "data": {"name": "csv", "params": {"path": str(csv)}},
        "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.05, "epochs": 3, "batch_size": 16,
                     "probe_every": 5},
    })


def test_a_13_input_classifier_draws_its_boundary_on_the_principal_plane(tmp_path, private_home):
    preset = wine_preset(tmp_path / "wine.csv")
    boundaries: list[BoundaryEvent] = []
    seen: dict[str, np.ndarray] = {}
    train_run(preset, device="cpu", on_start=lambda t: seen.update(x=t.dataset.x_train),
              on_event=lambda e: boundaries.append(e) if isinstance(e, BoundaryEvent) else None)
    assert boundaries, "no decision boundary for 13 inputs"
    e = boundaries[-1]
    # The points are the training inputs on their top two principal directions (numpy's own).
    x = seen["x"][:len(e.points)].astype(np.float64)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(seen["x"], rowvar=False))
    top = eigenvectors[:, ::-1][:, :2]
    expected = (x - seen["x"].mean(axis=0)) @ top
    assert np.allclose(np.abs(e.points), np.abs(expected), atol=1e-3)
    share = eigenvalues[::-1][:2] / eigenvalues.sum()
    assert e.axis_names == (f"PC1 ({share[0]:.0%} of variance)", f"PC2 ({share[1]:.0%} of variance)")
    assert "slice through the mean of the other 11 components" in e.note
    assert e.n_classes == 3 and np.isfinite(e.values).all() and set(np.unique(e.values)) <= {0.0, 1.0, 2.0}
    assert len(np.unique(e.values)) >= 2   # the three well-apart classes split the plane


def test_one_point_projects_without_a_degrees_of_freedom_warning():
    """A validation split of one sample (a 5-row CSV) made torch warn "var(): degrees of freedom is <= 0"."""
    import warnings
    import torch
    from playground.training.inside import project_2d
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xy, how, kept = project_2d(torch.arange(5.0).reshape(1, 5))
    assert xy.shape == (1, 2) and how == "pca" and kept == 1.0
