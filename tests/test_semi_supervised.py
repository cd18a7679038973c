"""Semi-supervised learning: labels_per_class, entropy regularization and self-training (issue 25)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.data import make_dataset
from playground.export import ExportError, export
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.params import ProblemList
from playground.training.events import LossEvent
from playground.training.losses import entropy_penalty
from playground.training.trainer import Trainer

MOONS = {"n_samples": 100, "noise": 0.1, "val_fraction": 0.2, "test_fraction": 0.2}


def _rows(x: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in np.ascontiguousarray(x)}


def test_labels_per_class_keeps_exactly_k_per_class_and_sets_the_rest_aside():
    full = make_dataset("moons", MOONS)
    semi = make_dataset("moons", {**MOONS, "labels_per_class": 3})
    assert np.bincount(semi.y_train, minlength=2).tolist() == [3, 3]
    kept, pool = _rows(semi.x_train), _rows(semi.x_unlabelled)
    assert len(kept) == 6 and len(pool) == len(full.x_train) - 6
    assert not kept & pool                                  # disjoint
    assert kept | pool == _rows(full.x_train)               # together: the whole training split
    labels = {row.tobytes(): y for row, y in zip(full.x_train, full.y_train)}
    assert all(labels[row.tobytes()] == y for row, y in zip(semi.x_train, semi.y_train))  # true labels kept
    assert np.array_equal(semi.x_test, full.x_test) and np.array_equal(semi.x_val, full.x_val)
    assert full.x_unlabelled is None
    again = make_dataset("moons", {**MOONS, "labels_per_class": 3})
    other = make_dataset("moons", {**MOONS, "labels_per_class": 3, "seed": 1})
    assert np.array_equal(again.x_train, semi.x_train) and not np.array_equal(other.x_train, semi.x_train)


def test_labels_per_class_refuses_what_it_cannot_keep():
    with pytest.raises(ValueError, match="labels_per_class 500: class .* has only"):
        make_dataset("moons", {**MOONS, "labels_per_class": 500})
    with pytest.raises(ValueError, match="real values, not classes"):
        make_dataset("sine", {"labels_per_class": 2})
    with pytest.raises(ValueError, match="labels_per_class"):
        make_dataset("moons", {**MOONS, "labels_per_class": -1})


def _numpy_entropy(p: np.ndarray) -> float:
    return float(np.mean([-sum(q * np.log(q) for q in row) for row in p]))


def test_entropy_penalty_by_hand_for_logits_softmax_and_one_sigmoid_output():
    logits = np.array([[2.0, 0.0], [0.0, 0.0], [1.0, -3.0]])
    soft = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    want = _numpy_entropy(soft)
    assert entropy_penalty(torch.tensor(logits), "raw").item() == pytest.approx(want, rel=1e-6)
    assert entropy_penalty(torch.tensor(soft), "probs").item() == pytest.approx(want, rel=1e-6)
    z = np.array([[0.0], [2.0], [-1.0]])
    p = 1 / (1 + np.exp(-z))
    assert entropy_penalty(torch.tensor(z), "raw").item() == pytest.approx(
        _numpy_entropy(np.hstack([1 - p, p])), rel=1e-6)
    assert entropy_penalty(torch.tensor([[0.0, 0.0]]), "raw").item() == pytest.approx(np.log(2))


def _linear_preset(**training) -> Preset:
    """2 inputs -> 2 logits: a network whose loss numpy computes from its two weight tensors."""
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 2}))
    data = DataSpec("moons", {"n_samples": 40, "noise": 0.1, "val_fraction": 0.2, "test_fraction": 0.2,
                              "labels_per_class": 2})
    return Preset("semi", "", model, data, TrainSpec(lr=0.1, epochs=1, batch_size=64, device="cpu", **training))


def test_the_trainer_adds_lambda_times_the_entropy_of_the_unlabelled_batch_by_hand():
    events: list = []
    trainer = Trainer(_linear_preset(entropy_weight=0.7), device="cpu", on_event=events.append)
    w = trainer.model.linear1.weight.detach().numpy().astype(np.float64)
    b = trainer.model.linear1.bias.detach().numpy().astype(np.float64)
    ds = trainer.dataset
    assert len(ds.x_unlabelled) == 20 <= trainer.ts.batch_size    # the whole pool is the unlabelled batch

    def softmax(x):
        z = x @ w.T + b
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    ce = -np.mean(np.log(softmax(ds.x_train)[np.arange(4), ds.y_train]))
    entropy = _numpy_entropy(softmax(ds.x_unlabelled))
    trainer.step()
    loss = next(e for e in events if isinstance(e, LossEvent))
    assert loss.losses[0] == pytest.approx(ce + 0.7 * entropy, rel=1e-5)
    assert loss.penalties[0] == pytest.approx(0.7 * entropy, rel=1e-5)


def test_self_training_adds_the_confident_unlabelled_points_with_the_predicted_class():
    preset = _linear_preset(self_training=0.5, self_training_every=1)   # two classes: every point passes 0.5
    preset.training.epochs = 3
    trainer = Trainer(preset, device="cpu")
    pool = trainer.dataset.x_unlabelled
    trainer.run(max_steps=trainer.steps_per_epoch)      # one epoch, then its round of pseudo-labels
    assert trainer.n_train == 4 + len(pool) and len(trainer.unlabelled) == 0 and trainer.pseudo_labels == len(pool)
    added = trainer.x_train[4:]
    assert _rows(added.numpy()) == _rows(pool)
    assert torch.equal(trainer.y_train[:4], torch.as_tensor(trainer.dataset.y_train))
    assert torch.equal(trainer.y_train[4:], trainer.predict(added).argmax(dim=1))   # no step since the round
    right = int((trainer.predict(trainer.x_train[:4]).argmax(dim=1) == trainer.y_train[:4]).sum())
    assert trainer.evaluate("train")["accuracy"] == pytest.approx((right + len(pool)) / (4 + len(pool)))
    trainer.run()
    assert trainer.state == "finished" and trainer.step_count == 3
    trainer.reset_weights()                          # pseudo-labels go with the weights that made them
    assert trainer.n_train == 4 and len(trainer.unlabelled) == len(pool)


def test_a_high_threshold_leaves_unsure_points_in_the_pool():
    trainer = Trainer(_linear_preset(self_training=1.0, self_training_every=1), device="cpu")
    trainer.run()
    assert trainer.pseudo_labels == 0 and trainer.n_train == 4


@pytest.mark.parametrize("setting", ["entropy_weight", "self_training"])
def test_semi_supervised_settings_without_unlabelled_points_are_refused_by_name(setting):
    preset = _linear_preset(**{setting: 0.9})
    preset.data.params["labels_per_class"] = 0
    with pytest.raises(ProblemList) as e:
        Trainer(preset, device="cpu")
    assert e.value.problems[0].path == f"training.{setting}"
    assert "labels_per_class" in e.value.problems[0].message


def test_the_training_script_refuses_semi_supervised_settings_and_exports_supervised_only(tmp_path):
    with pytest.raises(ExportError, match="no semi-supervised training .entropy_weight.: set entropy_weight to 0"):
        export(_linear_preset(entropy_weight=0.5), None, "script", tmp_path / "semi")
    assert not (tmp_path / "semi").exists()
    export(_linear_preset(), None, "script", tmp_path / "supervised")
    with np.load(tmp_path / "supervised" / "data.npz", allow_pickle=False) as data:
        assert np.bincount(data["y_train"]).tolist() == [2, 2]     # the labelled points only
