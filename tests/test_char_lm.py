"""Issue 27, item 4: a character-level language model on a bundled text, writing as it trains.

References: windows, labels and entropies worked out by hand on tiny strings (and with
collections.Counter and math.log on the bundled text), argmax decoding of a hand-set network
traced by hand, and scipy's chi-square test for the temperature's softmax; never the function
under test.
"""
from __future__ import annotations

import math
import tomllib
from collections import Counter
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from playground.babysit.outcome import CONTEXT_GAIN, judge
from playground.course.lessons import load_lesson
from playground.data import make_dataset
from playground.data.sequences import char_windows, prepared_text
from playground.network.preset import resolve_preset
from playground.training.events import EpochEvent, TextSampleEvent
from playground.training.text_samples import N_CHARS, TEMPERATURES, entropy_nats, next_codes, sample_text
from playground.training.trainer import DEFAULT_VIEWS, Trainer
from playground.training.views import views_for

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- the text and the data set
def test_the_text_ships_as_package_data():
    bundled = files("playground._resources") / "alice.txt"
    assert bundled.is_file()
    text = bundled.read_text(encoding="utf-8")
    assert text.startswith("Alice was beginning to get very tired") and 2_000 < len(text) < 50_000
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "*.txt" in package_data["playground._resources"]       # it goes into the wheel
    assert '"playground._resources": "resources"' in (ROOT / "setup.py").read_text()


def test_the_text_is_read_with_white_space_collapsed_and_lower_case_on_request():
    assert prepared_text(True, "Ab  c\n\nD. ") == "ab c d."
    assert prepared_text(False, "Ab  c\n\nD. ") == "Ab c D."


def test_windows_and_next_characters_of_a_tiny_string_by_hand():
    windows, nxt, alphabet = char_windows("abcab", 2)
    assert alphabet == ["a", "b", "c"]
    # "ab"->"c", "bc"->"a", "ca"->"b"
    assert windows.tolist() == [[0, 1], [1, 2], [2, 0]]
    assert nxt.tolist() == [2, 0, 1]
    windows, nxt, alphabet = char_windows("hello", 3)
    assert alphabet == ["e", "h", "l", "o"]
    assert windows.tolist() == [[1, 0, 2], [0, 2, 2]] and nxt.tolist() == [2, 3]   # "hel"->"l", "ell"->"o"
    with pytest.raises(ValueError, match="no window"):
        char_windows("abc", 3)


def test_the_data_set_is_one_hot_windows_of_the_text_labelled_with_the_next_character():
    d = make_dataset("char_text", {"seq_len": 6, "n_samples": 200})
    text = prepared_text(True)
    assert d.class_names == sorted(set(text)) and d.n_classes == len(set(text))
    assert d.input_shape == (6, d.n_classes) and d.kind == "sequence" and d.mean is None
    for x, y in zip(np.concatenate([d.x_train, d.x_val, d.x_test]), np.concatenate([d.y_train, d.y_val, d.y_test])):
        assert np.array_equal(x.sum(axis=1), np.ones(6)) and set(np.unique(x)) <= {0.0, 1.0}
        piece = "".join(d.class_names[i] for i in x.argmax(axis=1)) + d.class_names[y]
        assert piece in text
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 200
    everything = make_dataset("char_text", {"seq_len": 6, "n_samples": 20000})
    assert len(everything.x_train) + len(everything.x_val) + len(everything.x_test) == len(text) - 6


def test_the_lesson_figures_of_the_text_by_hand():
    """char_lstm's lesson: 38 characters, ln 38 = 3.64 and the character entropy 2.94 nats."""
    text = prepared_text(True)
    counts = Counter(text)
    n = len(text)
    by_hand = -sum(c / n * math.log(c / n) for c in counts.values())
    assert len(counts) == 38 and round(math.log(38), 2) == 3.64
    assert round(by_hand, 2) == 2.94
    # the probe's entropy of the labels: the characters after the first k, counted by hand
    windows, nxt, alphabet = char_windows(text, 32)
    later = Counter(text[32:])
    m = n - 32
    assert entropy_nats(nxt, len(alphabet)) == pytest.approx(-sum(c / m * math.log(c / m) for c in later.values()))
    assert entropy_nats(np.array([0, 0, 1, 1]), 3) == pytest.approx(math.log(2))


# ---------------------------------------------------------------- sampling
ALPHABET = ["a", "b", "c", "d"]


def successor_network(gap: float):
    """Logits from the window's last character only: `gap` for the next letter (a->b, …, d->a)."""
    w = torch.zeros(4, 4)
    for i in range(4):
        w[i, (i + 1) % 4] = gap

    def forward(x: torch.Tensor) -> torch.Tensor:
        return x[:, -1, :] @ w
    return forward


def test_temperature_zero_is_argmax_decoding_and_a_cold_temperature_agrees():
    net = successor_network(3.0)
    # by hand: after "a" the most likely is b, then c, d, a, …
    assert sample_text(net, ALPHABET, 3, "a", 10, 0.0) == ["bcdabcdabc"]
    assert sample_text(net, ALPHABET, 3, "dd", 5, 0.0, seed=7) == ["abcda"]
    assert sample_text(net, ALPHABET, 3, "a", 10, 1e-3, seed=3) == ["bcdabcdabc"]
    with pytest.raises(ValueError, match="never saw"):
        sample_text(net, ALPHABET, 3, "ax", 5, 0.0)
    with pytest.raises(ValueError, match=">= 0"):
        sample_text(net, ALPHABET, 3, "a", 5, -1.0)


