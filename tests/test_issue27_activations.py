"""The deep network at a high learning rate (issue 27): its ReLU units die, Leaky ReLU's and PReLU's
keep a gradient and the network still learns. Dead units are counted here by hand from the
layers' outputs on the training inputs, not by the probes under test elsewhere; the contrast
is asserted on the mean over three seeds with a margin far outside their spread."""
from __future__ import annotations

from statistics import mean

import numpy as np
import pytest
import torch

from playground.network.preset import preset_to_dict, resolve_preset
from playground.run_records.run_to_end import train_run

pytestmark = pytest.mark.figure

SEEDS = (0, 1, 2)
FAMILY = ("deep_relu_high_lr", "deep_leaky_relu_high_lr", "deep_prelu_high_lr", "deep_elu_high_lr",
          "deep_gelu_high_lr", "deep_swish_high_lr")


def test_the_family_differs_from_deep_relu_only_in_optimizer_rate_and_activation():
    base = preset_to_dict(resolve_preset("deep_relu"))
    for name in FAMILY:
        doc = preset_to_dict(resolve_preset(name))
        assert doc["training"]["optimizer"] == "rmsprop" and doc["training"]["lr"] == 0.01
        assert doc["training"]["alpha"] == 0.999   # RMSprop's decay, written out in the preset
        own = ("optimizer", "lr", "alpha")
        assert {k: v for k, v in doc["training"].items() if k not in own} == \
               {k: v for k, v in base["training"].items() if k not in own}
        assert doc["data"] == base["data"]
        kinds = [n["type"] for n in doc["model"]["nodes"]]
        assert kinds.count("Linear") == 9 and len(set(kinds) - {"Input", "Linear"}) == 1, name
        linear = [(n["params"], n["pos"]) for n in doc["model"]["nodes"] if n["type"] == "Linear"]
        assert linear == [(n["params"], n["pos"]) for n in base["model"]["nodes"] if n["type"] == "Linear"]


def test_maxout_keeps_the_width_and_doubles_the_weights():
    """deep_maxout_high_lr: each of the 8 hidden layers has 32 Maxout units of k = 2 pieces, so its
    Linear layer has 64 outputs; the training settings are the family's."""
    relu = preset_to_dict(resolve_preset("deep_relu_high_lr"))
    doc = preset_to_dict(resolve_preset("deep_maxout_high_lr"))
    assert doc["training"] == relu["training"] and doc["data"] == relu["data"]
    kinds = [n["type"] for n in doc["model"]["nodes"]]
    assert kinds == [("Maxout" if k == "ReLU" else k) for k in (n["type"] for n in relu["model"]["nodes"])]
    assert all(n["params"] == {"pieces": 2} for n in doc["model"]["nodes"] if n["type"] == "Maxout")
    widths = [n["params"]["out_features"] for n in doc["model"]["nodes"] if n["type"] == "Linear"]
    assert widths == [64] * 8 + [2]
    # weights and biases by hand: 2→64, seven 32→64, 32→2; ReLU's: 2→32, seven 32→32, 32→2
    maxout = (2 * 64 + 64) + 7 * (32 * 64 + 64) + (32 * 2 + 2)
    relu_count = (2 * 32 + 32) + 7 * (32 * 32 + 32) + (32 * 2 + 2)
    assert (maxout, relu_count) == (15042, 7554)
    from playground.training.trainer import Trainer
    built = Trainer(resolve_preset("deep_maxout_high_lr"), device="cpu").model
    assert sum(p.numel() for p in built.parameters()) == maxout


def trained(name: str, seed: int):
    return train_run(resolve_preset(name), device="cpu", seed=seed)


def dead_shares(result) -> list[float]:
    """Per hidden activation layer: the share of units whose output is ≤ 0 on every training input."""
    trainer = result.trainer
    with torch.no_grad():
        values = trainer.model.forward_all(torch.as_tensor(trainer.dataset.x_train))
    acts = [n.id for n in trainer.preset.model.nodes if n.type not in ("Input", "Linear")]
    return [float(np.mean(values[a].numpy().max(axis=0) <= 0)) for a in acts]


def test_relu_dies_at_the_high_rate_where_prelu_and_leaky_relu_still_learn():
    relu = [trained("deep_relu_high_lr", s) for s in SEEDS]
    for r in relu:
        assert max(dead_shares(r)) >= 0.9   # a whole layer (nearly) dead on every seed
        assert r.summary["val_accuracy"] <= 0.6   # one class predicted: chance on the circle
    relu_acc = mean(r.summary["val_accuracy"] for r in relu)
    prelu_acc = mean(trained("deep_prelu_high_lr", s).summary["val_accuracy"] for s in SEEDS)
    leaky_acc = mean(trained("deep_leaky_relu_high_lr", s).summary["val_accuracy"] for s in SEEDS)
    assert prelu_acc >= relu_acc + 0.3
    assert leaky_acc >= relu_acc + 0.2
