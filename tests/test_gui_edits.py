"""The builder's edits and auto-layout as pure functions of the spec (no window needed)."""
from __future__ import annotations

import pytest

from playground.network.shapes import analyze
from playground.network.spec import ModelSpec, Node
from playground.network import graph_edits as edits
from widgets.canvas_items import NODE_H, NODE_W
from playground.network.layout import auto_layout, layers


def chain() -> ModelSpec:
    return ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("Tanh", {}),
                           ("Linear", {"out_features": 2}))


def test_edits_never_touch_the_spec_they_are_given():
    spec = chain()
    before = spec.to_dict()
    edits.add_node(spec, "ReLU", (0, 400), ["linear2"])
    edits.connect(spec, "input1", "tanh1")
    edits.delete(spec, ["tanh1"])
    edits.set_param(spec, "linear1", "out_features", 3)
    edits.rename(spec, "linear1", "hidden")
    assert spec.to_dict() == before


def test_connect_rewires_a_single_input_layer_and_appends_to_a_merge():
    spec = chain()
    spec = edits.connect(spec, "input1", "tanh1")
    assert spec.node("tanh1").inputs == ["input1"]
    spec, add = edits.add_node(spec, "Add", (0, 500), ["linear1"])
    spec = edits.connect(spec, "tanh1", add)
    assert spec.node(add).inputs == ["linear1", "tanh1"]


@pytest.mark.parametrize("src, dst, why", [
    ("linear2", "input1", "takes no input"),
    ("linear2", "linear1", "loop"),
    ("tanh1", "tanh1", "itself"),
    ("linear1", "tanh1", "already feeds"),
])
def test_connections_that_would_break_the_graph_are_refused_with_a_reason(src, dst, why):
    with pytest.raises(edits.EditRefused, match=why):
        edits.connect(chain(), src, dst)


def test_deleting_the_middle_of_a_chain_keeps_the_chain_whole():
    spec = edits.delete(chain(), ["linear1", "tanh1"])
    assert spec.ids() == ["input1", "linear2"]
    assert spec.node("linear2").inputs == ["input1"]
    assert analyze(spec).ok


def test_deleting_an_edge_disconnects_only_it():
    spec = edits.delete(chain(), [], [("linear1", "tanh1")])
    assert spec.node("tanh1").inputs == []
    assert spec.ids() == chain().ids()


def test_insert_on_edge_puts_the_layer_between_the_two():
    spec, new = edits.insert_on_edge(chain(), "Dropout", (0, 130), "linear1", "tanh1")
    assert spec.node(new).inputs == ["linear1"]
    assert spec.node("tanh1").inputs == [new]
    assert analyze(spec).ok
    # it takes tanh1's place; the rows below move down one row, like a line inserted in a list
    assert [n.pos[1] for n in spec.nodes] == [0.0, 90.0, 270.0, 360.0, 180.0]


def test_rename_follows_every_reference():
    spec = chain()
    spec.output = "linear2"
    spec = edits.rename(spec, "linear2", "logits")
    assert spec.output == "logits" and "logits" in spec.ids()
    with pytest.raises(edits.EditRefused, match="already called"):
        edits.rename(spec, "tanh1", "linear1")
    with pytest.raises(edits.EditRefused, match="not a valid id"):
        edits.rename(spec, "tanh1", "2bad")


def test_paste_gives_fresh_ids_and_keeps_only_inner_connections():
    spec = chain()
    copied = [spec.node("linear1").to_dict(), spec.node("tanh1").to_dict()]
    spec2, ids = edits.paste(spec, copied, (300, 0))
    assert ids == ["linear3", "tanh2"]
    assert spec2.node("linear3").inputs == []
    assert spec2.node("tanh2").inputs == ["linear3"]
    assert spec2.node("linear3").pos == (300.0, 90.0)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < NODE_W and abs(a[1] - b[1]) < NODE_H


def test_auto_layout_untangles_a_messy_branching_graph():
    nodes = [
        Node("x", "Input", {"shape": [4]}, [], (37, 500)),
        Node("a", "Linear", {"out_features": 4}, ["x"], (0, 0)),
        Node("b", "ReLU", {}, ["a"], (5, 3)),
        Node("c", "Linear", {"out_features": 4}, ["x"], (10, 10)),
        Node("s", "Add", {}, ["b", "c", "x"], (-400, -50)),
        Node("out", "Linear", {"out_features": 2}, ["s"], (2, 1)),
    ]
    spec = ModelSpec(nodes)
    pos = auto_layout(spec)
    rows = layers(spec)
    assert rows == {"x": 0, "a": 1, "c": 1, "b": 2, "s": 3, "out": 4}
    for n in spec.nodes:  # every layer is below what feeds it
        assert all(pos[i][1] < pos[n.id][1] for i in n.inputs)
    ids = list(pos)
    assert not any(_overlap(pos[p], pos[q]) for k, p in enumerate(ids) for q in ids[k + 1:])
    assert pos["s"][0] == pytest.approx(pos["out"][0])  # a chain stays a straight column


def test_auto_layout_of_a_chain_is_one_straight_column():
    pos = auto_layout(chain())
    assert len({x for x, _ in pos.values()}) == 1
    ys = sorted(y for _, y in pos.values())
    assert all(b - a >= NODE_H + 20 for a, b in zip(ys, ys[1:]))
