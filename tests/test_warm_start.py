"""Pretrain, then fine-tune (issue 25): training.warm_start takes a network's first layers'
weights from a finished run or a built-in preset trained first; frozen, then unfrozen."""
from __future__ import annotations

import pytest
import torch
from safetensors import safe_open

from playground.command_line.main import main
from playground.core.seeds import Seeds
from playground.network.applies import inapplicable_settings
from playground.network.preset import PresetError, preset_from_dict, preset_to_dict, save_preset
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.params import ProblemList
from playground.run_records import warm_start
from playground.run_records.run_to_end import make_trainer, record_run, train_run

MOONS = {"n_samples": 120, "noise": 0.1, "val_fraction": 0.2, "test_fraction": 0.2}


def _mlp(name: str, hidden: int = 8, **training) -> Preset:
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": hidden}), ("ReLU", {}),
                            ("Linear", {"out_features": 2}))
    ts = TrainSpec(**{"epochs": 2, "batch_size": 16, "lr": 0.01, "seed": 3, "device": "cpu", **training})
    return Preset(name, "a tiny moons classifier", model, DataSpec("moons", dict(MOONS)), ts)


def _finetune(source: str, hidden: int = 8, freeze: int = 0, epochs: int = 2) -> Preset:
    return _mlp("tiny_finetune", hidden, warm_start=source, warm_start_layers="linear1", freeze_epochs=freeze,
                epochs=epochs)


@pytest.fixture
def source_run(private_home) -> str:
    """A finished two-epoch run in the private runs folder: the source to start from."""
    return record_run(_mlp("tiny_source"), None).id


def _file_tensor(run_id: str, name: str, runs) -> torch.Tensor:
    """A tensor as the source run's model file holds it, read with safetensors alone."""
    with safe_open(str(runs / run_id / "model.safetensors"), framework="pt") as f:
        return f.get_tensor(name)


def test_a_warm_started_first_layer_equals_the_source_runs_weights_before_training(source_run, private_home):
    runs = private_home / "runs"
    trainer = make_trainer(_finetune(source_run))
    state = trainer.model.state_dict()
    assert torch.equal(state["linear1.weight"], _file_tensor(source_run, "linear1.weight", runs))
    assert torch.equal(state["linear1.bias"], _file_tensor(source_run, "linear1.bias", runs))
    # the layers it does not name start from the seed, not from the source
    assert not torch.equal(state["linear2.weight"], _file_tensor(source_run, "linear2.weight", runs))
    scratch = make_trainer(_mlp("tiny_finetune")).model.state_dict()
    assert torch.equal(state["linear2.weight"], scratch["linear2.weight"])


def test_warm_started_layers_stay_frozen_for_freeze_epochs_then_learn(source_run, private_home):
    runs = private_home / "runs"
    trainer = make_trainer(_finetune(source_run, freeze=1, epochs=2))
    source = _file_tensor(source_run, "linear1.weight", runs)
    head = trainer.model.state_dict()["linear2.weight"].clone()
    while trainer.epoch < 1:
        trainer.step()
    state = trainer.model.state_dict()
    assert torch.equal(state["linear1.weight"], source)            # frozen for the first epoch
    assert not torch.equal(state["linear2.weight"], head)           # while the rest learns
    trainer.run()
    assert trainer.epoch == 2 and not torch.equal(trainer.model.state_dict()["linear1.weight"], source)
    trainer.reset_weights()                                           # a fresh start: the source again, frozen
    assert torch.equal(trainer.model.state_dict()["linear1.weight"], source)
    assert not trainer.model.linear1.weight.requires_grad


def test_a_shape_mismatch_is_one_line_naming_the_layer(source_run, private_home, capsys):
    with pytest.raises(ProblemList) as caught:
        make_trainer(_finetune(source_run, hidden=5))
    message = str(caught.value)
    assert "\n" not in message and "'linear1'" in message and "5×2" in message and "8×2" in message
    path = private_home / "finetune.json"
    save_preset(_finetune(source_run, hidden=5), path)
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("playground: error:") and "'linear1'" in err and len(err.splitlines()) == 1


def test_sources_that_cannot_be_used_are_refused_in_one_line(private_home):
    with pytest.raises(ProblemList, match="no built-in preset, and as a run: no run 'nowhere'"):
        make_trainer(_finetune("nowhere"))
    doc = preset_to_dict(_finetune("nowhere"))
    doc["training"]["warm_start_layers"] = "linear1, lineer2"
    with pytest.raises(PresetError, match=r"training\.warm_start_layers: 'lineer2' is no node"):
        preset_from_dict(doc)
    doc["training"]["warm_start_layers"] = ""
    with pytest.raises(PresetError, match=r"training\.warm_start_layers: name the layers"):
        preset_from_dict(doc)
    with pytest.raises(ProblemList, match="were not fetched"):   # a caller that fetched nothing trains nothing
        from playground.training.trainer import Trainer
        Trainer(_finetune("nowhere"))


def test_a_builtin_source_is_trained_first_with_the_runs_own_seeds(private_home, monkeypatch):
    source = _mlp("tiny_pretrain", epochs=3)
    monkeypatch.setattr(warm_start, "builtin_names", lambda: ["tiny_pretrain"])
    monkeypatch.setattr(warm_start, "resolve_preset", lambda name: source.copy())
    seeds = Seeds(7, 8, 9)
    expected = train_run(source, seeds=seeds, device="cpu").trainer.model.state_dict()["linear1.weight"]
    trainer = make_trainer(_finetune("tiny_pretrain"), seeds, device="cpu")
    assert torch.equal(trainer.model.state_dict()["linear1.weight"], expected)
    other = make_trainer(_finetune("tiny_pretrain"), Seeds(1, 1, 1), device="cpu")
    assert not torch.equal(other.model.state_dict()["linear1.weight"], expected)


def test_a_warm_started_run_exports_and_train_py_refuses_what_it_cannot_fetch(source_run, private_home, capsys):
    path = private_home / "finetune.json"
    save_preset(_finetune(source_run), path)
    assert main(["train", str(path)]) == 0
    run_id = capsys.readouterr().out.strip().splitlines()[-1]
    out = private_home / "export"
    out.mkdir()
    run = str(private_home / "runs" / run_id)
    assert main(["export", run, "--format", "python", "--out", str(out / "model.py")]) == 0
    assert (out / "model.py").is_file()
    capsys.readouterr()
    assert main(["export", run, "--format", "script", "--out", str(out / "script")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "warm_start" in err and "set warm_start to empty" in err


def test_semi_supervised_settings_apply_only_with_unlabelled_points():
    preset = _mlp("tiny")
    reasons = inapplicable_settings(preset)
    assert {"entropy_weight", "self_training", "self_training_every"} <= set(reasons)
    assert "labels_per_class" in reasons["entropy_weight"]
    assert {"warm_start_layers", "freeze_epochs"} <= set(reasons) and "warm_start" not in reasons
    preset.data.params["labels_per_class"] = 3
    preset.training.warm_start = "some_run"
    reasons = inapplicable_settings(preset)
    assert not {"entropy_weight", "self_training", "warm_start_layers", "freeze_epochs"} & set(reasons)
    assert "self_training_every" in reasons   # self-training is off
