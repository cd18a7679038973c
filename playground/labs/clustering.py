"""The clustering lab: k-means step by step, k-means++ against random starts, and where k-means
fails against single-linkage agglomerative clustering, on the 2-D sets.

k-means (Lloyd's algorithm) alternates two steps the notes name: assign every point to its
nearest centre, then move every centre to the mean of its points; the objective (the sum of
squared distances to the assigned centres, scikit-learn's `inertia_`) never rises. Its result
depends on the start: k-means++ spreads the first centres apart, and over 20 starts its
objectives are lower and less spread than those of random starts. k-means cuts the plane into
convex cells, so two moons defeat it where single linkage, which chains nearest neighbours,
follows them once its dendrogram is cut a little below the top (a stray point keeps a cluster of
its own until the last merges, so the cut at exactly k = 2 clusters can miss the moons). Scored against the true classes by the adjusted Rand index (1: the
same partition, about 0: chance).

Computed with scikit-learn (KMeans, kmeans_plusplus, AgglomerativeClustering, adjusted_rand_score)
and scipy's `cluster.hierarchy` for the dendrogram; the steps are Lloyd's, written out so a
student can read them, and end where scikit-learn's KMeans ends from the same start.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.data.base import make_dataset

SETS = ("blobs", "moons", "circle", "spiral", "xor")
INITS = ("k-means++", "random")
STARTS = 20
MAX_ITERATIONS = 100


@dataclass(frozen=True)
class KMeansStep:
    """One iteration: the centres it started from, the assignment to them, and the objective of
    that assignment; `moved` is how far the update then moved the centres (largest move)."""

    centres: np.ndarray
    labels: np.ndarray
    objective: float
    moved: float


@dataclass
class ClusterLab:
    data: str
    k: int
    init: str
    seed: int
    x: np.ndarray
    y: np.ndarray
    steps: list[KMeansStep] = field(default_factory=list)
    starts: dict[str, list[float]] = field(default_factory=dict)
    """The final objective of each of `STARTS` runs per start method."""
    kmeans_ari: float = 0.0
    single_linkage_ari: float = 0.0
    single_linkage_labels: np.ndarray | None = None
    linkage: np.ndarray | None = None
    """scipy's linkage matrix of single linkage (the dendrogram)."""

    def cut(self, height: float) -> np.ndarray:
        """Cluster labels where the dendrogram is cut at `height` (the lab's draggable line)."""
        from scipy.cluster.hierarchy import fcluster
        return fcluster(self.linkage, t=height, criterion="distance") - 1

    def cut_score(self, height: float) -> tuple[int, float]:
        """What the student's cut at `height` gives: its number of clusters and their adjusted Rand
        index against the true classes."""
        from sklearn.metrics import adjusted_rand_score
        labels = self.cut(height)
        return int(labels.max()) + 1, float(adjusted_rand_score(self.y, labels))

    def cut_height(self, clusters: int) -> float:
        """A height whose cut leaves `clusters` clusters: midway between the merge that would join
        two of them and the one below it (where the lab's cut line starts)."""
        heights = self.linkage[:, 2]
        n = len(heights) + 1
        clusters = min(max(clusters, 1), n)
        if clusters == 1:
            return float(heights[-1] * 1.05)
        below = heights[n - clusters - 1] if clusters < n else 0.0
        return float((below + heights[n - clusters]) / 2)

    def as_json(self) -> dict[str, Any]:
        return {
            "data": self.data, "k": self.k, "init": self.init, "seed": self.seed,
            "objective_per_iteration": [s.objective for s in self.steps],
            "iterations": len(self.steps),
            "final_centres": self.steps[-1].centres.tolist() if self.steps else [],
            "starts": {m: {"objectives": v, **dict(zip(("mean", "std"), start_spread(v))), "best": float(np.min(v))}
                       for m, v in self.starts.items()},
            "adjusted_rand_index": {"kmeans": self.kmeans_ari, "single_linkage": self.single_linkage_ari},
        }


