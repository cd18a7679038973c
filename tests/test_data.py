"""The offline data sets: what every trainer, plot and preset relies on."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.core.builtin_data import resource_path
from playground.training.step import augment, corrupt
from playground.data import DATASETS, DIGITS_RESOURCE, load_digits_arrays, \
    make_dataset
from playground.data.base import KINDS

COMMON = {"seed", "n_samples", "noise", "val_fraction", "test_fraction", "standardize",
          "augment_shift", "augment_flip", "augment_noise", "corruption", "corruption_amount"}
ALL = [name for name, entry in DATASETS.items() if not entry.imported]
"""The generated and bundled sets; a person's own files (csv, npz, images) are tested in
test_data_import.py with files the tests write."""


def small(**extra: object) -> dict:
    return {"n_samples": 60, **extra}


def splits(d):
    return [(d.x_train, d.y_train), (d.x_val, d.y_val), (d.x_test, d.y_test)]


# ---- registry and parameters -------------------------------------------------------------

def test_registry_has_every_promised_set_in_display_order():
    assert ALL == ["circle", "xor", "blobs", "spiral", "moons", "linear", "sine", "bowl",
                   "digits", "shapes", "sine_next", "adding", "recall_first", "char_text"]


@pytest.mark.parametrize("name", ALL)
def test_every_param_is_documented_and_its_default_is_valid(name):
    entry = DATASETS[name]
    assert COMMON <= {p.name for p in entry.params}
    for p in entry.params:
        assert p.check(p.default) is None, f"{name}.{p.name} default {p.default!r} is invalid"
        assert p.help.strip() and "\n" not in p.help
        if p.kind in ("int", "float"):
            assert p.minimum is not None and p.maximum is not None, f"{name}.{p.name} has no range"
            assert p.minimum <= p.default <= p.maximum
    assert entry.kind in KINDS and entry.title and entry.help


def test_unknown_name_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"unknown data set 'mnist'.*known: .*spiral"):
        make_dataset("mnist")


def test_bad_parameters_are_refused_by_name():
    with pytest.raises(ValueError, match=r"data\.spiral\.noise: must be >= 0"):
        make_dataset("spiral", {"noise": -1.0})
    with pytest.raises(ValueError, match=r"data\.circle\.colour: unknown parameter"):
        make_dataset("circle", {"colour": "red"})
    with pytest.raises(ValueError, match="nothing|left to train"):
        make_dataset("xor", {"val_fraction": 0.5, "test_fraction": 0.5})


# ---- shapes, dtypes, splits --------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_shapes_dtypes_and_split_sizes(name):
    d = make_dataset(name, small())
    assert d.name == name and d.kind == DATASETS[name].kind and d.description
    assert [len(x) for x, _ in splits(d)] == [36, 12, 12]
    for x, y in splits(d):
        assert x.dtype == np.float32 and x.shape[1:] == d.input_shape
        assert np.isfinite(x).all()
        if d.n_classes:
            assert y.dtype == np.int64 and y.shape == (len(x),)
            assert ((0 <= y) & (y < d.n_classes)).all()
        else:
            assert y.dtype == np.float32 and y.shape == (len(x), *d.target_shape)
    if d.n_classes:
        assert d.target_shape == () and len(d.class_names) == d.n_classes
        assert len(np.unique(d.y_train)) >= 2
    else:
        assert d.target_shape == (1,) and d.class_names == []
    expected = {"points": (2,), "image": None, "sequence": None, "regression": None}[d.kind]
    if expected:
        assert d.input_shape == expected
    if d.kind == "image":
        assert len(d.input_shape) == 3 and d.input_shape[0] == 1
    if d.kind == "sequence":
        assert d.input_shape[0] == DATASETS[name].param("seq_len").default


def test_split_fractions_are_respected():
    d = make_dataset("moons", {"n_samples": 1000, "val_fraction": 0.1, "test_fraction": 0.3})
    assert (len(d.x_train), len(d.x_val), len(d.x_test)) == (600, 100, 300)
    d = make_dataset("moons", {"n_samples": 100, "val_fraction": 0.0, "test_fraction": 0.0})
    assert (len(d.x_train), len(d.x_val), len(d.x_test)) == (100, 0, 0)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_data_other_seed_other_data(name):
    a = make_dataset(name, small(seed=3))
    b = make_dataset(name, small(seed=3))
    c = make_dataset(name, small(seed=4))
    for (xa, ya), (xb, yb) in zip(splits(a), splits(b)):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a.x_train, c.x_train)


# ---- the 2-D sets ------------------------------------------------------------------------

def best_margin(x: np.ndarray, y: np.ndarray, steps: int = 7200) -> float:
    """Hard-margin width of the best separating line (any offset), by scanning directions.

    For a direction w the best offset leaves (min w.x of class 1 - max w.x of class 0) / 2 on
    each side; the scan's step is fine enough that the error is below 1e-3 for |x| < 3.
    """
    angles = np.linspace(0, 2 * np.pi, steps, endpoint=False)
    w = np.stack([np.cos(angles), np.sin(angles)])
    proj = x.astype(np.float64) @ w
    return float(((proj[y == 1].min(axis=0) - proj[y == 0].max(axis=0)) / 2).max())


@pytest.mark.parametrize("seed", [0, 1, 2, 7])
@pytest.mark.parametrize("margin", [0.0, 0.1, 0.3, 0.5])
def test_linear_is_separable_with_at_least_the_margin(seed, margin):
    for standardize in (False, True):
        d = make_dataset("linear", {"seed": seed, "margin": margin, "n_samples": 300,
                                    "standardize": standardize})
        x = np.concatenate([d.x_train, d.x_val, d.x_test])
        y = np.concatenate([d.y_train, d.y_val, d.y_test])
        assert 100 < (y == 1).sum() < 200  # both sides populated
        got = best_margin(x, y)
        assert got > 0, "not linearly separable"
        assert got >= margin - 2e-3, f"margin {got:.4f} < {margin} (standardize={standardize})"


def test_linear_margin_grows_with_the_parameter():
    raw = {"n_samples": 300, "standardize": False}
    small_gap = best_margin(*_all(make_dataset("linear", {**raw, "margin": 0.05})))
    big_gap = best_margin(*_all(make_dataset("linear", {**raw, "margin": 0.4})))
    assert big_gap > small_gap + 0.3


def _all(d):
    return np.concatenate([d.x_train, d.x_val, d.x_test]), np.concatenate([d.y_train, d.y_val,
                                                                          d.y_test])


def test_clean_points_follow_their_rules():
    x, y = _all(make_dataset("xor", {"noise": 0.0, "standardize": False}))
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(np.int64))
    x, y = _all(make_dataset("circle", {"noise": 0.0, "standardize": False}))
    r = np.hypot(x[:, 0], x[:, 1])
    assert r[y == 0].max() < r[y == 1].min()
    x, y = _all(make_dataset("blobs", {"n_classes": 5, "n_samples": 500}))
    assert np.bincount(y).tolist() == [100] * 5


def test_noise_moves_points_but_keeps_labels():
    clean = make_dataset("moons", {"noise": 0.0, "standardize": False})
    noisy = make_dataset("moons", {"noise": 0.3, "standardize": False})
    np.testing.assert_array_equal(clean.y_train, noisy.y_train)
    jitter = noisy.x_train - clean.x_train
    assert 0.25 < jitter.std() < 0.35


# ---- regression --------------------------------------------------------------------------

def test_regression_targets_follow_their_functions():
    d = make_dataset("sine", {"noise": 0.0, "standardize": False})
    x, y = _all(d)
    assert x.min() >= -np.pi and x.max() <= np.pi
    np.testing.assert_allclose(y, np.sin(x), atol=1e-6)
    x, y = _all(make_dataset("bowl", {"noise": 0.0, "standardize": False}))
    np.testing.assert_allclose(y[:, 0], x[:, 0] ** 2 + x[:, 1] ** 2, atol=1e-6)
    x, y = _all(make_dataset("bowl", {"noise": 0.0, "standardize": False, "surface": "plane"}))
    design = np.c_[x, np.ones(len(x))]
    residual = y[:, 0] - design @ np.linalg.lstsq(design, y[:, 0], rcond=None)[0]
    assert np.abs(residual).max() < 1e-5  # a plane: a linear model fits it exactly


# ---- standardization ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["spiral", "bowl", "digits", "sine_next"])
def test_standardization_uses_training_statistics_only(name):
    raw = make_dataset(name, {"n_samples": 200, "standardize": False})
    std = make_dataset(name, {"n_samples": 200, "standardize": True})
    assert raw.mean is None and raw.std is None
    axes = (0, 2, 3) if raw.kind == "image" else tuple(range(raw.x_train.ndim - 1))
    np.testing.assert_allclose(std.mean, raw.x_train.mean(axis=axes), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std.std, raw.x_train.std(axis=axes), rtol=1e-4)
    np.testing.assert_allclose(std.x_train.mean(axis=axes), 0.0, atol=1e-5)
    np.testing.assert_allclose(std.x_train.std(axis=axes), 1.0, atol=1e-4)
    # Validation and test are mapped with the training statistics, not their own.
    for s, r in [(std.x_val, raw.x_val), (std.x_test, raw.x_test)]:
        np.testing.assert_allclose(std.unstandardize(s), r, atol=1e-5)
    assert abs(float(std.x_val.mean())) > 1e-4  # their own stats would have given exactly 0


def test_default_standardization_per_kind():
    assert make_dataset("circle").mean is not None
    assert make_dataset("sine").mean is not None
    d = make_dataset("digits")
    assert d.mean is None and 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0


# ---- images ------------------------------------------------------------------------------

def test_digits_is_the_full_bundled_set():
    d = make_dataset("digits")
    x, y = _all(d)
    assert len(x) == 1797 and d.input_shape == (1, 8, 8)
    assert d.n_classes == 10 and d.class_names == [str(i) for i in range(10)]
    assert set(np.unique(y)) == set(range(10))
    assert x.min() == 0.0 and x.max() == 1.0
    assert DATASETS["digits"].param("n_samples").maximum == 1797
    with pytest.raises(ValueError, match="n_samples: must be <= 1797"):
        make_dataset("digits", {"n_samples": 1798})


def test_digits_file_loads_without_pickle():
    with resource_path(DIGITS_RESOURCE) as path, np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["images", "labels"]
        assert archive["images"].dtype == np.uint8 and archive["images"].shape == (1797, 8, 8)
        assert archive["labels"].dtype == np.uint8 and archive["labels"].shape == (1797,)
    images, labels = load_digits_arrays()
    assert images.max() == 16 and labels.max() == 9
    assert np.bincount(labels).min() >= 170  # about 180 of each digit


def test_missing_digits_file_says_where_it_should_be(tmp_path: Path):
    missing = tmp_path / "digits.npz"
    with pytest.raises(FileNotFoundError, match="digits data file is missing"):
        load_digits_arrays(missing)


def test_shapes_are_fast_balanced_and_in_unit_range():
    start = time.perf_counter()
    d = make_dataset("shapes", {"n_samples": 4000})
    assert time.perf_counter() - start < 2.0
    x, y = _all(d)
    assert x.shape == (4000, 1, 28, 28) and 0.0 <= x.min() and x.max() <= 1.0
    assert np.bincount(y).tolist() == [1000] * 4
    assert d.class_names == ["circle", "square", "triangle", "cross"]


def test_clean_shapes_are_whole_and_distinguishable():
    x, y = _all(make_dataset("shapes", {"n_samples": 400, "noise": 0.0}))
    ink = (x[:, 0] > 0.3)
    assert (ink.sum(axis=(1, 2)) > 20).all()  # every image shows a shape
    border = np.concatenate([ink[:, 0], ink[:, -1], ink[:, :, 0], ink[:, :, -1]], axis=1)
    assert not border.any()  # never cut off by the frame
    # Filled area relative to the bounding extent differs by class: circles fill more than
    # triangles, so the mean ink of the two classes differs clearly at equal sizes.
    area = ink.sum(axis=(1, 2)).astype(float)
    assert area[y == 0].mean() > 1.5 * area[y == 2].mean()


# ---- sequences ---------------------------------------------------------------------------

def test_adding_problem_structure():
    d = make_dataset("adding", {"n_samples": 500, "seq_len": 30})
    x, y = _all(d)
    assert x.shape == (500, 30, 2)
    values, markers = x[:, :, 0], x[:, :, 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers.sum(axis=1) == 2).all()
    assert (markers[:, :15].sum(axis=1) == 1).all() and (markers[:, 15:].sum(axis=1) == 1).all()
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1), atol=1e-6)
    # The trivial answer (always 1.0) scores the advertised MSE of about 1/6.
    assert 0.14 < float(((y - 1.0) ** 2).mean()) < 0.19


def test_sine_next_target_continues_the_window():
    d = make_dataset("sine_next", {"noise": 0.0, "n_samples": 200, "seq_len": 12})
    x, y = _all(d)
    assert x.shape == (200, 12, 1)
    # A sine obeys s[t+1] = 2cos(w)s[t] - s[t-1]; fit cos(w) from the window, then check y.
    s = x[:, :, 0].astype(np.float64)
    two_cos = ((s[:, 2:] + s[:, :-2]) * s[:, 1:-1]).sum(1) / (s[:, 1:-1] ** 2).sum(1)
    np.testing.assert_allclose(y[:, 0], two_cos * s[:, -1] - s[:, -2], atol=1e-4)


# ---- augment and corrupt -----------------------------------------------------------------

def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_augment_is_identity_when_off_or_not_images():
    x = torch.rand(8, 1, 8, 8)
    assert torch.equal(augment(x, {}), x)
    assert torch.equal(augment(x, {"augment_shift": 0, "augment_flip": False}), x)
    on = {"augment_shift": 2, "augment_flip": True, "augment_noise": 0.1}
    for other in (torch.rand(8, 2), torch.rand(8, 20, 1)):
        assert torch.equal(augment(other, on), other)


def test_shift_moves_content_by_at_most_the_limit_with_zero_padding():
    x = torch.zeros(500, 1, 9, 9)
    x[:, 0, 4, 4] = 1.0
    out = augment(x, {"augment_shift": 2}, gen())
    assert out.shape == x.shape and torch.equal(x[:, 0, 4, 4], torch.ones(500))  # input kept
    assert torch.equal(out.sum(dim=(1, 2, 3)), torch.ones(500))  # the pixel is moved, not lost
    pos = out[:, 0].flatten(1).argmax(1)
    rows, cols = pos // 9, pos % 9
    assert set(rows.tolist()) == {2, 3, 4, 5, 6} and set(cols.tolist()) == {2, 3, 4, 5, 6}
    # Shifting past the edge drops content and fills zeros.
    full = torch.ones(200, 1, 6, 6)
    shifted = augment(full, {"augment_shift": 3}, gen(1))
    assert (shifted.sum(dim=(1, 2, 3)) < 36).any() and set(shifted.unique().tolist()) <= {0., 1.}


def test_flip_mirrors_about_half_of_the_images():
    x = torch.rand(400, 1, 8, 8)
    out = augment(x, {"augment_flip": True}, gen())
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    assert (same | mirrored).all()
    assert 150 < int(mirrored.sum()) < 250


def test_augment_noise_has_the_stated_sigma_and_generator_makes_it_repeatable():
    x = torch.rand(200, 1, 8, 8)
    out = augment(x, {"augment_noise": 0.2}, gen(5))
    assert abs(float((out - x).std()) - 0.2) < 0.01
    assert torch.equal(out, augment(x, {"augment_noise": 0.2}, gen(5)))
    assert not torch.equal(out, augment(x, {"augment_noise": 0.2}, gen(6)))
    everything = {"augment_shift": 1, "augment_flip": True, "augment_noise": 0.1}
    assert augment(x, everything).shape == x.shape  # no generator: torch's default stream


def test_corrupt_none_gaussian_and_mask():
    x = torch.rand(100, 1, 28, 28) + 0.5  # no zeros to begin with
    assert torch.equal(corrupt(x, {}), x)  # default corruption is "none"
    g = corrupt(x, {"corruption": "gaussian", "corruption_amount": 0.3}, gen())
    assert g.shape == x.shape and abs(float((g - x).std()) - 0.3) < 0.01
    m = corrupt(x, {"corruption": "mask", "corruption_amount": 0.3}, gen())
    assert m.shape == x.shape
    zeroed = m == 0
    assert abs(float(zeroed.float().mean()) - 0.3) < 0.01
    assert torch.equal(m[~zeroed], x[~zeroed])  # kept values are untouched
    flat = corrupt(torch.ones(50, 64), {"corruption": "mask", "corruption_amount": 0.5}, gen())
    assert abs(float((flat == 0).float().mean()) - 0.5) < 0.03  # works on flat inputs too
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt(x, {"corruption": "blur"})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_transforms_run_on_the_gpu_with_a_cpu_generator():
    x = torch.rand(16, 1, 8, 8, device="cuda")
    on = {"augment_shift": 1, "augment_flip": True, "augment_noise": 0.1}
    assert augment(x, on, gen()).device == x.device
    assert augment(x, on).device == x.device
    assert corrupt(x, {"corruption": "mask"}, gen()).device == x.device
