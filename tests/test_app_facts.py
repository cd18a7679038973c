"""What the engine tells the app about a preset: which views apply, which settings do not, whether
a finished run was any good, and the examples' menu words (no Qt, no training)."""
from __future__ import annotations

from dataclasses import dataclass

from playground.network.applies import inapplicable_params, inapplicable_settings
from playground.course.examples import MENU_CHARS, builtin_examples
from playground.babysit.outcome import good_accuracy, judge
from playground.network.preset import builtin_names, resolve_preset
from playground.training.views import VIEWS, views_for


def test_views_follow_mode_target_and_data():
    xor = views_for(resolve_preset("xor_mlp"))
    assert set(xor) == set(VIEWS)
    assert xor["decision_boundary"] and xor["confusion"] and not xor["feature_maps"] and not xor["reconstructions"]
    cnn = views_for(resolve_preset("digits_cnn"))
    assert cnn["feature_maps"] and not cnn["decision_boundary"]
    ae = views_for(resolve_preset("denoising_autoencoder"))
    assert ae["reconstructions"] and not ae["confusion"]
    perceptron = views_for(resolve_preset("perceptron_linear"))
    assert perceptron["perceptron"] and not perceptron["update_ratio"] and not perceptron["gradients"]


def test_settings_that_do_not_apply_say_why():
    p = resolve_preset("xor_mlp")
    p.training.optimizer = "adam"
    unused = inapplicable_settings(p)
    assert "Adam" in unused["momentum"] and "beta1" not in unused
    assert all("target is input" in unused[n] for n in ("code_node", "sparsity", "contractive", "kl_weight"))
    p.training.optimizer = "nesterov"
    unused = inapplicable_settings(p)
    assert "momentum" not in unused and "beta1" in unused and "weight_decay" in unused
    vae = resolve_preset("vae_digits")
    assert "kl_weight" not in inapplicable_settings(vae)
    ae = resolve_preset("digits_autoencoder")
    assert "kl_weight" in inapplicable_settings(ae) and "code_node" not in inapplicable_settings(ae)


def test_init_std_applies_only_to_the_normal_init():
    assert "init_std" in inapplicable_params({"init": "default", "init_std": 0.01})
    assert "init_std" not in inapplicable_params({"init": "normal", "init_std": 0.01})


@dataclass
class Epoch:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None


def test_a_run_far_from_good_says_so_and_what_to_try():
    p = resolve_preset("spiral_tanh")
    p.training.optimizer, p.training.lr, p.training.epochs = "adam", 1e-3, 20
    falling = [Epoch(k, 0.7 - 0.005 * k, 0.7 - 0.005 * k, 0.55 + 0.002 * k) for k in range(20)]
    verdict = judge(p, falling, n_classes=2)
    assert not verdict.good and "59%" in verdict.text and "88%" in verdict.text
    assert "larger learning rate (lr 0.001 → 0.01)" in verdict.text and "more epochs (epochs 20 → 60)" in verdict.text
    good = [Epoch(k, 0.1, 0.1, 0.99) for k in range(5)]
    assert judge(p, good, n_classes=2).good
    assert good_accuracy(2) == 0.875 and abs(good_accuracy(10) - 0.775) < 1e-12


def test_a_regression_whose_loss_barely_fell_is_called_out():
    p = resolve_preset("regression_sine")
    flat = [Epoch(k, 0.5, 0.5 - 0.001 * k, None) for k in range(10)]
    assert not judge(p, flat).good
    fell = [Epoch(0, 0.5, 0.5, None), Epoch(1, 0.05, 0.05, None)]
    assert judge(p, fell).good


def test_examples_have_a_menu_summary_never_cut_inside_a_word():
    examples = builtin_examples()
    assert [e.name for e in examples] == builtin_names()
    for e in examples:
        assert e.description and 0 < len(e.summary) <= MENU_CHARS + 1
        words = e.summary.rstrip("…").split()
        assert words and all(w in e.description for w in words)
