"""The clustering lab (issue 25): Lloyd's steps end where scikit-learn's KMeans ends from the same
start, the objective never rises, k-means++ starts beat random ones on blobs, and single linkage
follows the moons where k-means cannot."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score

from playground.command_line.main import main
from playground.labs import clustering


@pytest.mark.parametrize("data", ["blobs", "moons"])
def test_the_steps_end_where_scikit_learns_kmeans_ends_from_the_same_start(data):
    x, y = clustering.points(data, 0)
    start = clustering.initial_centres(x, 3, "random", 5)
    steps = clustering.lloyd(x, start)
    reference = KMeans(3, init=start, n_init=1, algorithm="lloyd", tol=0.0).fit(x)
    assert np.allclose(np.sort(steps[-1].centres, axis=0), np.sort(reference.cluster_centers_, axis=0), atol=1e-8)
    assert steps[-1].objective == pytest.approx(reference.inertia_, rel=1e-9)
    objectives = [s.objective for s in steps]
    assert all(b <= a + 1e-9 for a, b in zip(objectives, objectives[1:]))


def test_an_assignment_step_by_hand():
    x = np.array([[0.0, 0], [1, 0], [10, 0], [11, 0]])
    steps = clustering.lloyd(x, np.array([[0.0, 0], [1, 0]]))
    first = steps[0]
    assert first.labels.tolist() == [0, 1, 1, 1]
    assert first.objective == pytest.approx(0 + 0 + 81 + 100)
    # the update moves centre 1 to the mean of 1, 10 and 11: 22/3; the second step reassigns
    assert steps[1].centres[1, 0] == pytest.approx(22 / 3)
    assert steps[-1].labels.tolist() == [0, 0, 1, 1]


def test_single_linkage_and_the_rand_index_equal_scikit_learn():
    lab = clustering.explore("moons", starts=3)
    single = AgglomerativeClustering(n_clusters=2, linkage="single").fit(lab.x)
    assert lab.single_linkage_ari == pytest.approx(adjusted_rand_score(lab.y, single.labels_))
    assert lab.kmeans_ari == pytest.approx(adjusted_rand_score(lab.y, lab.steps[-1].labels))
    # cutting the dendrogram just below its top merge gives two clusters, as n_clusters=2 does
    top = lab.linkage[-1, 2]
    assert adjusted_rand_score(single.labels_, lab.cut(top * (1 - 1e-9))) == pytest.approx(1.0)


@pytest.mark.figure
@pytest.mark.parametrize("seed", range(5))
def test_what_the_lab_shows(seed):
    """Measured over seeds 0-4: on blobs, k-means++ starts reach a lower mean objective than
    random starts; on two moons k-means cuts straight across (adjusted Rand index 0.44-0.55) while
    single linkage, cut a little below the top (3 to 6 clusters: a stray point keeps a cluster of its
    own until the last merges), follows the moons (0.97-0.99)."""
    blobs = clustering.explore("blobs", seed=seed, starts=10)
    assert np.mean(blobs.starts["k-means++"]) < np.mean(blobs.starts["random"])
    moons = clustering.explore("moons", seed=seed, starts=2)
    best_cut = max(moons.cut_score(moons.cut_height(c))[1] for c in range(3, 7))
    assert best_cut > 0.9 and moons.kmeans_ari < 0.7


def test_the_lab_command_prints_json_and_refuses_a_bad_k(capsys):
    assert main(["lab", "cluster", "--data", "blobs", "--starts", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["k"] == 3 and len(doc["starts"]["random"]["objectives"]) == 3
    with pytest.raises(SystemExit) as bad:
        main(["lab", "cluster", "--k", "0"])
    assert bad.value.code == 2 and "--k: must be from 1 to 20" in capsys.readouterr().err


def test_the_students_cut_scores_as_scikit_learns_clustering_at_that_distance():
    """The dragged cut's cluster count and Rand index, checked against scikit-learn's single-linkage
    clustering stopped at the same distance (it merges while the distance is under the threshold)."""
    lab = clustering.explore("moons", starts=2)
    heights = [lab.cut_height(2), lab.cut_height(3), lab.cut_height(7), 0.05]
    for height in heights:
        reference = AgglomerativeClustering(n_clusters=None, distance_threshold=height, linkage="single").fit(lab.x)
        assert lab.cut_score(height) == (reference.n_clusters_,
                                         pytest.approx(adjusted_rand_score(lab.y, reference.labels_)))
    assert [lab.cut_score(h)[0] for h in heights[:3]] == [2, 3, 7]
    assert lab.cut_score(lab.cut_height(2))[1] == pytest.approx(lab.single_linkage_ari)


def test_the_spread_of_the_starts_is_the_sample_sd_and_rounding_is_none():
    """The lab's 'mean ± sd' and its --json read one reckoning: the sample sd (n − 1, as the
    notes' spreads), 0 where the starts differ only in the last bits, and 0 for one start."""
    mean, sd = clustering.start_spread([1.0, 2.0, 4.0])
    assert mean == pytest.approx(7 / 3) and sd == pytest.approx(math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2
                                                                          + (4 - 7 / 3) ** 2) / 2))
    mean, sd = clustering.start_spread([10.0, 10.0 + 1e-12, 10.0 - 1e-12])
    assert sd == 0.0 and mean == pytest.approx(10.0)
    assert clustering.start_spread([3.5]) == (3.5, 0.0)


def test_matched_to_numbers_each_cluster_after_the_reference_cluster_it_shares_most_points_with():
    reference = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    labels = np.array([5, 5, 5, 2, 2, 7, 9, 9])   # 5 ~ 0, 2 ~ 1, 9 ~ 2; 7 (one point) is left over
    assert clustering.matched_to(labels, reference).tolist() == [0, 0, 0, 1, 1, 3, 2, 2]
    # one to one: two clusters both mostly in reference 0; the larger overlap takes its number
    reference = np.array([0, 0, 0, 0, 0, 1, 1])
    labels = np.array([4, 4, 4, 8, 8, 8, 8])   # 4 shares 3 with 0; 8 shares 2 with 0 and 2 with 1
    assert clustering.matched_to(labels, reference).tolist() == [0, 0, 0, 1, 1, 1, 1]
    # leftovers are numbered largest first, above the reference's numbers
    reference = np.zeros(6, dtype=int)
    labels = np.array([3, 3, 3, 1, 2, 2])
    assert clustering.matched_to(labels, reference).tolist() == [0, 0, 0, 2, 1, 1]
    # a relabelled copy of the reference comes back as the reference
    rng = np.random.default_rng(0)
    reference = rng.integers(0, 5, 200)
    assert (clustering.matched_to((reference * 7 + 3) % 11, reference) == reference).all()
