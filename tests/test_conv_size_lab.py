"""The conv output size lab: floor((n + 2p − k)/s) + 1 equals the width torch's nn.Conv2d returns
and the width the canvas shows, over a grid of n, k, s, p; a CNN preset's layers read the same way."""
from __future__ import annotations

import itertools
import json

import pytest
import torch

from playground.command_line.main import main
from playground.labs import conv_size as cs
from playground.network.build import build_model
from playground.network.preset import resolve_preset


def _torch_width(n: int, k: int, s: int, p: int, pool: type | None = None) -> int:
    layer = pool(k, stride=s, padding=p) if pool else torch.nn.Conv2d(1, 1, k, stride=s, padding=p)
    with torch.no_grad():
        return layer(torch.zeros(1, 1, n, n)).shape[-1]


def test_formula_equals_torch_and_the_canvas_over_a_grid():
    checked = 0
    for n, k, s, p in itertools.product((1, 2, 5, 8, 13, 28), (1, 2, 3, 5, 7), (1, 2, 3, 4), (0, 1, 2, 3)):
        if k > n + 2 * p:
            with pytest.raises(ValueError):
                cs.formula(n, k, s, p)
            with pytest.raises(RuntimeError):
                _torch_width(n, k, s, p)
            continue
        want = _torch_width(n, k, s, p)
        assert cs.formula(n, k, s, p) == want, (n, k, s, p)
        assert cs.canvas_size(n, k, s, p) == want, (n, k, s, p)
        if 2 * p <= k:   # torch's pooling allows padding up to half the window
            assert cs.canvas_size(n, k, s, p, "MaxPool2d") == _torch_width(n, k, s, p, torch.nn.MaxPool2d)
            assert cs.canvas_size(n, k, s, p, "AvgPool2d") == _torch_width(n, k, s, p, torch.nn.AvgPool2d)
        checked += 1
    assert checked > 400


def test_worked_formula_starts_and_dropped_pixels():
    size = cs.compute(8, 3, 2, 1)
    assert size.out == size.torch_out == size.canvas_out == 4 and size.agree
    assert size.worked == "floor((8 + 2·1 − 3)/2) + 1 = floor(7/2) + 1 = 3 + 1 = 4"
    assert size.starts == [0, 2, 4, 6] and size.dropped == 1   # padded width 10: the window at 6 ends at 8
    assert cs.compute(28, 5, 1, 2).worked == "floor((28 + 2·2 − 5)/1) + 1 = 27 + 1 = 28"
    exact = cs.compute(7, 3, 2, 0)
    assert exact.starts == [0, 2, 4] and exact.dropped == 0
    with pytest.raises(ValueError, match="wider than the padded input"):
        cs.compute(3, 5, 1, 0)


@pytest.mark.parametrize("name", cs.CNN_PRESETS)
def test_a_preset_read_layer_by_layer_matches_its_built_model(name):
    """Every conv and pooling layer's formula gives the width the canvas shows, and the built torch
    model's layer really outputs that shape."""
    layers = cs.preset_layers(name)
    assert layers and all(layer.formula_out == layer.canvas_shape[-1] for layer in layers)
    preset = resolve_preset(name)
    model = build_model(preset.model).eval()
    seen: dict[str, tuple] = {}
    hooks = [getattr(model, layer.node_id).register_forward_hook(
        lambda _m, _i, out, key=layer.node_id: seen.__setitem__(key, tuple(out.shape[1:]))) for layer in layers]
    first = preset.model.nodes[0].params["shape"]
    with torch.no_grad():
        model(torch.zeros(2, *first))
    for h in hooks:
        h.remove()
    assert seen == {layer.node_id: layer.canvas_shape for layer in layers}


def test_the_strided_preset_shrinks_by_stride_alone():
    layers = cs.preset_layers("digits_cnn_strided")
    assert [(x.node_id, x.s, x.canvas_shape) for x in layers] == [
        ("conv1", 1, (16, 8, 8)), ("conv2", 2, (32, 4, 4)), ("conv3", 2, (32, 2, 2))]


