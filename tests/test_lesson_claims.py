"""Lesson claims: every "Compare with …" pair differs only in the settings its lesson names, the
two lessons of a pair agree, and `presets --verify` judges claims over seeds (Welch, scipy as the
oracle) without crashing on a run that diverged."""
from __future__ import annotations

import fnmatch
import json
import math

import pytest
from scipy import stats

from playground.command_line.main import main
from playground.run_records.experiments import repeat
from playground.run_records.lesson_claims import LessonClaim, check, lesson_claims
from playground.course.lessons import Claim, has_lesson, load_lesson
from playground.network.overrides import apply_overrides, differences
from playground.network.preset import builtin_names, preset_to_dict, resolve_preset
from playground.run_records.summary import probe_metrics

ALL_CLAIMS = [(n, c) for n in builtin_names() if has_lesson(n) for c in load_lesson(n).claims]
OPPOSITE = {"lower": "higher", "higher": "lower", "similar": "similar"}


def named(path: str, name: str) -> bool:
    """A hand-written reading of `differs in NAME`: the path, or under it; `*` any name or index."""
    glob = name.replace("[", "[[]")
    return any(fnmatch.fnmatchcase(path, g) for g in (glob, glob + ".*", glob + "[[]*"))


def test_the_lessons_make_claims():
    assert len(ALL_CLAIMS) >= 20
    assert ("xor_mlp", "xor_linear") in {(n, c.other) for n, c in ALL_CLAIMS}


@pytest.mark.parametrize("lesson, claim", ALL_CLAIMS, ids=[f"{n}-{c.other}" for n, c in ALL_CLAIMS])
def test_a_pair_differs_only_in_what_its_lesson_names(lesson, claim):
    docs = []
    for name in (lesson, claim.other):
        doc = preset_to_dict(resolve_preset(name))
        docs.append({k: v for k, v in doc.items() if k not in ("name", "description", "expect")})
    diffs = differences(docs)
    assert diffs, f"{lesson} and {claim.other} do not differ at all"
    unnamed = [d for d in diffs if not any(named(d, n) for n in claim.differs_in)]
    assert not unnamed, f"{lesson} vs {claim.other} also differ in {unnamed}"
    stale = [n for n in claim.differs_in if not any(named(d, n) for d in diffs)]
    assert not stale, f"{lesson} vs {claim.other}: the lesson names {stale}, which do not differ"


def test_both_lessons_of_a_pair_agree():
    by_pair = {(n, c.other): c for n, c in ALL_CLAIMS}
    for (a, b), claim in by_pair.items():
        back = by_pair.get((b, a))
        if back is None:
            continue
        assert back.metric == claim.metric, f"{a} and {b} claim about different metrics"
        assert back.direction == OPPOSITE[claim.direction], f"{a}: {claim.text()} but {b}: {back.text()}"
        assert set(back.differs_in) == set(claim.differs_in), f"{a} and {b} name different settings"


# ---------------------------------------------------------------- judging over seeds

def summaries(values, key="val_loss"):
    return [{key: v} for v in values]


def test_a_claim_holds_outside_noise_in_its_direction_with_welchs_p():
    mine, theirs = [0.50, 0.55, 0.52, 0.58, 0.51], [2.1, 2.4, 2.2, 2.6, 2.3]
    c = check(LessonClaim("l2", Claim("base", "val_loss", "lower", ("training.l2",))),
              summaries(mine), summaries(theirs), range(5))
    oracle = stats.ttest_ind(mine, theirs, equal_var=False)
    assert c.verdict == "outside noise" and c.holds
    assert c.p_value == pytest.approx(oracle.pvalue, rel=1e-9)
    assert c.mean == pytest.approx(sum(mine) / 5) and c.sd == pytest.approx(stats.tstd(mine))
    assert c.other_mean == pytest.approx(sum(theirs) / 5) and c.other_sd == pytest.approx(stats.tstd(theirs))
    wrong = check(LessonClaim("l2", Claim("base", "val_loss", "higher", ("training.l2",))),
                  summaries(mine), summaries(theirs), range(5))
    assert wrong.verdict == "outside noise" and not wrong.holds
    similar = check(LessonClaim("l2", Claim("base", "val_loss", "similar", ("training.l2",))),
                    summaries(mine), summaries(theirs), range(5))
    assert not similar.holds


