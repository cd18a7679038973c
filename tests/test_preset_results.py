"""Every built-in preset trains on the CPU to the result its description promises."""
import pytest

from playground.network.preset import builtin_names, resolve_preset
from playground.run_records.run_to_end import train_run
from test_contrast_presets import COVERED  # the lesson families: checked there, with their contrasts

pytestmark = pytest.mark.figure


@pytest.mark.parametrize("name", [n for n in builtin_names() if n not in COVERED])
def test_preset_reaches_its_stated_result(name):
    preset = resolve_preset(name)
    result = train_run(preset, device="cpu")
    summary = result.summary
    assert summary["finish_reason"] in ("finished", "early_stopping"), summary
    for expectation in preset.expect:
        assert expectation.holds(summary), f"{name}: expected {expectation}, got {summary}"


def test_perceptron_obeys_the_mistake_bound_and_xor_never_converges():
    p = resolve_preset("perceptron_linear")
    s = train_run(p, device="cpu").summary
    assert s["separable"] and 0 < s["mistakes"] <= s["mistake_bound"]
    assert "converged" in s["message"]
    p.data.name, p.data.params = "xor", {"n_samples": 100}
    p.training.epochs = 10
    s = train_run(p, device="cpu").summary
    assert not s["separable"] and s["mistake_bound"] is None and s["test_accuracy"] < 0.9


def test_autoencoder_summary_has_the_pca_baseline(tmp_path):
    p = resolve_preset("digits_autoencoder")
    p.training.epochs = 2
    s = train_run(p, tmp_path, device="cpu").summary
    assert s["code_size"] == 8 and 0 < s["pca_mse"] < 0.1 and "test_mse" in s
