"""The app says what the course notes say: names, formulas and typical values in the help
texts, and settings that do what their help promises."""
import math

import pytest
import torch

from playground.layers import CATALOGUE, INIT_SCHEMES, init_weights
from playground.optim import make_optimizer, scheduled_lr
from playground.spec import SCHEDULES, TRAINING_PARAMS, TrainSpec

HELP = {p.name: p.help for p in TRAINING_PARAMS}


def _param_help(layer: str, name: str) -> str:
    return next(p.help for p in CATALOGUE[layer].params if p.name == name)


def test_selu_names_lecun_normal_and_the_app_offers_it():
    assert "LeCun-normal" in CATALOGUE["SELU"].help and "lecun_normal" in INIT_SCHEMES
    layer = torch.nn.Linear(400, 300)
    init_weights(layer, "lecun_normal", 0.01)
    assert layer.weight.std().item() == pytest.approx(1 / math.sqrt(400), rel=0.05)  # N(0, 1/fan_in)


def test_rmsprop_applies_the_momentum_its_help_promises():
    assert "RMSProp" in HELP["momentum"]
    ts = TrainSpec(optimizer="rmsprop", momentum=0.9)
    opt = make_optimizer(torch.nn.Linear(2, 2).parameters(), ts)
    assert opt.param_groups[0]["momentum"] == 0.9


def test_both_one_over_t_decays_of_the_notes():
    assert {"inverse_sqrt", "inverse_time"} <= set(SCHEDULES)
    assert "η/√(t+1)" in HELP["schedule"] and "η/(1+k·t)" in HELP["schedule"]
    sqrt_t = TrainSpec(lr=0.5, schedule="inverse_sqrt")
    assert [scheduled_lr(sqrt_t, t, 10, 100) for t in (0, 3, 99)] == pytest.approx([0.5, 0.25, 0.05])
    k_t = TrainSpec(lr=0.5, schedule="inverse_time", decay=0.01)
    assert scheduled_lr(k_t, 100, 10, 1000) == pytest.approx(0.25)


def test_dropout_l2_and_max_norm_help_speak_the_notes_language():
    p_help = _param_help("Dropout", "p")
    assert "Drop probability" in p_help and "keep" in p_help
    assert "inverted dropout" in CATALOGUE["Dropout"].help
    assert "½λ‖w‖²" in HELP["l2"] and "(1 − ηλ)" in HELP["l2"]
    assert "3-4" in HELP["max_norm"]
