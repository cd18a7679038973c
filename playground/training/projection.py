"""The plane of the first two principal components, for pictures of data with more than two inputs.

A decision boundary lives in the input space; with 13 inputs it cannot be drawn as it is. The
plane through the inputs' mean spanned by their two directions of largest variance is the flat
view that shows most of the data's spread, so the boundary is drawn there: each grid point of the
plane is lifted back to a full input (the other components at their mean) and given to the model.
The plane is fixed once from the training split, so the picture does not turn between probes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PrincipalPlane:
    """The inputs' mean and their first two principal directions (orthonormal rows of `axes`)."""

    mean: np.ndarray                  # (D,)
    axes: np.ndarray                  # (2, D)
    variance_share: tuple[float, float]
    """The share of the inputs' total variance along PC1 and along PC2."""

    @property
    def n_inputs(self) -> int:
        return len(self.mean)

    def project(self, x: np.ndarray) -> np.ndarray:
        """(n, D) inputs → their (n, 2) coordinates on the plane."""
        return ((np.asarray(x, dtype=np.float64).reshape(len(x), -1) - self.mean) @ self.axes.T).astype(np.float32)

    def lift(self, z: np.ndarray) -> np.ndarray:
        """(n, 2) plane coordinates → (n, D) inputs: the points of the plane, the other components at their mean."""
        return (self.mean + np.asarray(z, dtype=np.float64) @ self.axes).astype(np.float32)

    def axis_names(self) -> tuple[str, str]:
        return tuple(f"PC{k + 1} ({share:.0%} of variance)"   # type: ignore[return-value]
                     for k, share in enumerate(self.variance_share))


def principal_plane(x: np.ndarray) -> PrincipalPlane:
    """The first two principal components of the rows of `x` (at least two inputs), by SVD of the
    centred data. Each axis's sign is chosen so that its largest loading is positive: the same
    data always gives the same picture, never its mirror image."""
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if flat.shape[1] < 2 or len(flat) == 0:
        raise ValueError(f"a principal plane needs samples with at least two inputs, got shape {flat.shape}")
    mean = flat.mean(axis=0)
    _, singular, vt = np.linalg.svd(flat - mean, full_matrices=False)
    axes = np.zeros((2, flat.shape[1]))
    axes[:len(vt[:2])] = vt[:2]
    for row in axes:
        biggest = int(np.argmax(np.abs(row)))
        if row[biggest] < 0:
            row *= -1
    variance = singular ** 2
    total = float(variance.sum())
    share = [float(v / total) if total > 0 else 0.0 for v in variance[:2]] + [0.0] * (2 - len(variance[:2]))
    return PrincipalPlane(mean, axes, (share[0], share[1]))