def test_cli_json(capsys):
    assert main(["lab", "conv-size", "--n", "28", "--k", "5", "--s", "2", "--p", "0", "--preset", "shapes_cnn",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["out"] == data["torch_out"] == data["canvas_out"] == 12 and data["agree"]
    assert [x["node_id"] for x in data["layers"]] == ["conv1", "pool1", "conv2", "pool2"]
    assert all(x["agree"] for x in data["layers"])
    assert main(["lab", "conv-size"]) == 0
    assert "torch Conv2d gives 4, the canvas 4" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--n", "0"], ["--s", "0"], ["--k", "65"], ["--preset", "digits_mlp"]])
def test_cli_refuses_bad_options(argv):
    with pytest.raises(SystemExit) as e:
        main(["lab", "conv-size", *argv])
    assert e.value.code == 2


def red_cells(page) -> list[int]:
    """The input row's cells drawn in the lab's red (first bar item: one bar per padded cell)."""
    from widgets.labs.conv_size import DROP_BRUSH
    import pyqtgraph as pg
    row = next(i for i in page.plot.items if isinstance(i, pg.BarGraphItem))
    return [x for x, b in enumerate(row.opts["brushes"]) if b.color() == DROP_BRUSH.color()]


def test_page_follows_its_spin_boxes_and_reads_presets(qtbot):
    from widgets.labs.conv_size import ConvSizeLabPage
    from widgets.labs.window import LabsWindow
    page = ConvSizeLabPage()
    qtbot.addWidget(page)
    page.show()
    assert page.size.out == 4 and "agree ✓" in page.plot.titleLabel.text
    # n 8, k 3, s 2, p 1: the window at 6 covers padded cells 6-8, the last input pixel (cell 8) among
    # them; only the right padding zero (cell 9) is past it: no input pixel is lost, none is red.
    assert "The last padding zero lies past the last position" in page.note.text()
    assert red_cells(page) == []
    page.boxes["p"].setValue(0)   # windows at 0, 2, 4 end at 7: input pixel 8 (cell 7) is never seen
    assert page.size.out == 3 and page.size.dropped == 1 and page.size.dropped_inputs == 1
    assert "The last input pixel (red) lies past the last position" in page.note.text()
    assert red_cells(page) == [7]
    page.boxes["k"].setValue(20)
    assert page.size is None and "wider than the padded input" in page.note.text()
    page.preset_box.setCurrentText("shapes_cnn")
    assert page.table.rowCount() == 4 and page.table.item(1, 7).text() == "8×14×14"
    assert all(page.table.item(r, 8).text() == "✓" for r in range(4))
    w = LabsWindow(first="conv-size")
    qtbot.addWidget(w)
    assert isinstance(w.pages["conv-size"], ConvSizeLabPage)


@pytest.mark.parametrize("n, k, s, p", [(8, 1, 3, 0), (8, 3, 2, 0), (8, 3, 2, 1), (64, 1, 64, 64), (10, 2, 5, 1),
                                        (9, 3, 3, 0)])
def test_the_unseen_input_pixels_are_those_no_output_depends_on(n, k, s, p):
    """Checked against torch: an input pixel no output sees gets no gradient from any output."""
    x = torch.zeros(1, 1, 1, n, requires_grad=True)
    conv = torch.nn.Conv2d(1, 1, (1, k), stride=(1, s), padding=(0, p), bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    conv(x).sum().backward()
    by_torch = [i for i in range(n) if x.grad[0, 0, 0, i] == 0]
    assert cs.compute(n, k, s, p).unseen_inputs == by_torch


def test_a_stride_larger_than_the_kernel_marks_the_pixels_between_windows(qtbot):
    """The note said "every input pixel is still seen" at n 64, k 1, s 64, p 64, where one of 64 is."""
    from widgets.labs.conv_size import ConvSizeLabPage
    page = ConvSizeLabPage()
    qtbot.addWidget(page)
    for name, value in zip("nksp", (8, 1, 3, 0)):   # windows at 0, 3, 6: pixels 1, 2, 4, 5 and 7 unseen
        page.boxes[name].setValue(value)
    assert red_cells(page) == [1, 2, 4, 5, 7]
    text = page.note.text()
    assert "4 input pixels (red) lie between two positions" in text and "The last input pixel (red)" in text
    assert "the outputs see 3 of the 8 input pixels" in text and "every input pixel is still seen" not in text
    for name, value in zip("nksp", (64, 1, 64, 64)):
        page.boxes[name].setValue(value)
    assert "every input pixel is still seen" not in page.note.text()
    assert "the outputs see 1 of the 64 input pixels" in page.note.text()
