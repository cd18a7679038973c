"""The summary's numbers, checked against a network small enough to count by hand."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_export_support import PRESET_NAMES, all_presets  # noqa: E402

from playground.export import export  # noqa: E402
from playground.export.common import prepare  # noqa: E402
from playground.export.summary import summarize  # noqa: E402
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec  # noqa: E402

PRESETS = all_presets()


def small_cnn() -> Preset:
    spec = ModelSpec.chain(
        ("Input", {"shape": [1, 8, 8]}),
        ("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),  # 4x8x8
        ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 2}),                                  # 4x4x4
        ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 0}),    # 8x2x2
        ("Flatten", {}),
        ("Linear", {"out_features": 10}))
    return Preset("small cnn", "", spec, DataSpec("digits"), TrainSpec())


def test_small_cnn_counted_by_hand(tmp_path: Path) -> None:
    s = summarize(prepare(small_cnn(), None))
    rows = {r.node_id: r for r in s.rows}
    assert rows["conv2d1"].params == 1 * 4 * 9 + 4
    assert rows["conv2d2"].params == 4 * 8 * 9 + 8
    assert rows["linear1"].params == 32 * 10 + 10
    assert rows["conv2d1"].mult_adds == (4 * 8 * 8) * (1 * 9)
    assert rows["conv2d2"].mult_adds == (8 * 2 * 2) * (4 * 9)
    assert rows["linear1"].mult_adds == 32 * 10
    # receptive field: 3 after the first conv, 3 + 1 = 4 after the 2x2 pool (jump 2),
    # 4 + (3 - 1) * 2 = 8 after the second conv: one value sees the whole 8x8 image
    assert [rows[k].receptive_field for k in ("conv2d1", "relu1", "maxpool2d1", "conv2d2", "flatten1")] \
        == [3, 3, 4, 8, None]
    assert s.total_params == 40 + 296 + 330 and s.total_mult_adds == 2304 + 1152 + 320

    export(small_cnn(), None, "summary", tmp_path / "summary.txt")
    text = (tmp_path / "summary.txt").read_text()
    assert "total: 666 parameters" in text and "3,776 multiply-adds per sample" in text
    assert "8x8" in text and "receptive field" in text
    assert re.search(r"\nconv2d2 +Conv2d +\(8, 2, 2\) +296 +8x8 +1,152\n", text), text


def test_dilated_conv_and_recurrent_cost() -> None:
    spec = ModelSpec.chain(("Input", {"shape": [1, 9, 9]}),
                           ("Conv2d", {"out_channels": 1, "kernel_size": 3, "dilation": 2, "padding": 2}))
    rows = summarize(prepare(Preset("d", "", spec, DataSpec("digits"), TrainSpec()), None)).rows
    assert rows[-1].receptive_field == 5  # 3 taps spread over 5 pixels
    spec = ModelSpec.chain(("Input", {"shape": [5, 3]}), ("LSTM", {"hidden_size": 6, "num_layers": 2}))
    rows = summarize(prepare(Preset("l", "", spec, DataSpec("sine_next"), TrainSpec()), None)).rows
    # 4 gates, each h x (inputs + h), at each of 5 steps; layer 2 reads layer 1's 6 features
    assert rows[-1].mult_adds == 5 * (4 * 6 * (3 + 6) + 4 * 6 * (6 + 6))
    assert rows[-1].receptive_field is None


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_summary_of_every_preset_counts_every_parameter(name: str) -> None:
    job = prepare(PRESETS[name], None)
    s = summarize(job)
    assert s.total_params == sum(p.numel() for p in job.model.parameters())
    assert [r.node_id for r in s.rows] == [job.model.input_id] + [nid for nid, _ in job.model.plan]
    text = s.text()
    assert all(r.node_id in text for r in s.rows) and f"{s.total_params:,} parameters" in text
