"""Grid against random search (issue 26): with 9 trials over two settings the grid of
`search --sampler grid` tries exactly 3 values of each, random search 9 distinct values of the one
that matters; the best losses are the objective's own values at those points, and the command's
JSON, the lab and its page show the same numbers."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from playground.command_line.main import main
from playground.selection import grid_random as gr


def _by_hand(lr: float, other: float, best_log_lr: float, best_other: float) -> float:
    """The objective written out: 0.1 + 0.6·(1 − exp(−½((log10 lr − c)/0.4)²)) + 0.012·(other − d)²."""
    return 0.1 + 0.6 * (1 - math.exp(-0.5 * ((math.log10(lr) - best_log_lr) / 0.4) ** 2)) + 0.012 * (other - best_other) ** 2


def test_the_grid_tries_3_values_of_each_setting_and_random_9_of_the_important_one():
    lab = gr.explore(repeats=3, seed=5)
    for run in lab.repeats:
        grid, rand = run.searches["grid"], run.searches["random"]
        assert len(grid.trials) == len(rand.trials) == 9
        assert sorted({t.lr for t in grid.trials}) == [1e-4, 1e-2, 1.0]             # log-spaced, ends included
        assert sorted({t.other for t in grid.trials}) == [0.0, 0.5, 1.0]
        assert len({(t.lr, t.other) for t in grid.trials}) == 9                       # every cell once
        assert len({t.lr for t in rand.trials}) == 9
        assert all(1e-4 <= t.lr <= 1.0 and 0.0 <= t.other <= 1.0 for t in rand.trials)
        for t in grid.trials + rand.trials:
            assert math.isclose(t.loss, _by_hand(t.lr, t.other, run.objective.best_log_lr, run.objective.best_other))
    assert lab.covered("grid", "lr") == [3, 3, 3] and lab.covered("random", "lr") == [9, 9, 9]


def test_best_losses_mean_sd_and_welch_come_from_the_trials():
    lab = gr.explore(repeats=4, seed=0)
    for name in gr.SAMPLERS:
        best = [min(t.loss for t in r.searches[name].trials) for r in lab.repeats]
        assert lab.best(name) == best
        assert math.isclose(lab.spread(name).mean, np.mean(best)) and math.isclose(lab.spread(name).std, np.std(best, ddof=1))
    p = stats.ttest_ind(lab.best("random"), lab.best("grid"), equal_var=False).pvalue
    assert math.isclose(lab.verdict.p_value, p)


def test_the_command_prints_the_labs_numbers_and_refuses_one_repeat(capsys):
    assert main(["lab", "grid-random", "--repeats", "3", "--seed", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    lab = gr.explore(repeats=3, seed=2)
    assert data["best_loss"] == {s: lab.best(s) for s in gr.SAMPLERS}
    assert data["distinct_important"] == {"grid": [3, 3, 3], "random": [9, 9, 9]}
    assert data["summary"] == lab.summary()
    with pytest.raises(SystemExit) as exit_:
        main(["lab", "grid-random", "--repeats", "1"])
    assert exit_.value.code == 2 and "playground: error: argument --repeats: must be from 2" in capsys.readouterr().err