def test_within_noise_holds_only_a_similar_claim():
    a, b = [0.80, 0.90, 0.70, 0.85, 0.75], [0.82, 0.72, 0.88, 0.79, 0.81]
    assert stats.ttest_ind(a, b, equal_var=False).pvalue > 0.05
    for direction, holds in (("lower", False), ("higher", False), ("similar", True)):
        c = check(LessonClaim("x", Claim("y", "val_accuracy", direction, ("model",))),
                  summaries(a, "val_accuracy"), summaries(b, "val_accuracy"), range(5))
        assert c.verdict == "within noise" and c.holds is holds


def test_groups_without_any_variation_say_identical_results():
    c = check(LessonClaim("x", Claim("y", "val_accuracy", "similar", ("model",))),
              summaries([1.0] * 5, "val_accuracy"), summaries([1.0] * 5, "val_accuracy"), range(5))
    assert c.verdict == "identical results" and c.holds and "p =" not in c.line()
    apart = check(LessonClaim("x", Claim("y", "finite_steps", "higher", ("training.grad_clip",))),
                  summaries([600] * 5, "finite_steps"), summaries([0] * 5, "finite_steps"), range(5))
    assert apart.verdict == "outside noise" and apart.holds


def test_a_diverged_run_is_counted_not_crashed_on():
    mine = summaries([0.5, 0.6, 0.55, 0.52, 0.58])
    theirs = [{"val_loss": math.nan}, {"diverged": True}, {"val_loss": math.inf}, {"val_loss": 2.0}, {}]
    c = check(LessonClaim("a", Claim("b", "val_loss", "lower", ("training.lr",))), mine, theirs, range(5))
    assert not c.holds and c.other_diverged == 4 and c.diverged == 0
    assert c.verdict.startswith("not measured")
    assert json.loads(json.dumps(c.to_json(), allow_nan=False))["mean"] is None


def test_an_exploding_run_records_how_far_it_got():
    from playground.run_records.run_to_end import train_run
    s = train_run(resolve_preset("rnn_exploding"), device="cpu").summary
    assert s["diverged"] is True and s["finite_steps"] == s["problem"]["step"] - 1


def test_grad_ratio_and_dead_fraction_from_the_probes(tmp_path):
    rows = ["step,epoch,node_id,layer_type,update_ratio,grad_norm,weight_norm,act_mean,act_std,dead_fraction",
            "10,1,l1,Linear,0.1,0.002,1,0,1,", "10,1,r1,ReLU,,,,0,1,0.25", "10,1,l2,Linear,0.1,0.5,1,0,1,",
            "20,2,l1,Linear,0.1,0.001,1,0,1,", "20,2,r1,ReLU,,,,0,1,0.5", "20,2,l2,Linear,0.1,0.4,1,0,1,",
            "30,3,l1,Linear,0.1,0.03,1,0,1,", "30,3,r1,ReLU,,,,0,1,0.125", "30,3,l2,Linear,0.1,0.3,1,0,1,"]
    (tmp_path / "probes.csv").write_text("\n".join(rows) + "\n")
    m = probe_metrics(tmp_path / "probes.csv")
    assert m["grad_ratio"] == pytest.approx(0.004)          # median of 0.004, 0.0025, 0.1
    assert m["dead_fraction"] == pytest.approx(0.125)       # the last probe's
    assert probe_metrics(tmp_path / "missing.csv") == {}


# ---------------------------------------------------------------- the command, small and fast

FAKE_LESSON = """# XOR
## Idea
i
## Look at
l
## Change
c
## Predict
p
## Notes
n
## Compare
- xor_linear: {direction} val_accuracy; differs in model
"""


@pytest.fixture
def small_lessons(tmp_path, monkeypatch):
    """xor_mlp's lesson claims something about xor_linear; both train 12 epochs on 200 points."""
    import playground.run_records.lesson_claims as lc
    import playground.course.lessons as lessons
    folder = tmp_path / "lessons"
    folder.mkdir()
    monkeypatch.setattr(lessons, "LESSONS_DIR", folder)
    monkeypatch.setattr(lc, "lesson_preset", lambda name: apply_overrides(
        resolve_preset(name), ["training.epochs=12", "data.params.n_samples=200", "training.probe_every=50"]))
    return folder


