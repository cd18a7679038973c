"""Random search in log space: uniform in log10, bad ranges refused by name, resumable studies."""
from __future__ import annotations

import json
import math

import numpy as np
import optuna
import pytest
from scipy import stats

from playground.selection.search import (
    ParamRange, SearchError, Trial, edge_warnings, narrowed, parse_param, run_search, suggest)
from playground.network.preset import resolve_preset


def test_log_ranges_are_sampled_uniformly_in_log10():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = parse_param("training.lr=1e-5:1e-1:log")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = np.array([suggest(study.ask(), rng) for _ in range(2000)])
    logs = np.log10(values)
    assert logs.min() >= -5 and logs.max() <= -1
    p = stats.kstest(logs, stats.uniform(loc=-5, scale=4).cdf).pvalue
    assert p > 0.01
    # and a linear draw of the same range is not: most of it lies in the top decade
    assert stats.kstest(np.log10(np.random.default_rng(0).uniform(1e-5, 1e-1, 2000)),
                        stats.uniform(loc=-5, scale=4).cdf).pvalue < 1e-6


@pytest.mark.parametrize("spec, words", [
    ("training.lr=1e-1:1e-4:log", "LO < HI"),
    ("training.lr=0:1e-1:log", "LO > 0"),
    ("training.lr=a:b", "numbers"),
    ("training.lr=1e-4:1e-1:exp", "'log'"),
    ("training.nonsense=1:2", "nonsense"),
    ("training.optimizer=1:2", "only numbers"),
    ("lr", "KEY=LO:HI"),
])
def test_a_bad_param_is_refused_naming_it(spec, words):
    with pytest.raises(SearchError) as e:
        parse_param(spec, resolve_preset("xor_mlp"))
    assert spec in str(e.value) and words in str(e.value)


def test_short_keys_and_integers():
    assert parse_param("lr=1e-4:1e-1:log") == ParamRange("training.lr", 1e-4, 1e-1, True, False)
    assert parse_param("training.batch_size=8:64:log").integer


def test_edge_warning_and_narrowing():
    rng = ParamRange("training.lr", 1e-4, 1e-1, log=True)
    near_top = Trial({"training.lr": 0.08}, 0.1, None)
    assert "widen the range" in edge_warnings([rng], near_top)[0]
    assert edge_warnings([rng], Trial({"training.lr": 3e-3}, 0.1, None)) == []
    trials = [Trial({"training.lr": v}, loss, None) for v, loss in
              [(1e-4, 2.0), (1e-3, 0.5), (2e-3, 0.4), (3e-3, 0.45), (5e-2, 3.0), (1e-2, 1.0)]]
    fine = narrowed([rng], trials)[0]
    assert 1e-4 < fine.low < 1e-3 and 3e-3 < fine.high < 1e-2 and fine.log


def test_a_search_records_its_trials_and_resumes(tmp_path):
    preset = resolve_preset("xor_mlp")
    preset.training.device = "cpu"
    ranges = [parse_param("training.lr=1e-3:1e-1:log", preset)]
    first = run_search(preset, ranges, 2, budget_steps=5, runs_folder=tmp_path, seed=1)
    assert first.storage.startswith("sqlite:///") and str(tmp_path) in first.storage
    d = first.to_dict()
    json.dumps(d)
    assert len(d["trials"]) == 2 and set(d["trials"][0]) >= {"params", "value", "run"}
    assert all(1e-3 <= t["params"]["training.lr"] <= 1e-1 for t in d["trials"])
    assert d["best"]["value"] == min(t["value"] for t in d["trials"])
    for t in first.trials:  # each trial is a run record tagged with the study
        run = json.loads((tmp_path / t.run / "run.json").read_text())
        assert run["group"] == "xor_mlp-search" and run["changed"] == t.params
    again = run_search(preset, ranges, 1, budget_steps=5, runs_folder=tmp_path, seed=2, fine_trials=1, fine_steps=5)
    study = optuna.load_study(study_name="xor_mlp-search", storage=first.storage)
    assert len(study.trials) == 3  # resumed: the stored study grew
    assert [t.stage for t in again.trials] == ["coarse", "fine"]
    assert math.isfinite(again.best.value)


def test_nine_grid_trials_try_three_values_of_each_setting_where_random_tries_nine(tmp_path):
    """Bergstra & Bengio (2012): a 3 x 3 grid spends 9 trials on 3 values of the setting that
    matters; 9 random trials try 9. The grid's values are log-spaced by hand: 1e-3, 1e-2, 1e-1."""
    preset = resolve_preset("xor_mlp")
    preset.training.device = "cpu"
    ranges = [parse_param("training.lr=1e-3:1e-1:log", preset), parse_param("training.momentum=0:0.9", preset)]
    grid = run_search(preset, ranges, 10, budget_steps=1, runs_folder=tmp_path, seed=0, sampler="grid",
                      record=False, study_name="grid")
    assert len(grid.trials) == 9   # the 3 x 3 grid, not 10 trials repeating a cell
    lrs = sorted({t.params["training.lr"] for t in grid.trials})
    assert lrs == pytest.approx([1e-3, 1e-2, 1e-1])
    assert sorted({t.params["training.momentum"] for t in grid.trials}) == pytest.approx([0.0, 0.45, 0.9])
    assert len({(t.params["training.lr"], t.params["training.momentum"]) for t in grid.trials}) == 9
    random = run_search(preset, ranges, 9, budget_steps=1, runs_folder=tmp_path, seed=0, sampler="random",
                        record=False, study_name="random")
    assert len({t.params["training.lr"] for t in random.trials}) == 9


def test_a_twin_of_a_search_trial_trains_the_trials_steps_not_the_presets_epochs(tmp_path):
    """A trial trains 12 steps of xor_mlp's 640; its twin trained all 640 (80 epochs), and the
    compare window showed the twin's far better accuracy as the effect of its one changed setting."""
    from playground.run_records.experiments import twin
    from playground.run_records.store import find_run
    preset = resolve_preset("xor_mlp")
    preset.training.device = "cpu"
    ranges = [parse_param("training.lr=1e-3:1e-1:log", preset)]
    result = run_search(preset, ranges, 1, budget_steps=12, runs_folder=tmp_path, seed=1)
    trial = find_run(result.trials[0].run, tmp_path)
    assert trial.step_budget == 12
    child = twin(trial.id, ["training.optimizer=sgd"], tmp_path)
    info = json.loads((tmp_path / child.id / "run.json").read_text())
    summary = json.loads((tmp_path / child.id / "summary.json").read_text())
    assert info["step_budget"] == 12 and summary["steps"] == 12, summary
    assert find_run(child.id, tmp_path).step_budget == 12
    assert "step budget of 12 steps" in json.dumps(summary)
