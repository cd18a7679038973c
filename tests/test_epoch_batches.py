"""An epoch's batches are gathered a chunk at a time: the same rows, in the same order, as
indexing the training tensors with each batch's indices."""
import pytest
import torch

from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.batches import epoch_batches
from playground.training.trainer import Trainer


def by_index(x, y, order, batch_size):
    """What a hand-written loop takes: x[idx], y[idx] for each batch's indices."""
    return [(x[idx], y[idx]) for idx in order.split(batch_size)]


@pytest.mark.parametrize("chunk_bytes", [1, 7 * 10 * 6 * 4 + 5, 1 << 30],
                         ids=["smaller than a batch", "seven batches and a bit", "the whole epoch"])
def test_the_batches_are_the_rows_each_batch_names(chunk_bytes):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(103, 3, 2, generator=gen)
    y = torch.randint(0, 4, (103,), generator=gen)
    order = torch.randperm(103, generator=gen)
    got = list(epoch_batches(x, y, order, 10, chunk_bytes))
    want = by_index(x, y, order, 10)
    assert [len(b) for b, _ in got] == [10] * 10 + [3]
    for (xb, yb), (xw, yw) in zip(got, want, strict=True):
        assert torch.equal(xb, xw) and torch.equal(yb, yw)


def test_changing_a_batch_in_place_leaves_the_training_set_as_it_was():
    x = torch.arange(20.0).reshape(10, 2)
    y = torch.arange(10)
    xb, yb = next(epoch_batches(x, y, torch.arange(10), 4))
    xb.mul_(0)
    yb.fill_(-1)
    assert torch.equal(x, torch.arange(20.0).reshape(10, 2)) and torch.equal(y, torch.arange(10))


def test_the_trainer_trains_on_its_permutation_in_order_also_after_a_batch_size_change():
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 2}))
    preset = Preset("t", "", model, DataSpec("xor", {"n_samples": 200}),
                    TrainSpec(epochs=2, batch_size=16, lr=0.01, probe_every=1000))
    trainer = Trainer(preset)
    seen = []
    trainer.model.register_forward_pre_hook(lambda m, args: seen.append(args[0].clone()) if m.training else None)
    perm = trainer._perm.clone()
    for _ in range(3):
        trainer.step()
    trainer.set_setting("batch_size", 25)
    while trainer.epoch == 0:
        trainer.step()
    n = len(trainer.x_train)
    starts = [0, 16, 32, 48] + list(range(73, n, 25))
    ends = starts[1:] + [n]
    assert [len(b) for b in seen] == [e - s for s, e in zip(starts, ends)]
    for batch, s, e in zip(seen, starts, ends):
        assert torch.equal(batch, trainer.x_train[perm[s:e]])
