"""One voice: the ranked findings' precedence rules, the end-of-run outcome, and the record's
findings.json. Each test is one rule; a rule broken fails its test."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

from playground.babysit.diagnoses import THRESHOLDS, Diagnostician
from playground.babysit.findings import NAMES, Action, Finding, rank, setting_range
from playground.training.events import LayerProbe, LossEvent, ProbeEvent
from playground.course.lessons import LessonError, load_lesson, parse_lesson
from playground.babysit.outcome import judge
from playground.network.preset import resolve_preset


def _lr(name: str, value: float, way: int, severity: str = "warning", step: int = 10) -> Finding:
    verb = "Raise" if way > 0 else "Lower"
    return Finding(name, severity, step, f"{name} fired", Action(verb + " the learning rate to {value}", "lr",
                                                                  value, way))


DIVERGING = Finding("divergence", "critical", 40, "The loss is diverging",
                    Action("Lower the learning rate to {value}", "lr", 10.0, -1))


def test_divergence_comes_first_and_suppresses_raise_lr_and_overfitting():
    """The spiral at lr 100: a vanishing card saying "raise the learning rate to 1000" and an
    overfitting card came before the true divergence card."""
    vanishing = _lr("vanishing", 1000.0, +1, step=5)
    overfit = Finding("overfitting", "warning", 8, "The network might be overfitting",
                      Action("Turn on early stopping (patience {value} epochs)", "early_stopping", 3))
    saturated = _lr("saturated", 10.0, -1, step=3)
    ranked = rank([vanishing, overfit, saturated, DIVERGING], {"lr": 100.0, "early_stopping": 0})
    assert [f.name for f in ranked] == ["divergence", "saturated"]
    assert not any(f.action and f.action.setting == "lr" and f.action.value > 100.0 for f in ranked)


def test_exploding_gradients_also_suppress_overfitting():
    exploding = Finding("exploding", "warning", 5, "Gradients grow", Action("Clip the gradient norm at {value}",
                                                                           "grad_clip", 1.0))
    overfit = Finding("overfitting", "warning", 8, "overfitting")
    assert [f.name for f in rank([overfit, exploding], {"grad_clip": 0.0})] == ["exploding"]


def test_no_two_findings_propose_opposite_actions():
    raise_ = _lr("update_ratio", 0.03, +1, severity="info")
    lower = _lr("dead_relu", 0.001, -1, severity="warning")
    ranked = rank([raise_, lower], {"lr": 0.01})
    assert [f.name for f in ranked] == ["dead_relu", "update_ratio"]
    ways = {np.sign(f.action.value - 0.01) for f in ranked if f.action is not None and f.action.setting == "lr"}
    assert ways == {-1.0}
    assert ranked[1].action is None and ranked[1].message == "update_ratio fired"   # the reading stays


def test_proposed_values_stay_inside_the_declared_range_and_move_the_right_way():
    lo, hi = setting_range("lr")
    assert (lo, hi) == (1e-7, 100.0)   # TrainSpec.lr's declared range (playground/network/spec.py)
    ranked = rank([_lr("vanishing", 400.0, +1)], {"lr": 40.0})
    assert ranked[0].action.value == 100.0 and "100" in ranked[0].action.label
    at_top = rank([_lr("vanishing", 1000.0, +1)], {"lr": 100.0})
    assert at_top[0].action is None                       # "raise" past the top is no advice
    at_bottom = rank([_lr("dead_relu", 1e-9, -1)], {"lr": 1e-7})
    assert at_bottom[0].action is None
    wrong_way = rank([_lr("update_ratio", 0.001, +1, severity="info")], {"lr": 0.01})
    assert wrong_way[0].action is None                    # a "raise" that lowers is refused


def test_live_actions_move_the_way_their_words_say():
    doc = Diagnostician(0.05)
    doc.observe(LossEvent(np.arange(800), np.full(800, 0.69), 0, 0.05))
    layer = LayerProbe("fc1", "ReLU", 1e-3, 1.0, 1.0, np.ones(10), np.linspace(0, 1, 11), 0.0, 1.0, 0.9)
    for k in range(3):
        doc.observe(ProbeEvent(800 + 10 * k, 0, [layer, LayerProbe("out", "Linear", 1e-3, 1.0, 1.0, np.ones(10),
                                                                    np.linspace(-1, 1, 11), 0.0, 1.0, None)]))
    for f in doc.findings:
        a = f.action
        assert a is not None and a.label.startswith("Lower") == (a.value < 0.05) == (a.direction < 0)


def test_wording_says_more_than_half_without_doubling_the_figure():
    doc = Diagnostician()
    doc.observe(LossEvent(np.arange(200), np.full(200, 0.69), 0, 1e-3))
    edges = np.linspace(-1, 1, 21)
    piled = np.zeros(20)
    piled[[0, -1]] = 40
    piled[5:15] = 2
    persist = int(THRESHOLDS["saturation_persist_probes"].value)
    for step in range(210, 210 + 10 * persist, 10):   # saturated on that many probes in a row
        found = doc.observe(ProbeEvent(step, 0, [
            LayerProbe("tanh1", "Tanh", 1e-3, 1.0, 1.0, piled, edges, 0.0, 1.0, None),
            LayerProbe("out", "Linear", 1e-3, 1.0, 1.0, np.ones(10), np.linspace(-1, 1, 11), 0.0, 1.0, None)]))
    text = found[0].evidence
    assert "more than half" in text and "8 in 10" in text   # 80 of 100 piled at the ends
    assert "80%" not in text and "50%" not in text


@dataclass
class Epoch:
    epoch: int
    step: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None


def test_outcome_never_says_went_back_up_and_still_falling_together():
    """A validation loss that rose far above its best and then fell a little in the last quarter:
    it went back up; it is not "still falling"."""
    p = resolve_preset("spiral_tanh")
    p.training.optimizer, p.training.lr, p.training.epochs = "adam", 1e-3, 20
    val = [0.6 - 0.02 * k for k in range(10)] + [0.4 + 0.2 * k for k in range(8)] + [1.7, 1.6]
    train = [0.6 - 0.02 * k for k in range(10)] + [0.4 + 0.2 * k for k in range(8)] + [1.7, 1.6]
    history = [Epoch(k, 10 * k, t, v, 0.55) for k, (t, v) in enumerate(zip(train, val))]
    text = judge(p, history, 2).text
    assert "went back up" in text and "still falling" not in text
    assert "larger learning rate" not in text                  # back up: never "raise" and "lower" together


def test_outcome_does_not_raise_the_rate_of_a_run_that_diverged():
    p = resolve_preset("spiral_tanh")
    p.training.optimizer, p.training.lr = "adam", 1e-3
    history = [Epoch(k, 10 * k, 0.7 - 0.005 * k, 0.7 - 0.005 * k, 0.55) for k in range(20)]
    assert "larger learning rate" in judge(p, history, 2).text
    verdict = judge(p, history, 2, findings=[DIVERGING])
    assert "larger learning rate" not in verdict.text
    assert verdict.finding.action is None or verdict.finding.action.direction <= 0 or \
        verdict.finding.action.setting != "lr"


@pytest.mark.parametrize("name", ["overfit_moons", "deep_sigmoid", "sgd_vs_momentum_sgd"])
def test_outcome_in_a_lesson_that_fails_on_purpose_names_the_lesson_finding(name):
    shown = load_lesson(name).finding
    assert shown in NAMES
    p = resolve_preset(name)
    flat = [Epoch(k, 10 * k, 0.69, 0.69, 0.55) for k in range(20)]
    verdict = judge(p, flat, 2, lesson_finding=shown)
    assert not verdict.good and "what the lesson shows" in verdict.text
    assert "wider or deeper" not in verdict.text and verdict.finding.action is None
    plain = judge(p, flat, 2)     # the same run outside the lesson gets advice
    assert "wider or deeper" in plain.text


def test_a_lesson_finding_must_be_a_known_finding():
    text = "# T\n## Idea\ni\n## Look at\nl\n## Change\nc\n## Predict\np\n## Notes\nn\n## Finding\n{}\n"
    assert parse_lesson(text.format("vanishing"), "x").finding == "vanishing"
    assert parse_lesson(text.replace("## Finding\n{}\n", ""), "x").finding == ""
    with pytest.raises(LessonError, match="unknown finding 'gradients'"):
        parse_lesson(text.format("gradients"), "x")


def test_a_run_record_keeps_its_findings_in_rank_order(runs_dir, capsys):
    """rnn_exploding stops at its first steps with a non-finite loss: its record's findings.json
    and `playground train` say so, the divergence first."""
    from playground.command_line.main import main
    code = main(["train", "rnn_exploding"])
    out = capsys.readouterr().out.strip().splitlines()
    record = runs_dir / out[-1] / "findings.json"
    found = json.loads(record.read_text())
    assert code == 1 and found and found[0]["name"] == "divergence"
    assert set(found[0]) == {"name", "severity", "step", "message", "action"}
    assert found[0]["severity"] == "critical" and "0.005" in found[0]["action"]
    assert any(line.startswith("[critical] divergence") and "0.005" in line for line in out)


def test_a_diverged_run_is_told_the_divergence_remedy_not_more_epochs():
    """digits_mlp at SGD lr 10 diverges at once, then its loss wanders at chance (ln 10): the
    outcome once said "more epochs: the loss was still falling" beside the divergence card's
    "Lower the learning rate to 1"."""
    p = resolve_preset("digits_mlp")
    p.training.optimizer, p.training.lr, p.training.epochs = "sgd", 10.0, 25
    wander = [2.42, 2.38, 2.45, 2.40, 2.36, 2.44, 2.41, 2.39, 2.43, 2.35]   # ends 3% below a quarter back
    history = [Epoch(k, 34 * k, v, v, 0.11) for k, v in enumerate(wander, 1)]
    diverged = Finding("divergence", "critical", 3, "The loss is diverging",
                       Action("Lower the learning rate to {value}", "lr", 1.0, -1))
    verdict = judge(p, history, 10, findings=[diverged])
    assert not verdict.good
    assert "more epochs" not in verdict.text and "still falling" not in verdict.text and "wider" not in verdict.text
    assert "diverged at step 3" in verdict.text
    assert verdict.finding.action.setting == "lr" and verdict.finding.action.value == 1.0
    assert "more epochs" in judge(p, history, 10).text   # without the divergence: the usual advice
