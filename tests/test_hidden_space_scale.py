"""The hidden-space projection of a network at too high a rate (issue 27): its values reach 1e19
and more, whose squares overflow float32. The first two principal components must still come out,
checked against numpy's SVD of the same values in float64."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.training.inside import project_2d


@pytest.mark.parametrize("scale", [1.0, 1e19, 1e30])
@pytest.mark.parametrize("units", [8, 300])   # fewer units than samples, and more
def test_huge_values_keep_their_principal_components(scale, units):
    rng = np.random.default_rng(units)
    base = rng.standard_normal((64, units)) * np.linspace(3.0, 0.1, units)   # a clear first two axes
    h = torch.tensor(base * scale, dtype=torch.float32)
    pts, method, kept = project_2d(h)
    c = base - base.mean(axis=0)
    _, sv, vt = np.linalg.svd(c, full_matrices=False)
    assert method == "pca"
    assert kept == pytest.approx(float((sv[:2] ** 2).sum() / (sv ** 2).sum()), rel=1e-3)
    assert np.isfinite(pts).all()
    for k in range(2):   # each axis is numpy's, up to its sign
        theirs = c @ vt[k]
        ours = pts[:, k].astype(np.float64) / scale
        assert abs(np.corrcoef(ours, theirs)[0, 1]) > 0.999


def test_a_gram_matrix_float32_cannot_solve_is_solved_in_float64(monkeypatch):
    """float32's eigensolver fails to converge on some nearly rank-one Gram matrices (a deep
    Swish network at η = 0.01, step 61): the projection retries in float64."""
    real = torch.linalg.eigh
    tried = []

    def eigh(m):
        tried.append(m.dtype)
        if m.dtype == torch.float32:
            raise torch.linalg.LinAlgError("linalg.eigh: The algorithm failed to converge")
        return real(m)
    monkeypatch.setattr(torch.linalg, "eigh", eigh)
    rng = np.random.default_rng(1)
    base = rng.standard_normal((64, 8)) * np.linspace(3.0, 0.1, 8)
    pts, method, kept = project_2d(torch.tensor(base, dtype=torch.float32))
    c = base - base.mean(axis=0)
    _, sv, vt = np.linalg.svd(c, full_matrices=False)
    assert tried == [torch.float32, torch.float64] and method == "pca"
    assert kept == pytest.approx(float((sv[:2] ** 2).sum() / (sv ** 2).sum()), rel=1e-3)
    for k in range(2):
        assert abs(np.corrcoef(pts[:, k], c @ vt[k])[0, 1]) > 0.999
