"""Repeats and verdicts: is a difference bigger than seed noise? And `compare` names what differs."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from playground.command_line.main import main
from playground.run_records.experiments import compare, parse_seeds, repeat, spread, welch_verdict
from playground.network.overrides import apply_overrides
from playground.network.preset import resolve_preset
from playground.run_records.store import group_runs


def test_seed_ranges():
    assert parse_seeds("3") == [0, 1, 2]
    assert parse_seeds("5-9") == [5, 6, 7, 8, 9]
    for bad in ("0", "-2", "9-5", "x", "1-"):
        with pytest.raises(ValueError):
            parse_seeds(bad)


def test_spread_and_welch_numbers():
    s = spread([1.0, 2.0, 3.0], "m")
    assert s.mean == 2.0 and s.std == 1.0 and s.low == pytest.approx(2 - 4.302653 / 3 ** 0.5, rel=1e-5)
    v = welch_verdict([1.0, 1.1, 0.9, 1.0], [2.0, 2.1, 1.9, 2.0], "m")
    assert v.verdict == "outside noise" and v.difference == pytest.approx(1.0) and v.p_value < 1e-4
    assert v.low < 1.0 < v.high
    same = welch_verdict([0.5, 0.5], [0.5, 0.5], "m")  # no spread at all and no difference
    assert same.verdict == "identical results"   # no noise to test, not "p = 1"


def test_adam_against_plain_sgd_on_digits_is_outside_noise(tmp_path, capsys):
    base = resolve_preset("digits_mlp")
    fast = ["training.epochs=2"]
    adam = apply_overrides(base, fast + ["training.optimizer=adam", "training.lr=0.001"])
    sgd = apply_overrides(base, fast + ["training.optimizer=sgd", "training.lr=0.001", "training.momentum=0"])
    ga, ids = repeat(adam, range(5), tmp_path, jobs=1)
    gs, _ = repeat(sgd, range(5), tmp_path, jobs=1)
    assert len(ids) == 5 and len(group_runs(ga, tmp_path)) == 5
    assert sorted(r.seeds["init"] for r in group_runs(ga, tmp_path)) == [0, 1, 2, 3, 4]
    assert main(["compare", ga, gs, "--runs-dir", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert sorted(result["differences"]) == ["training.momentum", "training.optimizer"]
    v = result["verdict"]
    assert v["verdict"] == "outside noise" and v["metric"] == "val_accuracy" and v["p_value"] < 0.05
    assert v["difference"] < 0 and v["a"]["n"] == v["b"]["n"] == 5
    assert main(["compare", ga, gs, "--runs-dir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "training.optimizer" in text and "outside noise" in text


def test_xor_seeds_0_4_against_5_9_is_within_noise(tmp_path, capsys):
    preset = apply_overrides(resolve_preset("xor_mlp"), ["training.epochs=5"])  # not yet at 100%
    ga, _ = repeat(preset, range(0, 5), tmp_path, jobs=1)
    gb, _ = repeat(preset, range(5, 10), tmp_path, jobs=1)
    result = compare([ga, gb], tmp_path)
    assert result["differences"] == []  # the seed is what repeats vary, not a difference
    assert result["verdict"]["verdict"] == "within noise", result["verdict"]
    assert result["verdict"]["p_value"] >= 0.05 and result["verdict"]["a"]["std"] > 0
    by_loss = compare([ga, gb], tmp_path, metric="val_loss")["verdict"]
    assert by_loss["verdict"] == "within noise" and by_loss["low"] < 0 < by_loss["high"]


def test_repeat_cli_reports_mean_std_interval_and_prints_the_group_last(tmp_path, capsys):
    rc = main(["repeat", "xor_mlp", "--seeds", "2-3", "--set", "training.epochs=1", "--jobs", "1",
               "--runs-dir", str(tmp_path)])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    group = out[-1]
    assert group.startswith("g-") and len(group_runs(group, tmp_path)) == 2
    line = next(line for line in out if line.startswith("val_accuracy"))
    assert "mean" in line and "std" in line and "95% interval" in line and "(n=2)" in line
    runs = group_runs(group, tmp_path)
    assert all(r.changed == {"training.epochs": 1} for r in runs)


def test_a_repeat_with_a_step_budget_trains_that_many_steps_each(tmp_path, capsys):
    """The app's Repeat of a search trial passes the trial's budget (--steps): each run stops there
    (xor_mlp's epochs hold 640 steps) and its record keeps the budget for twins of it."""
    rc = main(["repeat", "xor_mlp", "--seeds", "2", "--steps", "7", "--jobs", "1", "--runs-dir", str(tmp_path)])
    group = capsys.readouterr().out.strip().splitlines()[-1]
    assert rc == 0
    runs = group_runs(group, tmp_path)
    assert len(runs) == 2 and all(r.step_budget == 7 for r in runs)
    for r in runs:
        summary = json.loads((tmp_path / r.id / "summary.json").read_text())
        assert summary["steps"] == 7 and r.status == "finished"


# Groups with unequal spreads and sizes, where Welch's and Student's tests part ways.
STEADY = [0.80, 0.82, 0.79, 0.81, 0.80, 0.83, 0.81]   # 7 seeds, sd ~0.014
SCATTERED = [0.80, 1.10, 0.75, 1.15]                  # 4 seeds, sd ~0.2: Welch p 0.26, Student p 0.09


def _welch_by_hand(a: list[float], b: list[float]) -> tuple[float, float, float]:
    """t, Welch–Satterthwaite degrees of freedom and standard error of mean(b) - mean(a), by hand."""
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    se = math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return (np.mean(b) - np.mean(a)) / se, dof, se


def test_the_verdict_is_welchs_test_not_students():
    t, dof, _ = _welch_by_hand(STEADY, SCATTERED)
    welch_p = float(stats.ttest_ind(SCATTERED, STEADY, equal_var=False).pvalue)
    student_p = float(stats.ttest_ind(SCATTERED, STEADY, equal_var=True).pvalue)
    assert abs(welch_p - student_p) > 0.1 * welch_p  # the data tell the two tests apart
    assert welch_p == pytest.approx(2 * stats.t.sf(abs(t), dof), rel=1e-9)  # scipy agrees with the hand formula
    v = welch_verdict(STEADY, SCATTERED, "m")
    assert v.p_value == pytest.approx(welch_p, rel=1e-6)
    assert v.dof == pytest.approx(dof, rel=1e-9) and v.t == pytest.approx(t, rel=1e-9)


def test_the_interval_of_the_difference_is_95_percent():
    _, dof, se = _welch_by_hand(STEADY, SCATTERED)
    half = stats.t.ppf(0.975, dof) * se
    v = welch_verdict(STEADY, SCATTERED, "m")
    diff = np.mean(SCATTERED) - np.mean(STEADY)
    assert v.low == pytest.approx(diff - half, rel=1e-9) and v.high == pytest.approx(diff + half, rel=1e-9)


@pytest.mark.parametrize("values", [STEADY, SCATTERED, [0.1, 0.4]])
def test_a_groups_interval_of_the_mean_is_95_percent(values):
    n = len(values)
    half = stats.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / math.sqrt(n)
    s = spread(values, "m")
    assert s.low == pytest.approx(np.mean(values) - half, rel=1e-9)
    assert s.high == pytest.approx(np.mean(values) + half, rel=1e-9)


def test_an_accuracys_interval_stops_at_1_and_a_losss_at_0():
    """circle_relu's 5 folds gave "95% interval of the mean 0.9882 to 1.006": no accuracy exceeds 1.
    The t interval (scipy's) is cut to the values the metric can take."""
    accuracies = [1.0, 1.0, 0.975, 1.0, 0.9875]
    lo, hi = stats.t.interval(0.95, len(accuracies) - 1, loc=np.mean(accuracies), scale=stats.sem(accuracies))
    assert hi > 1.0   # the premise: the plain interval runs past 1
    s = spread(accuracies, "val_accuracy")
    assert s.high == 1.0 and s.low == pytest.approx(lo, rel=1e-9)
    losses = [0.01, 0.2, 0.02]
    lo, hi = stats.t.interval(0.95, 2, loc=np.mean(losses), scale=stats.sem(losses))
    assert lo < 0
    s = spread(losses, "val_loss")
    assert s.low == 0.0 and s.high == pytest.approx(hi, rel=1e-9)


def test_the_fold_plots_sd_band_stops_at_an_accuracy_of_1(qtbot):
    from playground.run_records.verdicts import Spread
    from playground.selection.cv import CrossValidation
    from widgets.compare.cross_validation import FoldPlot
    per_fold = [1.0, 1.0, 0.975, 1.0, 0.9875]
    s = spread(per_fold, "val_accuracy")
    assert s.mean + s.std > 1.0
    plot = FoldPlot()
    qtbot.addWidget(plot)
    plot.show_result(CrossValidation("circle_relu", 5, "g", "val_accuracy", [], per_fold, s, "r", 0.99))
    _, top = plot.top.getData()
    _, bottom = plot.bottom.getData()
    assert max(top) == 1.0 and min(bottom) == pytest.approx(s.mean - s.std)
    assert isinstance(s, Spread)