def test_sampling_is_deterministic_under_a_seed_and_differs_between_seeds():
    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(4, 8, batch_first=True), torch.nn.Linear(8, 4)

    def net(x: torch.Tensor) -> torch.Tensor:
        return head(lstm(x)[0][:, -1, :])
    one = sample_text(net, ALPHABET, 5, "abcab", 60, [0.7, 1.0], seed=11)
    assert one == sample_text(net, ALPHABET, 5, "abcab", 60, [0.7, 1.0], seed=11)
    assert one != sample_text(net, ALPHABET, 5, "abcab", 60, [0.7, 1.0], seed=12)
    assert all(len(s) == 60 and set(s) <= set(ALPHABET) for s in one)


def test_a_temperature_draws_from_the_softmax_of_the_logits_over_t():
    logits = torch.tensor([[1.0, 0.0, 0.0, 0.0]]).repeat(6000, 1)
    codes = next_codes(logits, [2.0] * 6000, torch.Generator().manual_seed(0)).numpy()
    e = math.exp(0.5)       # softmax([1, 0, 0, 0] / 2) by hand
    expected = np.array([e, 1, 1, 1]) / (e + 3) * 6000
    assert stats.chisquare(np.bincount(codes, minlength=4), expected).pvalue > 1e-3
    cold = next_codes(torch.tensor([[0.0, 2.0, 1.0, 0.0]]), [0.0], torch.Generator().manual_seed(0))
    assert cold.tolist() == [1]


# ---------------------------------------------------------------- the preset and the live view
def test_the_preset_validates_trains_a_few_steps_and_writes_only_when_asked():
    preset = resolve_preset("char_lstm").copy()
    assert views_for(preset)["text_samples"] and not views_for(resolve_preset("adding_gru"))["text_samples"]
    preset.data.params = {"n_samples": 400}
    preset.training.epochs = 2
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append, views=DEFAULT_VIEWS | {"text_samples"})
    finished = trainer.run()
    assert finished.reason == "finished"
    samples = [e for e in events if isinstance(e, TextSampleEvent)]
    assert [e.epoch for e in samples] == [1, 2]
    text = prepared_text(True)
    for e in samples:
        assert e.prompt == text[:32] and e.temperatures == TEMPERATURES
        assert all(len(s) == N_CHARS and set(s) <= set(text) for s in e.samples)
        assert e.uniform_entropy == pytest.approx(math.log(38))
    quiet: list[object] = []
    Trainer(preset, device="cpu", on_event=quiet.append).run()     # unasked: no text written
    assert not any(isinstance(e, TextSampleEvent) for e in quiet)
    assert load_lesson("char_lstm").claims and load_lesson("char_rnn").claims


def test_a_language_model_is_judged_by_its_loss_against_the_character_entropy():
    preset = resolve_preset("char_lstm")
    entropy = 2.93

    def ending_at(loss: float) -> list[EpochEvent]:
        return [EpochEvent(1, 50, 3.0, 2.95, 0.2, 0.2, 0.01, 1.0), EpochEvent(2, 100, 2.0, loss, 0.4, 0.42, 0.01, 2.0)]
    assert judge(preset, ending_at((CONTEXT_GAIN - 0.1) * entropy), 38).good          # 42% accuracy, still good
    bad = judge(preset, ending_at(entropy), 38)
    assert not bad.good and "character frequencies" in bad.text


def test_the_text_samples_panel_shows_the_latest_lines_and_the_earlier_ones(qtbot):
    from widgets.panel_groups import panel_views
    from widgets.panels.text_samples import TextSamplesPanel
    assert panel_views()["Text samples"] == "text_samples"
    panel = TextSamplesPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.show()
    first = TextSampleEvent(50, 1, "alice ", TEMPERATURES, ["xq zz", "hte", "wqj"], 2.93, math.log(38))
    second = TextSampleEvent(100, 2, "alice ", TEMPERATURES, ["the the", "she was", "down <went>"], 2.93, math.log(38))
    panel.show_events([EpochEvent(1, 50, 3.0, 2.9, 0.2, 0.2, 0.01, 1.0), first])
    panel.show_events([EpochEvent(2, 100, 2.5, 2.4, 0.3, 0.3, 0.01, 2.0), second])
    shown = panel.text.toPlainText()
    assert "down <went>" in shown and "she was" in shown and "wqj" in shown      # the earlier T = 1 line too
    assert "the the" in shown and "xq zz" not in shown                          # only the latest other lines
    assert panel.val_curve.getData()[1].tolist() == [2.9, 2.4]
    assert panel.unigram_line.value() == pytest.approx(2.93)
    header, rows = panel.csv_table()
    assert header == ["epoch", "temperature", "text"] and [1, 1.0, "wqj"] in rows and [2, 0.0, "the the"] in rows
    panel.reset()
    assert panel.text.toPlainText() == "" and panel.received == 0 and len(panel.val_curve.getData()[0] or []) == 0


def test_the_sample_command_continues_a_start_and_refuses_other_networks(capsys):
    from playground.command_line.main import main
    assert main(["sample", "char_lstm", "--chars", "40", "--seed", "5", "--start", "Down, down"]) == 0
    out = capsys.readouterr()
    written = out.out.rstrip("\n")
    assert written.startswith("down, down") and len(written) == len("down, down") + 40   # lower-cased start
    assert "untrained" in out.err
    assert main(["sample", "char_lstm", "--chars", "40", "--seed", "5", "--start", "Down, down"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == written                                # same seed, same text
    assert main(["sample", "xor_mlp", "--chars", "10"]) == 2
    assert "not a character-level language model" in capsys.readouterr().err
