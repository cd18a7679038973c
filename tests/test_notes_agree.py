"""The app says what the course notes say: names, formulas and typical values in the help
texts, and settings that do what their help promises."""
import importlib.util
import math

import numpy as np
import pytest
import torch

from playground.network.applies import inapplicable_settings, optimizer_change
from playground.network.build import build_model
from playground.labs import init_explorer
from playground.layers import CATALOGUE, INIT_SCHEMES, init_weights
from playground.course.lessons import lesson_path
from playground.training.optim import make_optimizer, scheduled_lr
from playground.network.preset import PresetError, preset_from_dict, preset_to_dict, resolve_preset
from playground.network.spec import (
    OPTIMIZERS, SCHEDULES, SETTING_LABELS, TRAINING_PARAMS, DataSpec, ModelSpec, Preset, TrainSpec)

HELP = {p.name: p.help for p in TRAINING_PARAMS}


def _lesson_notes(preset: str) -> str:
    """The `## Notes` section of a preset's lesson, as the file has it."""
    text = lesson_path(preset).read_text(encoding="utf-8")
    return text.split("\n## Notes\n", 1)[1].split("\n## ", 1)[0].strip()


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


# ---------------------------------------------------------------- optimizers: each its own defaults
def _one_parameter(value: float = 1.0) -> torch.nn.Parameter:
    return torch.nn.Parameter(torch.tensor([value]))


def _group(ts: TrainSpec) -> dict:
    return make_optimizer([_one_parameter()], ts).param_groups[0]


def _choose(ts: TrainSpec, optimizer: str) -> TrainSpec:
    return TrainSpec(**{**ts.to_dict(), **optimizer_change(ts, optimizer)})


def test_choosing_an_optimizer_trains_it_with_pytorchs_defaults_not_the_last_ones():
    adam = resolve_preset("xor_mlp").training
    assert adam.optimizer == "adam"
    rmsprop = _choose(adam, "rmsprop")
    torch_rmsprop = torch.optim.RMSprop([_one_parameter()]).defaults   # PyTorch's own, not our table
    assert _group(rmsprop)["momentum"] == torch_rmsprop["momentum"] == 0
    assert _group(rmsprop)["alpha"] == torch_rmsprop["alpha"] == 0.99
    back = _choose(rmsprop, "adam")
    assert _group(back)["betas"] == torch.optim.Adam([_one_parameter()]).defaults["betas"] == (0.9, 0.999)
    momentum = _choose(rmsprop, "momentum")
    assert _group(momentum)["momentum"] == 0.9                 # the notes' typical ρ, not RMSProp's 0
    tuned = _choose(TrainSpec(**{**momentum.to_dict(), "momentum": 0.95}), "nesterov")
    assert _group(tuned)["momentum"] == 0.95 and _group(tuned)["nesterov"]   # ρ means the same there
    adamw = _choose(adam, "adamw")
    assert _group(adamw)["weight_decay"] == torch.optim.AdamW([_one_parameter()]).defaults["weight_decay"]
    assert _choose(adamw, "sgd").weight_decay == 0.0           # nothing ignored is left behind


def test_the_apps_rmsprop_is_the_notes_rmsprop_step_by_step():
    """cache = α·cache + (1 − α)·dx², x −= η·dx/(√cache + ε), written out by hand, against the
    optimizer a hand-written preset saying only "rmsprop" trains with."""
    preset = preset_from_dict({**preset_to_dict(resolve_preset("xor_mlp")),
                               "training": {"optimizer": "rmsprop", "lr": 0.1}})
    assert (preset.training.momentum, preset.training.alpha) == (0.0, 0.99)
    w = _one_parameter(2.0)
    opt = make_optimizer([w], preset.training)
    x, cache, alpha, lr, eps = 2.0, 0.0, 0.99, 0.1, 1e-8
    for _ in range(4):
        opt.zero_grad()
        (w ** 2).sum().backward()                 # dx = 2x
        opt.step()
        dx = 2 * x
        cache = alpha * cache + (1 - alpha) * dx ** 2
        x -= lr * dx / (math.sqrt(cache) + eps)
        assert w.item() == pytest.approx(x, rel=1e-5)


def test_rmsprop_has_its_own_alpha_and_old_files_keep_what_they_trained():
    assert "α" in HELP["alpha"] and "decay_rate" in HELP["alpha"] and "RMSProp" not in HELP["beta2"]
    assert SETTING_LABELS["alpha"].startswith("RMSProp α") and SETTING_LABELS["momentum"] == "momentum ρ"
    assert _group(TrainSpec(optimizer="rmsprop", alpha=0.9, beta2=0.5))["alpha"] == 0.9
    doc = preset_to_dict(resolve_preset("xor_mlp"))
    del doc["training"]["alpha"]
    doc["training"].update(optimizer="rmsprop", beta2=0.999, momentum=0.9)   # written when β2 was α
    old = preset_from_dict(doc)
    assert (old.training.alpha, old.training.momentum) == (0.999, 0.9)
    unused = inapplicable_settings(preset_from_dict({**doc, "training": {"optimizer": "rmsprop"}}))
    assert {"beta1", "beta2", "weight_decay"} <= set(unused) and not {"momentum", "alpha"} & set(unused)


