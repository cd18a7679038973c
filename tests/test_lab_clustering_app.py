"""The clustering lab's page (issue 25): it opens from the labs window and computes off the GUI
thread, its steps colour the points as the engine's assignment does, the dragged cut reports
what scikit-learn's single linkage stopped at that distance gives, and `lab cluster --png` draws it."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

from playground.labs import clustering
from widgets.labs.clustering import ClusteringLabPage
from widgets.labs.window import LabsWindow

WAIT_MS = 120_000
"""A computation's patience on a loaded 2-core machine (waited on as a condition, never slept)."""


@pytest.fixture(scope="module")
def moons() -> clustering.ClusterLab:
    return clustering.explore("moons", starts=3)


def brush_colours(item) -> list[str]:
    return [b.color().name() for b in item.data["brush"]]


def same_partition(colours: list[str], labels: np.ndarray) -> bool:
    return adjusted_rand_score(labels, colours) == pytest.approx(1.0)


def test_the_page_opens_from_the_labs_window_and_computes_off_the_gui_thread(qtbot, monkeypatch):
    monkeypatch.setattr(ClusteringLabPage, "starts", 2)
    window = LabsWindow(first="cluster")
    qtbot.addWidget(window)
    window.show()
    page = window.pages["cluster"]
    assert isinstance(page, ClusteringLabPage)
    assert page.lab is None and page.computing and page.busy_label.text() == "computing…"
    qtbot.waitUntil(lambda: page.lab is not None, timeout=WAIT_MS)
    assert (page.lab.data, page.lab.k, page.lab.init, page.lab.seed) == ("blobs", 3, "k-means++", 0)
    assert len(page.lab.starts["random"]) == 2 and page.busy_label.text() == ""
    # settings changed while a computation runs: only the newest is drawn
    page.data_box.setCurrentText("circle")
    page.data_box.setCurrentText("moons")
    assert page.lab.data == "blobs"
    qtbot.waitUntil(lambda: not page.computing, timeout=WAIT_MS)
    assert page.lab.data == "moons" and page.lab.k == 2
    page.seed_box.setValue(3)
    thread = page.task._thread
    window.close()   # waits for the computation in flight
    assert not thread.is_alive()


def test_stepping_colours_the_points_by_that_steps_assignment(qtbot, moons):
    page = ClusteringLabPage(lab=moons)
    qtbot.addWidget(page)
    page.show()
    steps = moons.steps
    assert len(steps) >= 3 and not same_partition(brush_colours(page.kmeans_points), steps[1].labels)
    assert same_partition(brush_colours(page.kmeans_points), steps[0].labels)
    assert not page.previous_button.isEnabled()
    page.next_button.click()   # the update: the centres move to the means, the points keep their cluster
    assert np.allclose(np.column_stack(page.centres.getData()), steps[1].centres)
    assert same_partition(brush_colours(page.kmeans_points), steps[0].labels)
    page.next_button.click()   # the second assignment
    assert same_partition(brush_colours(page.kmeans_points), steps[1].labels)
    assert page.step_text.text().startswith(f"Iteration 2 of {len(steps)}, assign")
    assert list(page.objective_mark.getData()[1]) == [pytest.approx(steps[1].objective)]
    page.step_slider.setValue(page.step_slider.maximum())
    assert same_partition(brush_colours(page.kmeans_points), steps[-1].labels)
    assert "converged" in page.step_text.text() and not page.next_button.isEnabled()
    page.previous_button.click()
    assert page.step_slider.value() == page.step_slider.maximum() - 1


def test_dragging_the_cut_reports_what_single_linkage_at_that_distance_gives(qtbot, moons):
    page = ClusteringLabPage(lab=moons)
    qtbot.addWidget(page)
    page.show()
    assert f"2 clusters, adjusted Rand index {moons.single_linkage_ari:.3f}" in page.cut_text.text()
    merges = moons.linkage[:, 2]
    for height in ((merges[-4] + merges[-3]) / 2, (merges[-30] + merges[-29]) / 2):   # between merges
        page.cut_line.setValue(height)
        reference = AgglomerativeClustering(n_clusters=None, distance_threshold=height, linkage="single").fit(moons.x)
        ari = adjusted_rand_score(moons.y, reference.labels_)
        assert f"{reference.n_clusters_} clusters, adjusted Rand index {ari:.3f}" in page.cut_text.text()
    page.cut_line.setValue((merges[-4] + merges[-3]) / 2)
    reference = AgglomerativeClustering(n_clusters=4, linkage="single").fit(moons.x)
    assert same_partition(brush_colours(page.cut_points), reference.labels_)


def test_lab_cluster_png_from_the_command_line(tmp_path):
    from PySide6.QtGui import QColor, QImage

    from widgets.launch import main
    out = tmp_path / "cluster.png"
    assert main(["lab", "cluster", "--data", "moons", "--starts", "2", "--png", str(out)]) == 0
    img = QImage(str(out))
    assert out.stat().st_size > 0 and (img.width(), img.height()) == (1366, 768)
    cut_red = QColor("#d62728").rgb()
    assert any(img.pixel(x, y) == cut_red for x in range(img.width() // 2, img.width()) for y in range(0, 768, 2))


def test_the_cut_colours_a_group_as_the_k_means_plot_colours_it(qtbot):
    """Both plots coloured their clusters by their own numbering: on blobs, where k-means and the
    cut find the same three groups, the same points were red in one plot and blue in the other."""
    lab = clustering.explore("blobs", starts=2)
    page = ClusteringLabPage(lab=lab)
    qtbot.addWidget(page)
    page.show()
    page.step_slider.setValue(page.step_slider.maximum())   # k-means' last step
    page.cut_line.setValue(lab.cut_height(3))
    kmeans, cut = brush_colours(page.kmeans_points), brush_colours(page.cut_points)
    assert adjusted_rand_score(lab.steps[-1].labels, lab.cut(lab.cut_height(3))) > 0.9   # the same groups
    agree = np.mean([a == b for a, b in zip(kmeans, cut)])
    assert agree > 0.9 and len(set(cut)) == 3
    page.cut_line.setValue(lab.cut_height(1))
    assert page.cut_plot.titleLabel.text.endswith(": 1 cluster") and "1 cluster," in page.cut_text.text()
