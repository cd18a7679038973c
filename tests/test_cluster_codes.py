"""Clustering learned codes (playground.labs.cluster_codes, `playground lab cluster --codes`): the
indices are scikit-learn's on the assignments, the pixel k-means is scikit-learn's KMeans with the
seed, every representation gets one value per seed, and the verdict is Welch's test (scipy)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import adjusted_rand_score

from playground.command_line.main import main
from playground.labs import cluster_codes as cc


@pytest.fixture(scope="module")
def tiny() -> cc.CodesComparison:
    return cc.compare(seeds=2, epochs=1)


def test_index_is_sklearns_on_the_same_assignments(tiny: cc.CodesComparison) -> None:
    for name in cc.REPRESENTATIONS:
        for labels, value in zip(tiny.assignments[name], tiny.ari[name]):
            assert value == pytest.approx(adjusted_rand_score(tiny.y, labels), abs=1e-12)
            assert len(labels) == len(tiny.y) == 1797


def test_pixel_kmeans_is_sklearns_kmeans_with_the_seed(tiny: cc.CodesComparison) -> None:
    x, y, _ = cc.digits()
    flat = x.reshape(len(x), -1).astype(np.float64)
    for seed, labels in zip(tiny.seeds, tiny.assignments["pixels"]):
        direct = KMeans(10, init="k-means++", n_init=1, random_state=seed).fit(flat).labels_
        assert np.array_equal(labels, direct)
    # the images and labels are the digits themselves: every image's pixels appear in scikit-learn's set
    raw = load_digits()
    assert sorted(np.bincount(y)) == sorted(np.bincount(raw.target))
    assert np.allclose(np.sort(flat.sum(1)), np.sort(raw.data.sum(1) / 16.0), atol=1e-4)


def test_codes_come_from_the_trained_networks_not_the_pixels(tiny: cc.CodesComparison) -> None:
    # different features give different partitions: a code's assignment is no copy of the pixels'
    for name in ("autoencoder", "vae"):
        for labels, pixel_labels in zip(tiny.assignments[name], tiny.assignments["pixels"]):
            assert adjusted_rand_score(pixel_labels, labels) < 0.99


def test_command_gives_a_value_per_seed_and_welchs_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "cluster", "--codes", "--seeds", "5", "--epochs", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ari = data["adjusted_rand_index"]
    assert set(ari) == {"pixels", "autoencoder", "vae"}
    for name, a in ari.items():
        assert len(a["per_seed"]) == 5
        assert a["mean"] == pytest.approx(np.mean(a["per_seed"]))
        assert a["sd"] == pytest.approx(np.std(a["per_seed"], ddof=1))
    for name in ("autoencoder", "vae"):
        v = data["verdicts"][name]
        p = stats.ttest_ind(ari[name]["per_seed"], ari["pixels"]["per_seed"], equal_var=False).pvalue
        assert v["p_value"] == pytest.approx(p)
        assert v["verdict"] == ("outside noise" if p < 0.05 else "within noise")
        assert v["difference"] == pytest.approx(ari[name]["mean"] - ari["pixels"]["mean"])


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown representation"):
        cc.compare(seeds=2, epochs=1, representations=("pixels", "pca"))
    with pytest.raises(SystemExit):
        main(["lab", "cluster", "--codes", "--seeds", "1"])
