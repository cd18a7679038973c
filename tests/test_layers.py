"""Every layer type in the catalogue builds, runs forward and backward, and matches its
declared shape; a few layers are checked against their formulas."""
import math

import pytest
import torch

from playground.network.build import build_model
from playground.layers import CATALOGUE, INIT_SCHEMES
from playground.layers.modules import Maxout, StableSoftmax
from playground.network.shapes import analyze
from playground.network.spec import ModelSpec, Node

# For each type: (input shape, params) it is exercised with.
CASES = {
    "Linear": ((6,), {"out_features": 3}),
    "Conv2d": ((2, 8, 8), {"out_channels": 3, "kernel_size": 3, "stride": 2}),
    "ConvTranspose2d": ((2, 4, 4), {"out_channels": 3, "kernel_size": 2, "stride": 2}),
    "MaxPool2d": ((2, 8, 8), {"kernel_size": 2}),
    "AvgPool2d": ((2, 8, 8), {"kernel_size": 3, "stride": 1, "padding": 1}),
    "Upsample": ((2, 4, 4), {"scale_factor": 2}),
    "Flatten": ((2, 3, 3), {}),
    "Reshape": ((12,), {"shape": [3, 2, 2]}),
    "Dropout": ((6,), {"p": 0.3}),
    "BatchNorm": ((2, 4, 4), {}),
    "LayerNorm": ((5, 6), {}),
    "RNN": ((7, 3), {"hidden_size": 4, "output": "sequence"}),
    "LSTM": ((7, 3), {"hidden_size": 4}),
    "GRU": ((7, 3), {"hidden_size": 4, "num_layers": 2}),
    "Maxout": ((6,), {"pieces": 3}),
}
ACTIVATIONS = [n for n, t in CATALOGUE.items() if t.group == "Activation" and n != "Maxout"]
SINGLE = sorted(set(CASES) | set(ACTIVATIONS))


def one_layer(type_name: str, shape, params) -> ModelSpec:
    return ModelSpec([Node("x", "Input", {"shape": list(shape)}), Node("layer", type_name, params, ["x"])])


@pytest.mark.parametrize("type_name", SINGLE)
def test_layer_builds_runs_and_backpropagates(type_name):
    shape, params = CASES.get(type_name, ((6,), {}))
    spec = one_layer(type_name, shape, params)
    report = analyze(spec)
    assert report.ok, report.errors()
    model = build_model(spec, seed=0)
    x = torch.randn((4,) + shape, requires_grad=True)
    y = model(x)
    assert tuple(y.shape[1:]) == report.shapes["layer"]
    if type_name == "Sign":  # the step has no gradient: that is why the perceptron has its own rule
        assert not y.requires_grad and set(y.unique().tolist()) <= {-1.0, 1.0}
        return
    (y.float() ** 2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_multi_input_layers():
    spec = ModelSpec([
        Node("x", "Input", {"shape": [4]}),
        Node("a", "Linear", {"out_features": 3}, ["x"]), Node("b", "Linear", {"out_features": 3}, ["x"]),
        Node("sum", "Add", {}, ["a", "b"]), Node("cat", "Concat", {}, ["sum", "a", "b"]),
        Node("mu", "Linear", {"out_features": 2}, ["cat"]), Node("logvar", "Linear", {"out_features": 2}, ["cat"]),
        Node("z", "Sampling", {}, ["mu", "logvar"]),
    ])
    model = build_model(spec, seed=0)
    x = torch.randn(5, 4)
    values = model.forward_all(x)
    assert values["sum"].shape == (5, 3) and values["cat"].shape == (5, 9) and values["z"].shape == (5, 2)
    torch.testing.assert_close(values["sum"], values["a"] + values["b"])
    model(x).sum().backward()
    kl = model.kl_divergence()
    mu, logvar = values["mu"], values["logvar"]
    expected = (-0.5 * (1 + logvar - mu ** 2 - logvar.exp())).sum(1).mean()
    torch.testing.assert_close(kl, expected)
    model.eval()
    torch.testing.assert_close(model(x), model.forward_all(x)["mu"])  # deterministic at test time


def test_every_catalogue_type_is_exercised():
    covered = set(SINGLE) | {"Input", "Add", "Concat", "Sampling"}
    assert covered == set(CATALOGUE)


def test_every_parameter_is_declared_properly():
    for layer in CATALOGUE.values():
        assert layer.help and layer.group
        for p in layer.params:
            assert p.help, (layer.name, p.name)
            assert p.check(list(p.default) if isinstance(p.default, tuple) else p.default) is None


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_weight_init_schemes(scheme):
    spec = one_layer("Linear", (200,), {"out_features": 300, "init": scheme, "init_std": 0.05})
    w = build_model(spec, seed=0).layer.weight.detach()
    std = float(w.std())
    expected = {"xavier_uniform": math.sqrt(2 / 500), "xavier_normal": math.sqrt(2 / 500),
                "kaiming_uniform": math.sqrt(2 / 200), "kaiming_normal": math.sqrt(2 / 200),
                "normal": 0.05, "zeros": 0.0, "orthogonal": math.sqrt(1 / 300)}
    if scheme in expected:
        assert std == pytest.approx(expected[scheme], rel=0.05, abs=1e-9)
    if scheme == "orthogonal":
        torch.testing.assert_close(w.T @ w, torch.eye(200), atol=1e-4, rtol=0)


def test_softmax_is_stable_and_maxout_takes_group_maxima():
    big = torch.tensor([[1000.0, 1001.0, 999.0]])
    p = StableSoftmax()(big)
    assert torch.isfinite(p).all()
    torch.testing.assert_close(p, torch.softmax(big, dim=-1))
    x = torch.tensor([[1.0, 5.0, 2.0, -1.0, 0.0, 3.0]])
    torch.testing.assert_close(Maxout(2)(x), torch.tensor([[5.0, 2.0, 3.0]]))


def test_same_seed_same_weights():
    spec = one_layer("Linear", (6,), {"out_features": 4})
    a, b = build_model(spec, seed=3), build_model(spec, seed=3)
    c = build_model(spec, seed=4)
    assert torch.equal(a.layer.weight, b.layer.weight) and not torch.equal(a.layer.weight, c.layer.weight)


def test_a_layer_too_large_for_memory_is_a_clear_problem():
    from playground.params import ProblemList
    spec = one_layer("Linear", (100_000,), {"out_features": 100_000})  # 4e10 bytes of weights
    with pytest.raises(ProblemList, match="Linear 'layer' cannot be created"):
        build_model(spec)