@pytest.mark.parametrize("direction, code", [("higher", 0), ("lower", 1)])
def test_verify_prints_each_claim_as_json_and_fails_on_a_false_one(small_lessons, capsys, direction, code):
    (small_lessons / "xor_mlp.md").write_text(FAKE_LESSON.format(direction=direction))
    assert main(["presets", "--verify", "--seeds", "3", "--jobs", "1", "--json"]) == code
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 1
    c = out[0]
    assert {"lesson", "other", "metric", "claimed", "mean", "sd", "other_mean", "other_sd", "verdict",
            "holds"} <= set(c)
    assert (c["lesson"], c["other"], c["metric"], c["claimed"]) == ("xor_mlp", "xor_linear", "val_accuracy", direction)
    assert c["verdict"] == "outside noise" and c["holds"] is (code == 0)
    assert c["mean"] > c["other_mean"] + 0.2 and c["seeds"] == [0, 1, 2]


def test_verify_refuses_a_preset_without_a_lesson(small_lessons, capsys):
    assert main(["presets", "--verify", "deep_relu"]) == 2
    assert "has no lesson" in capsys.readouterr().err
    assert main(["presets", "--verify", "nope"]) == 2
    assert "no built-in preset named 'nope'" in capsys.readouterr().err


def test_verify_names_the_claims_of_the_lessons_asked_for():
    claims = lesson_claims(["overfit_moons_l2"])
    assert [(c.lesson, c.claim.other, c.claim.metric, c.claim.direction) for c in claims] == [
        ("overfit_moons_l2", "overfit_moons", "val_loss", "lower")]


# ---------------------------------------------------------------- compare on a lesson pair

@pytest.fixture(scope="module")
def pair_groups(tmp_path_factory):
    """overfit_moons and overfit_moons_l2 (a lesson pair about val_loss) for 3 epochs, seeds 0-1,
    and overfit_moons again with the same seeds (the same numbers)."""
    folder = tmp_path_factory.mktemp("runs")
    short = ["training.epochs=3", "training.probe_every=100"]
    base = apply_overrides(resolve_preset("overfit_moons"), short)
    l2 = apply_overrides(resolve_preset("overfit_moons_l2"), short)
    g_base, _ = repeat(base, range(2), folder, jobs=1)
    g_l2, _ = repeat(l2, range(2), folder, jobs=1)
    g_again, _ = repeat(base, range(2), folder, jobs=1)
    return folder, g_base, g_l2, g_again


def test_compare_json_gives_the_lessons_metric_first_then_loss_and_accuracy(pair_groups, capsys):
    folder, g_base, g_l2, _ = pair_groups
    assert main(["compare", g_base, g_l2, "--runs-dir", str(folder), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [d for d in result["differences"] if d != "name"] == ["training.l2"]
    assert [v["metric"] for v in result["verdicts"]] == ["val_loss", "val_accuracy"]
    assert result["verdict"]["metric"] == "val_loss"
    claim = result["lesson_claim"]
    assert (claim["lesson"], claim["metric"], claim["claimed"]) == ("overfit_moons_l2", "val_loss", "lower")
    assert "holds" in claim
    # seen from the other side, the claim reads the other way round
    assert main(["compare", g_l2, g_base, "--runs-dir", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["lesson_claim"]["claimed"] == "higher"


def test_compare_of_groups_with_the_same_numbers_says_identical_results(pair_groups, capsys):
    folder, g_base, _, g_again = pair_groups
    assert main(["compare", g_base, g_again, "--runs-dir", str(folder), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [v["verdict"] for v in result["verdicts"]] == ["identical results"] * 2
    assert [v["metric"] for v in result["verdicts"]] == ["val_accuracy", "val_loss"]
    assert main(["compare", g_base, g_again, "--runs-dir", str(folder)]) == 0
    text = capsys.readouterr().out
    assert "identical results" in text and "p = 1" not in text
