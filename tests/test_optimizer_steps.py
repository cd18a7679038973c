"""make_optimizer: each optimizer's first two updates against the notes' formulas worked out by
hand, on the kernels make_optimizer picks (`foreach` ops), and the same numbers bit for bit as
torch's plain loop over the tensors."""
import math

import pytest
import torch

from playground.network.spec import OPTIMIZERS, TrainSpec
from playground.training.optim import make_optimizer

W0 = [0.5, -1.0, 2.0]
GRADS = ([0.2, -0.4, 1.0], [-0.1, 0.3, 0.5])
"""Two steps' gradients, given by hand (the loss does not matter: each step is fed its gradient)."""


def by_hand(ts: TrainSpec) -> list[float]:
    """The weights after the two updates, one weight at a time in plain float arithmetic."""
    lr, rho, eps = ts.lr, ts.momentum, 1e-8
    out = []
    for i, w in enumerate(W0):
        v = m = s = 0.0
        for t, grads in enumerate(GRADS, start=1):
            g = grads[i]
            if ts.optimizer == "sgd":
                w -= lr * g
            elif ts.optimizer in ("momentum", "nesterov"):
                v = g if t == 1 else rho * v + g           # torch's buffer starts at the first gradient
                w -= lr * (g + rho * v if ts.optimizer == "nesterov" else v)
            elif ts.optimizer == "adagrad":
                s += g * g
                w -= lr * g / (math.sqrt(s) + 1e-10)
            elif ts.optimizer == "rmsprop":
                s = ts.alpha * s + (1 - ts.alpha) * g * g
                v = rho * v + g / (math.sqrt(s) + eps)     # momentum ρ on the scaled steps
                w -= lr * v
            else:   # adam, adamw: bias-corrected moments; AdamW decays the weight first
                if ts.optimizer == "adamw":
                    w -= lr * ts.weight_decay * w
                m = ts.beta1 * m + (1 - ts.beta1) * g
                s = ts.beta2 * s + (1 - ts.beta2) * g * g
                m_hat, s_hat = m / (1 - ts.beta1 ** t), s / (1 - ts.beta2 ** t)
                w -= lr * m_hat / (math.sqrt(s_hat) + eps)
        out.append(w)
    return out


def two_steps(opt: torch.optim.Optimizer, w: torch.nn.Parameter) -> list[float]:
    for grads in GRADS:
        w.grad = torch.tensor(grads)
        opt.step()
    return w.detach().tolist()


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_takes_the_notes_steps_on_the_kernel_it_is_given(optimizer):
    ts = TrainSpec(optimizer=optimizer, lr=0.1, momentum=0.9, weight_decay=0.05)
    w = torch.nn.Parameter(torch.tensor(W0))
    opt = make_optimizer([w], ts)
    assert opt.defaults["foreach"] is True   # one op for all the tensors, not a Python loop of ops
    assert two_steps(opt, w) == pytest.approx(by_hand(ts), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_kernels_take_the_plain_loops_steps_bit_for_bit(optimizer):
    """The same numbers as torch's default loop over the tensors on the CPU: a preset trains to
    the figures it was measured at, whichever kernel runs its update."""
    ts = TrainSpec(optimizer=optimizer, lr=0.1, momentum=0.9, weight_decay=0.05)
    fast, plain = torch.nn.Parameter(torch.tensor(W0)), torch.nn.Parameter(torch.tensor(W0))
    slow = make_optimizer([plain], ts)
    for group in slow.param_groups:
        group["fused"], group["foreach"] = None, False
    slow.defaults.update(fused=None, foreach=False)
    assert two_steps(make_optimizer([fast], ts), fast) == two_steps(slow, plain)


def test_parameters_off_the_cpu_and_cuda_get_the_default_kernel():
    """The kernels are asked for on the CPU and CUDA only: elsewhere (here the meta device)
    torch's own choice stands."""
    w = torch.nn.Parameter(torch.zeros(3, device="meta"))
    for optimizer in OPTIMIZERS:
        opt = make_optimizer([w], TrainSpec(optimizer=optimizer, momentum=0.9))
        assert not opt.defaults.get("fused") and opt.defaults.get("foreach") is None, optimizer
