"""Forward against reverse mode (issue 27): both hand-coded modes give torch's Jacobian of the same
tanh network, forward mode takes exactly one pass per input and reverse mode one backward pass per
output (passes counted by wrapping the pass functions), the operation counts match the ones worked
out by hand from the graph's shape, and the page shows the engine's numbers."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.command_line.main import main
from playground.labs import autodiff_modes as ad

SIZES = [(1, 1, 1), (3, 1, 4), (1, 5, 3), (4, 3, 6), (7, 2, 5), (2, 9, 8)]


def reference_jacobian(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """torch.autograd.functional.jacobian, written here from the weights (not the engine's function)."""
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in w.items()}
    return torch.autograd.functional.jacobian(
        lambda v: torch.tanh(t["w2"] @ torch.tanh(t["w1"] @ v + t["b1"]) + t["b2"]),
        torch.tensor(x, dtype=torch.float64)).numpy()


def chain_rule_jacobian(w: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """J = diag(1 − y²) W₂ diag(1 − h²) W₁, the chain rule by matrices."""
    h = np.tanh(w["w1"] @ x + w["b1"])
    y = np.tanh(w["w2"] @ h + w["b2"])
    return (1 - y ** 2)[:, None] * w["w2"] @ ((1 - h ** 2)[:, None] * w["w1"])


@pytest.mark.parametrize("n,m,hidden", SIZES)
@pytest.mark.parametrize("seed", [0, 3])
def test_both_modes_equal_torch_autograd_at_random_points(n, m, hidden, seed):
    w = ad.weights(n, m, hidden, seed)
    g = ad.build(w)
    rng = np.random.default_rng(100 + seed)
    for _ in range(3):
        x = rng.normal(scale=1.5, size=n)
        want = reference_jacobian(w, x)
        np.testing.assert_allclose(chain_rule_jacobian(w, x), want, atol=1e-12)
        forward, reverse = ad.forward_jacobian(g, x), ad.reverse_jacobian(g, x)
        assert forward.jacobian.shape == reverse.jacobian.shape == (m, n)
        np.testing.assert_allclose(forward.jacobian, want, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(reverse.jacobian, want, rtol=1e-10, atol=1e-12)
        values, _ = ad.evaluate(g, x)
        np.testing.assert_allclose([values[o] for o in g.outputs],
                                   np.tanh(w["w2"] @ np.tanh(w["w1"] @ x + w["b1"]) + w["b2"]), atol=1e-14)


def test_a_single_pass_is_a_jacobian_vector_product_and_a_vector_jacobian_product():
    w = ad.weights(5, 4, 6, 1)
    g = ad.build(w)
    rng = np.random.default_rng(7)
    x, v, u = rng.normal(size=5), rng.normal(size=5), rng.normal(size=4)
    j = reference_jacobian(w, x)
    _, jv, _ = ad.forward_pass(g, x, v)
    uj, _ = ad.backward_pass(g, ad.record(g, x), u)
    np.testing.assert_allclose(jv, j @ v, atol=1e-12)
    np.testing.assert_allclose(uj, u @ j, atol=1e-12)


@pytest.mark.parametrize("n,m,hidden", SIZES + [(16, 1, 6), (1, 16, 6)])
def test_forward_takes_one_pass_per_input_and_reverse_one_per_output(n, m, hidden, monkeypatch):
    calls = {"forward": 0, "backward": 0, "record": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(ad, "forward_pass", counted("forward", ad.forward_pass))
    monkeypatch.setattr(ad, "backward_pass", counted("backward", ad.backward_pass))
    monkeypatch.setattr(ad, "record", counted("record", ad.record))
    g = ad.build(ad.weights(n, m, hidden))
    x = np.linspace(-1, 1, n)
    forward = ad.forward_jacobian(g, x)
    reverse = ad.reverse_jacobian(g, x)
    assert calls == {"forward": n, "backward": m, "record": 1}
    assert forward.passes == n and reverse.passes == m


@pytest.mark.parametrize("n,m,hidden", SIZES + [(64, 1, 8), (1, 64, 8)])
def test_operation_counts_match_the_ones_worked_out_from_the_graph(n, m, hidden):
    """Per unit of a layer with c inputs: c products, c − 1 sums, the bias and the tanh. A dual-number
    pass does each twice (value and tangent) except the bias (its tangent is a copy) and the tanh
    (tanh, t², 1 − t², × tangent). A backward pass multiplies at each product and tanh and adds where
    a node hears from more than one child: each input from `hidden` units, each hidden unit from m
    outputs."""
    g = ad.build(ad.weights(n, m, hidden))
    x = np.zeros(n)
    h = hidden
    evaluate = h * (2 * n + 1) + m * (2 * h + 1)
    per_forward = 2 * (h * (2 * n - 1) + m * (2 * h - 1)) + (h + m) + 4 * (h + m)
    per_backward = (h * n + m * h + h + m) + n * (h - 1) + h * (m - 1)
    record = evaluate + 2 * (h + m)
    assert ad.evaluate(g, x)[1] == evaluate
    forward, reverse = ad.forward_jacobian(g, x), ad.reverse_jacobian(g, x)
    assert forward.ops_per_pass == per_forward and forward.ops == n * per_forward
    assert reverse.ops_per_pass == per_backward and reverse.record_ops == record
    assert reverse.ops == record + m * per_backward
    # a pass costs a small multiple of one evaluation: the number of passes is what differs
    assert per_forward < 3 * evaluate and per_backward < 2 * evaluate


def test_the_sweep_shows_reverse_winning_for_a_loss_and_forward_for_one_input():
    s = ad.sweep(hidden=4, sizes=(1, 2, 8, 32))
    assert [p.n for p in s.along_n] == [1, 2, 8, 32] and all(p.m == 1 for p in s.along_n)
    assert [p.forward_passes for p in s.along_n] == [1, 2, 8, 32]
    assert [p.reverse_passes for p in s.along_n] == [1, 1, 1, 1]
    assert [p.forward_passes for p in s.along_m] == [1, 1, 1, 1]
    assert [p.reverse_passes for p in s.along_m] == [1, 2, 8, 32]
    for p in s.along_n[1:]:
        assert p.reverse_ops < p.forward_ops
    for p in s.along_m[1:]:
        assert p.forward_ops < p.reverse_ops
    # at n = 32 forward mode repeats a pass as costly as reverse mode's whole work ≈ 32 times over
    big = s.along_n[-1]
    assert big.forward_ops / big.reverse_ops > 10
    assert ad.explore(32, 1, 4).cheaper == "reverse" and ad.explore(1, 32, 4).cheaper == "forward"


def test_the_lab_checks_torch_func_too_and_refuses_bad_sizes():
    lab = ad.explore(6, 4, 5, seed=2)
    assert set(lab.max_abs_diff) == {"forward", "reverse", "torch_func_jvp", "torch_func_vjp"}
    assert max(lab.max_abs_diff.values()) < 1e-12
    np.testing.assert_allclose(lab.autograd, chain_rule_jacobian(ad.weights(6, 4, 5, 2), lab.x), atol=1e-12)
    assert lab.reverse.tape_size == 2 * lab.nodes
    for bad in ((0, 1, 6), (1, 65, 6), (3, 3, 0), (3, 3, 33)):
        with pytest.raises(ValueError, match="must be between"):
            ad.explore(*bad)


def test_cli_prints_json_and_text(capsys):
    assert main(["lab", "autodiff", "--inputs", "5", "--outputs", "3", "--hidden", "4", "--seed", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["inputs"], data["outputs"], data["hidden"]) == (5, 3, 4)
    assert data["forward"]["passes"] == 5 and data["reverse"]["passes"] == 3
    x = np.array(data["x"])
    want = reference_jacobian(ad.weights(5, 3, 4, 2), x)
    np.testing.assert_allclose(data["forward"]["jacobian"], want, atol=1e-12)
    np.testing.assert_allclose(data["reverse"]["jacobian"], want, atol=1e-12)
    sweep = data["sweep"]["along_n_with_m_1"]
    assert [p["forward_passes"] for p in sweep] == list(ad.SWEEP_SIZES)
    assert main(["lab", "autodiff", "--inputs", "32"]) == 0
    text = capsys.readouterr().out
    assert "forward mode: 32 passes" in text and "1 backward pass x" in text and "reverse mode is cheaper" in text
    for bad in (["--inputs", "0"], ["--outputs", "65"], ["--hidden", "x"]):
        with pytest.raises(SystemExit) as e:
            main(["lab", "autodiff", *bad])
        assert e.value.code == 2


def test_page_shows_both_jacobians_the_passes_and_the_sweep(qtbot):
    from playground.course.chapters import CHAPTERS
    from widgets.labs.autodiff import AutodiffLabPage
    from widgets.labs.window import LabsWindow
    page = AutodiffLabPage()
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.lab is not None and not page.computing, timeout=60_000)
    lab = page.lab
    assert (lab.n, lab.m) == (ad.INPUTS, ad.OUTPUTS)
    assert f"{ad.INPUTS} inputs → 1 output," in page.note.text() and ad.OUTPUTS == 1   # the default: one loss
    page.boxes["m"].setValue(3)
    page.boxes["n"].setValue(4)
    qtbot.waitUntil(lambda: page.lab.n == 4 and page.lab.m == 3 and not page.computing, timeout=60_000)
    lab = page.lab
    want = reference_jacobian(ad.weights(4, 3, ad.HIDDEN, ad.SEED), lab.x)
    expected = [f"{v:.3g}" for v in want.ravel()]
    assert page.cell_texts("forward") == expected and page.cell_texts("reverse") == expected
    assert "4 passes (one per input" in page.jacobian_plots["forward"].titleLabel.text
    assert "3 backward passes (one per output" in page.jacobian_plots["reverse"].titleLabel.text
    assert f"{lab.forward.ops} operations" in page.jacobian_plots["forward"].titleLabel.text
    curve = page.cost_curves[("n", "forward")]
    xs, ys = curve.xData, curve.yData          # the data as given (getData returns log10 on log axes)
    sweep = ad.sweep(ad.HIDDEN, ad.SEED)
    np.testing.assert_allclose(xs, ad.SWEEP_SIZES)
    np.testing.assert_allclose(ys, [p.forward_ops for p in sweep.along_n])
    np.testing.assert_allclose(page.cost_curves[("m", "reverse")].yData, [p.reverse_ops for p in sweep.along_m])
    assert "reverse mode: 1 recording sweep + 3 backward passes" in page.note.text()
    w = LabsWindow(first="autodiff")
    qtbot.addWidget(w)
    assert isinstance(w.pages["autodiff"], AutodiffLabPage)
    qtbot.waitUntil(lambda: w.pages["autodiff"].lab is not None, timeout=60_000)
    w.close()
    assert "autodiff" in next(c for c in CHAPTERS if c.key == "losses").labs


def test_lab_png_from_the_command_line(tmp_path, capsys):
    from PySide6.QtGui import QImage

    from widgets.launch import main as app_main
    out = tmp_path / "autodiff.png"
    assert app_main(["lab", "autodiff", "--inputs", "3", "--outputs", "2", "--png", str(out)]) == 0
    assert "forward mode: 3 passes" in capsys.readouterr().out
    img = QImage(str(out))
    assert img.width() == 1366 and img.height() == 768
