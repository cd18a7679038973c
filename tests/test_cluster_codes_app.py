"""The clustering lab's codes tab: Run trains and clusters off the GUI thread, then draws one dot
per seed and representation at the engine's indices, the mean bars, and Welch's verdict."""
from __future__ import annotations

import numpy as np
from scipy import stats

from playground.labs import cluster_codes as cc
from widgets.labs.cluster_codes import CodesSection
from widgets.labs.clustering import ClusteringLabPage
from widgets.tasks import running_tasks

WAIT_MS = 180_000
"""Ten tiny trainings' patience on a loaded 2-core machine (waited on as a condition, never slept)."""


def test_run_draws_each_seed_and_the_verdict(qtbot) -> None:
    section = CodesSection()
    qtbot.addWidget(section)
    section.show()
    section.seeds_box.setValue(3)
    section.epochs_box.setValue(1)
    section.run_button.click()
    assert section.running and not section.run_button.isEnabled()
    qtbot.waitUntil(lambda: section.result is not None, timeout=WAIT_MS)
    assert not running_tasks("lab") and section.run_button.isEnabled()
    result = section.result
    x, y = section.dots.getData()
    assert len(x) == 9
    expected = np.concatenate([result.ari[n] for n in cc.REPRESENTATIONS])
    assert np.allclose(np.sort(y), np.sort(expected))
    heights = section.bars.opts["height"]
    assert np.allclose(heights, [np.mean(result.ari[n]) for n in cc.REPRESENTATIONS])
    p = stats.ttest_ind(result.ari["autoencoder"], result.ari["pixels"], equal_var=False).pvalue
    text = section.verdict_label.text()
    assert "Welch" in text and f"p = {p:.3g}" in text
    assert ("outside noise" if p < 0.05 else "within noise") in text


def test_page_given_a_comparison_shows_its_tab_and_computes_the_sets_when_asked(qtbot, monkeypatch) -> None:
    monkeypatch.setattr(ClusteringLabPage, "starts", 2)
    comparison = cc.CodesComparison([0, 1], 1, np.zeros(4, dtype=int),
                                     ari={"pixels": [0.6, 0.62], "autoencoder": [0.5, 0.55]})
    page = ClusteringLabPage(lab=comparison)
    qtbot.addWidget(page)
    page.show()
    assert page.tabs.currentWidget() is page.codes and not page.computing
    assert len(page.codes.dots.getData()[0]) == 4
    page.tabs.setCurrentWidget(page.sets_tab)
    assert page.computing
    qtbot.waitUntil(lambda: page.lab is not None, timeout=WAIT_MS)
    page.shutdown()