def matched_to(labels: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`labels` renumbered to line up with the clusters of `reference` (another clustering of the
    same points), so that two plots of them can colour the same group alike: each cluster takes
    the number of the reference cluster it shares the most points with, one to one (the
    assignment that maximizes the shared points, scipy's `linear_sum_assignment` on the
    contingency table); the clusters left over are numbered from above the reference's, the
    largest first."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics.cluster import contingency_matrix
    ids, inverse = np.unique(labels, return_inverse=True)
    reference_ids = np.unique(reference)
    shared = contingency_matrix(labels, reference)   # rows: `ids`, columns: `reference_ids`
    number = np.full(len(ids), -1, dtype=np.int64)
    for row, column in zip(*linear_sum_assignment(shared, maximize=True)):
        if shared[row, column] > 0:
            number[row] = reference_ids[column]
    rest = np.flatnonzero(number < 0)
    rest = rest[np.argsort(-np.bincount(inverse)[rest], kind="stable")]
    first = int(reference_ids.max()) + 1 if len(reference_ids) else 0
    number[rest] = np.arange(first, first + len(rest))
    return number[inverse]


def start_spread(objectives: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of the starts' final objectives. A spread under a
    billionth of the mean is rounding (every start reached the same end) and is 0, as is the
    spread of a single start."""
    values = np.asarray(objectives, dtype=float)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return mean, 0.0 if sd <= 1e-9 * abs(mean) else sd


def points(data: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The set's points (standardized, as the networks see them; train and validation splits
    together) and their true classes."""
    if data not in SETS:
        raise ValueError(f"unknown set {data!r} for the clustering lab (one of {', '.join(SETS)})")
    ds = make_dataset(data, {"seed": seed, "test_fraction": 0.0})
    return np.concatenate([ds.x_train, ds.x_val]).astype(np.float64), np.concatenate([ds.y_train, ds.y_val])


def initial_centres(x: np.ndarray, k: int, init: str, seed: int) -> np.ndarray:
    """The start: k-means++ (scikit-learn's `kmeans_plusplus`) or k points drawn at random."""
    if init == "k-means++":
        from sklearn.cluster import kmeans_plusplus
        centres, _ = kmeans_plusplus(x, k, random_state=seed)
        return centres
    if init == "random":
        return x[np.random.default_rng(seed).choice(len(x), size=k, replace=False)].copy()
    raise ValueError(f"unknown start {init!r} (one of {', '.join(INITS)})")


def lloyd(x: np.ndarray, centres: np.ndarray, max_iterations: int = MAX_ITERATIONS) -> list[KMeansStep]:
    """Lloyd's iterations from `centres` until no centre moves; a centre left without points
    stays where it is."""
    steps = []
    centres = centres.copy()
    for _ in range(max_iterations):
        d2 = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
        labels = d2.argmin(1)
        objective = float(d2[np.arange(len(x)), labels].sum())
        new = np.array([x[labels == j].mean(0) if np.any(labels == j) else centres[j] for j in range(len(centres))])
        moved = float(np.sqrt(((new - centres) ** 2).sum(1)).max())
        steps.append(KMeansStep(centres, labels, objective, moved))
        centres = new
        if moved == 0.0:
            break
    return steps


def objectives_over_starts(x: np.ndarray, k: int, starts: int = STARTS) -> dict[str, list[float]]:
    """scikit-learn's KMeans run to the end from `starts` starts of each kind (seeds 0..starts-1)."""
    from sklearn.cluster import KMeans
    return {init: [float(KMeans(k, init=init, n_init=1, random_state=s).fit(x).inertia_) for s in range(starts)]
            for init in INITS}


def explore(data: str = "blobs", k: int | None = None, init: str = "k-means++", seed: int = 0,
            starts: int = STARTS) -> ClusterLab:
    """The whole lab on one set: the steps from one start, the objectives over many starts, and
    k-means against single linkage by the adjusted Rand index."""
    from scipy.cluster.hierarchy import linkage
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score
    x, y = points(data, seed)
    k = k or int(y.max()) + 1
    if not 1 <= k <= min(20, len(x)):
        raise ValueError(f"k must be 1 to {min(20, len(x))}, got {k}")
    lab = ClusterLab(data, k, init, seed, x, y)
    lab.steps = lloyd(x, initial_centres(x, k, init, seed))
    lab.starts = objectives_over_starts(x, k, starts)
    lab.kmeans_ari = float(adjusted_rand_score(y, lab.steps[-1].labels))
    single = AgglomerativeClustering(n_clusters=k, linkage="single").fit(x)
    lab.single_linkage_labels = single.labels_
    lab.single_linkage_ari = float(adjusted_rand_score(y, single.labels_))
    lab.linkage = linkage(x, method="single")
    return lab