def test_the_rmsprop_preset_is_the_notes_rmsprop_differing_from_adam_only_in_optimizer_and_rate():
    """RMSProp trains at η = 0.01: at the family's 0.02 its loss spiked late in every run (its step
    η/σ grows as the gradients shrink), which the Diagnoses panel rightly calls diverging."""
    rmsprop = resolve_preset("sgd_vs_momentum_rmsprop").training
    adam = resolve_preset("sgd_vs_momentum_adam").training
    assert (rmsprop.optimizer, rmsprop.momentum, rmsprop.alpha) == ("rmsprop", 0.0, 0.99)
    differ = {k for k, v in rmsprop.to_dict().items() if getattr(adam, k) != v}
    assert differ == {"optimizer", "momentum", "lr"}, differ


# ---------------------------------------------------------------- weight decay: where it applies
def test_weight_decay_is_named_for_what_it_is_and_shown_only_for_adamw():
    assert SETTING_LABELS["weight_decay"] == "decoupled weight decay (AdamW)"
    assert "AdamW only" in HELP["weight_decay"] and "l2" in HELP["weight_decay"]
    preset = resolve_preset("xor_mlp")
    for optimizer in OPTIMIZERS:
        preset.training.optimizer = optimizer
        hidden = inapplicable_settings(preset)
        assert ("weight_decay" in hidden) == (optimizer != "adamw"), optimizer
        if optimizer != "adamw":
            assert "l2" in hidden["weight_decay"]


@pytest.mark.parametrize("optimizer", [o for o in OPTIMIZERS if o != "adamw"])
def test_a_weight_decay_the_optimizer_would_ignore_is_refused_with_the_way_out(optimizer):
    doc = preset_to_dict(resolve_preset("xor_mlp"))
    doc["training"].update(optimizer=optimizer, weight_decay=0.01)
    with pytest.raises(PresetError) as caught:
        preset_from_dict(doc)
    message = str(caught.value)
    assert "training.weight_decay" in message and "ignored" in message and "l2" in message
    doc["training"].update(optimizer="adamw")
    assert preset_from_dict(doc).training.weight_decay == 0.01


def test_the_l2_setting_is_the_notes_weight_decay():
    """The notes: w ← (1 − ηλ)w − η·∂L/∂w, λ the factor of ½λ‖w‖². The app's l2 = λ2 adds λ2·Σw²
    (λ = 2·λ2): with no data loss, one SGD step of the app's penalty shrinks w by (1 − 2η·λ2)."""
    from playground.training.step import penalty_terms
    net = torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        net[0].weight.fill_(3.0)
    ts = TrainSpec(optimizer="sgd", lr=0.1, l2=0.05)
    opt = make_optimizer(net.parameters(), ts)
    penalty_terms(ts, net, torch.zeros(1, 1), None, 1).backward()
    opt.step()
    assert net[0].weight.item() == pytest.approx((1 - 2 * 0.1 * 0.05) * 3.0)


# ---------------------------------------------------------------- both Xaviers
def _weight_variance(scheme: str, fan_in: int, fan_out: int) -> float:
    torch.manual_seed(0)
    layer = torch.nn.Linear(fan_in, fan_out)
    init_weights(layer, scheme, 0.01)
    return layer.weight.var().item()


def test_both_xaviers_are_offered_named_and_draw_their_variances():
    help_text = CATALOGUE["Linear"].param("init").help
    assert "xavier_notes" in INIT_SCHEMES and {"xavier_uniform", "xavier_normal"} <= set(INIT_SCHEMES)
    assert "randn/√D_in" in help_text and "1/fan_in" in help_text and "2/(fan_in + fan_out)" in help_text
    fan_in, fan_out = 800, 200          # unequal, so the two Xaviers differ fourfold and more
    assert _weight_variance("xavier_notes", fan_in, fan_out) == pytest.approx(1 / fan_in, rel=0.03)
    for glorot in ("xavier_uniform", "xavier_normal"):
        assert _weight_variance(glorot, fan_in, fan_out) == pytest.approx(2 / (fan_in + fan_out), rel=0.03)


def test_presets_saying_xavier_still_train_glorots_and_their_lesson_says_so():
    spiral = resolve_preset("spiral_tanh")
    first = spiral.model.nodes[1]
    assert first.params["init"] == "xavier_uniform" and first.params["out_features"] == 32
    lesson = _lesson_notes("spiral_tanh")
    assert "Glorot" in lesson and f"{2 / (2 + 32):.3f}" in lesson and f"{1 / 2:.1f} there" in lesson
    model = build_model(spiral.model, seed=0)
    bound = math.sqrt(6 / (2 + 32))                       # Glorot's uniform bound by hand
    weights = dict(model.named_parameters())
    w = next(v for k, v in weights.items() if k.endswith("weight") and tuple(v.shape) == (32, 2))
    assert w.abs().max().item() <= bound and w.abs().max().item() > 0.6 * bound
    assert "Glorot" in _lesson_notes("selu_lecun")
    assert "xavier_notes" in _lesson_notes("deep_init_kaiming")


