"""Clustering learned codes: does k-means find the digits better in an autoencoder's code than in
the raw pixels?

k-means (k = 10, a k-means++ start) runs on every digit image (all three splits: the autoencoders
train without labels, so no label leaks into a code) as 64 raw pixels, as the 8-number code of a
trained `digits_autoencoder`, and as the 4 means μ of a trained `vae_digits` (its Sampling node's
first input: the code without the sampling noise). Each partition is scored against the true
digits by the adjusted Rand index (1: the digits exactly, about 0: chance). One seed trains the
autoencoders and starts k-means, so the spread over seeds is the whole noise of the recipe;
whether the codes beat the pixels by more than that noise is judged above this package (Welch's
test, `run_records.verdicts`), where the command and the app read these numbers.

The autoencoders train briefly (`EPOCHS`, not their presets' 60) so five seeds take well under a
minute on a CPU; the figures are for that recipe, and the lab reports whatever they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

K = 10
SEEDS = 5
EPOCHS = 10
DATA_SEED = 0
"""The digits' split is fixed: only the recipe's seed varies between runs."""
REPRESENTATIONS = ("pixels", "autoencoder", "vae")
PRESETS = {"autoencoder": "digits_autoencoder", "vae": "vae_digits"}
LABELS = {"pixels": "raw pixels (64)", "autoencoder": "digits_autoencoder code (8)", "vae": "vae_digits mean μ (4)"}
METRIC = "adjusted Rand index"


@dataclass
class CodesComparison:
    """Per representation, each seed's k-means assignment and its adjusted Rand index."""

    seeds: list[int]
    epochs: int
    y: np.ndarray
    assignments: dict[str, list[np.ndarray]] = field(default_factory=dict)
    ari: dict[str, list[float]] = field(default_factory=dict)

    def mean(self, name: str) -> float:
        return float(np.mean(self.ari[name]))

    def sd(self, name: str) -> float:
        values = self.ari[name]
        return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"k": K, "seeds": self.seeds, "epochs": self.epochs, "images": int(len(self.y)),
                "metric": METRIC,
                "adjusted_rand_index": {name: {"per_seed": values, "mean": self.mean(name), "sd": self.sd(name)}
                                        for name, values in self.ari.items()}}


def digits() -> tuple[np.ndarray, np.ndarray, Any]:
    """Every digit image (train, validation and test splits) with its label, and the data set."""
    from playground.data import make_dataset
    ds = make_dataset("digits", {"seed": DATA_SEED})
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test]).astype(np.float32)
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test]).astype(np.int64)
    return x, y, ds


def kmeans_labels(x: np.ndarray, seed: int, k: int = K) -> np.ndarray:
    """scikit-learn's k-means from one k-means++ start seeded by `seed`."""
    from sklearn.cluster import KMeans
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    return KMeans(k, init="k-means++", n_init=1, random_state=seed).fit(flat).labels_


def trained_codes(representation: str, seed: int, epochs: int, x: np.ndarray, dataset: Any) -> np.ndarray:
    """Train the representation's preset for `epochs` from `seed` (on the CPU) and encode `x`: the
    code node's values, or a VAE's μ."""
    import torch
    from playground.network.preset import resolve_preset
    from playground.training.trainer import Trainer
    preset = resolve_preset(PRESETS[representation])
    preset.training.seed = seed
    preset.training.epochs = epochs
    trainer = Trainer(preset, device="cpu", dataset=dataset, views=())
    trainer.run()
    model = trainer.model
    sampling = next((nid for nid, _ in model.plan if type(getattr(model, nid)).__name__ == "Sampling"), "")
    node = dict(model.plan)[sampling][0] if sampling else preset.training.code_node
    if not node:
        raise ValueError(f"{PRESETS[representation]} names no code node")
    model.eval()
    with torch.no_grad():
        codes = model.forward_all(torch.from_numpy(x))[node]
    return codes.reshape(len(x), -1).numpy()


def compare(seeds: int = SEEDS, epochs: int = EPOCHS, representations: tuple[str, ...] = REPRESENTATIONS,
            on_progress: Callable[[str], None] | None = None) -> CodesComparison:
    """k-means on each representation for seeds 0..seeds-1, scored against the digits' labels."""
    unknown = [r for r in representations if r not in REPRESENTATIONS]
    if unknown:
        raise ValueError(f"unknown representation {unknown[0]!r} (one of {', '.join(REPRESENTATIONS)})")
    if seeds < 1 or epochs < 1:
        raise ValueError(f"seeds and epochs must be at least 1, got {seeds} and {epochs}")
    import torch
    from threadpoolctl import threadpool_limits
    x, y, dataset = digits()
    result = CodesComparison(list(range(seeds)), epochs, y)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # models and data this small run fastest on one thread (and far
    try:                       # faster than on several when the cores are busy)
        with threadpool_limits(1):
            _fill(result, x, dataset, representations, on_progress)
    finally:
        torch.set_num_threads(threads)
    return result


def _fill(result: CodesComparison, x: np.ndarray, dataset: Any, representations: tuple[str, ...],
          on_progress: Callable[[str], None] | None) -> None:
    from sklearn.metrics import adjusted_rand_score
    seeds, epochs, y = len(result.seeds), result.epochs, result.y
    for name in representations:
        result.assignments[name], result.ari[name] = [], []
        for seed in result.seeds:
            if on_progress is not None:
                on_progress(f"{LABELS[name]}: seed {seed + 1} of {seeds}")
            features = x if name == "pixels" else trained_codes(name, seed, epochs, x, dataset)
            labels = kmeans_labels(features, seed)
            result.assignments[name].append(labels)
            result.ari[name].append(float(adjusted_rand_score(y, labels)))