def test_the_model_py_export_draws_the_notes_xavier_too(tmp_path):
    from playground.export import export
    from playground.export.python_source import class_name_for
    fan_in = 600
    spec = ModelSpec.chain(("Input", {"shape": [fan_in]}), ("Linear", {"out_features": 300, "init": "xavier_notes"}))
    preset = Preset("notes_xavier", "", spec, DataSpec("xor"), TrainSpec())
    export(preset, None, "python", tmp_path / "model.py")
    loaded = importlib.util.spec_from_file_location("notes_xavier_model", tmp_path / "model.py")
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    torch.manual_seed(1)
    net = getattr(module, class_name_for(preset.name))()
    weight = next(p for p in net.parameters() if p.dim() == 2)
    assert weight.var().item() == pytest.approx(1 / fan_in, rel=0.03)


# ---------------------------------------------------------------- ResNet block, decay, dropout
def test_the_resnet_block_form_is_stated_against_the_notes():
    preset = resolve_preset("resnet_shapes")
    types = {n.id: n.type for n in preset.model.nodes}
    adds = [n for n in preset.model.nodes if n.type == "Add"]
    assert adds
    for add in adds:   # the app's block: ReLU(x + F(x)), the ReLU after the Add
        assert [types[c] for c in preset.model.consumers(add.id)] == ["ReLU"]
    for text in (_lesson_notes("resnet_shapes"), CATALOGUE["Add"].help,
                 _lesson_notes("plain_cnn_deep")):
        assert "ReLU(x + F(x))" in text and "ReLU(x) + x" in text


@pytest.mark.parametrize("name", ["lr_decay_step", "lr_decay_exponential", "lr_decay_inverse_sqrt",
                                  "lr_decay_inverse_time"])
def test_decay_lessons_credit_the_notes_with_what_they_name(name):
    notes = _lesson_notes(name)
    assert "notes name exponential and 1/t decay" in notes and "ηᵗ = η/√(t+1)" in notes
    assert "Step decay is not in the notes" in notes and "name step" not in notes


def test_dropout_help_and_lesson_give_both_notes_meanings_of_p_and_the_app_drops_with_p():
    p_help, lesson = _param_help("Dropout", "p"), _lesson_notes("overfit_moons_dropout")
    for text in (p_help, lesson):
        assert "keep" in text and "probability p" in text and "1 − p" in text
    assert "drops a unit with probability p" in lesson and "multiplies the weights by p" in lesson
    torch.manual_seed(0)
    drop = CATALOGUE["Dropout"].constructor([(10_000,)], {"p": 0.2}).make()
    out = drop.train()(torch.ones(1, 10_000))
    kept = out[out != 0]
    assert (out == 0).float().mean().item() == pytest.approx(0.2, abs=0.02)   # p drops
    assert kept.unique().tolist() == pytest.approx([1 / 0.8])                 # inverted dropout
    assert torch.equal(drop.eval()(torch.ones(1, 10_000)), torch.ones(1, 10_000))


# ---------------------------------------------------------------- the Kaiming typo
def test_the_notes_kaiming_typo_is_pointed_out_and_the_app_draws_the_right_kaiming():
    d_in = 500
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, d_in))
    typo = np.maximum(0, x @ (rng.standard_normal((d_in, d_in)) / np.sqrt(2 / d_in)))   # the notes' code
    assert typo.std() > 150
    by_hand = d_in / math.sqrt(2) * math.sqrt(0.5 - 1 / (2 * math.pi))   # std of ReLU(N(0, D²/2))
    assert f"~{by_hand:.0f}" in _lesson_notes("deep_init_kaiming")
    preset = resolve_preset("deep_init_kaiming")
    assert {n.params.get("init") for n in preset.model.nodes if n.type == "Linear"} == {"kaiming_normal"}
    torch.manual_seed(0)
    layer = torch.nn.Linear(d_in, d_in)
    init_weights(layer, "kaiming_normal", 0.01)
    assert layer.weight.var().item() == pytest.approx(2 / d_in, rel=0.03)
    h = torch.relu(layer(torch.from_numpy(x).float()))
    assert h.pow(2).mean().item() == pytest.approx(1.0, rel=0.1)     # Kaiming keeps E[h²] = E[x²]
    notes = _lesson_notes("deep_init_kaiming")
    assert "randn(Din, Dout)/np.sqrt(2/Din)" in notes and "typo" in notes and "Var(w) = 2/fan_in" in notes
    assert "typo" in init_explorer.FORMULAS["kaiming"]
    layer1 = init_explorer.explore("relu", "kaiming", seeds=1, layers=1).act_std[0]
    assert layer1 == pytest.approx(math.sqrt(2) * math.sqrt(0.5 - 1 / (2 * math.pi)), rel=0.05)
