"""Building a network by hand, as a person does: drag from the palette, wire ports with the
mouse, edit in the inspector; then undo and redo every step, save, and reopen."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from playground.network.preset import load_preset, preset_to_dict
from widgets.commands import MoveNodes
from widgets.testing import click_node, close_window, connect_ports, drag_mouse, drop_layer, make_window, type_into


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    def no_dialog(*args, **kwargs):  # any unexpected dialog fails the test instead of blocking it
        raise AssertionError(f"unexpected dialog: {args[1:3]}")
    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, no_dialog)
    w = make_window(tmp_path)
    yield w
    close_window(w)


def spec_of(w) -> dict:
    return w.doc.model.to_dict()


def test_build_a_network_by_drag_and_drop_then_undo_redo_save_and_reopen(window, qtbot, tmp_path, monkeypatch):
    w = window
    w.actions_by_name["new"].trigger()
    assert w.doc.model.ids() == ["input1"]
    steps = [json.loads(w.doc.snapshot())]

    def step() -> None:
        steps.append(json.loads(w.doc.snapshot()))

    # a layer dropped below the Input connects to it
    assert drop_layer(w, "Linear", QPointF(10, 95))
    assert w.doc.model.node("linear1").inputs == ["input1"]
    x, y = w.doc.model.node("linear1").pos
    assert x == 0.0 and y == pytest.approx(95.0, abs=0.5)  # lined up under the Input (y: where it fell)
    step()
    assert drop_layer(w, "ReLU", QPointF(0, 190))
    assert w.doc.model.node("relu1").inputs == ["linear1"]
    step()
    # one dropped far away stands alone: the network now has a problem and cannot train
    assert drop_layer(w, "Linear", QPointF(420, 320))
    assert w.doc.model.node("linear2").inputs == []
    assert not w.actions_by_name["train_start"].isEnabled()
    assert "linear2" in w.graph_status.text() or "feed nothing" in w.graph_status.text()
    step()
    # wire it with the mouse: from relu1's output port to linear2's input port
    connect_ports(w, "relu1", "linear2")
    assert w.doc.model.node("linear2").inputs == ["relu1"]
    assert ("relu1", "linear2") in w.scene.edges
    step()
    # select it and type a new width into the inspector
    click_node(w, "linear2")
    assert w.scene.selected_ids() == ["linear2"]
    editor = w.inspector.editors["out_features"]
    type_into(editor, "2")
    assert w.doc.model.node("linear2").params["out_features"] == 2
    assert w.doc.report.shapes["linear2"] == (2,)
    step()
    # a layer dropped onto a connection is inserted into it
    edge = w.scene.edges[("linear1", "relu1")]
    mid = edge.path().pointAtPercent(0.5)
    relu_at = w.doc.model.node("relu1").pos
    assert drop_layer(w, "Dropout", mid)
    assert w.doc.model.node("dropout1").inputs == ["linear1"]
    assert w.doc.model.node("relu1").inputs == ["dropout1"]
    assert w.doc.model.node("dropout1").pos == relu_at  # the layers below made room
    step()
    # the node faces show type, key parameters and live output shapes
    face = w.scene.nodes["linear2"]
    assert (face.type_name, face.params_text, face.shape_text) == ("Linear", "out_features=2", "(2)")
    assert w.doc.report.ok
    assert w.actions_by_name["train_start"].isEnabled() == (w.controller is not None)

    final = json.loads(w.doc.snapshot())
    model = final["model"]
    assert [(n["id"], n["type"], n["inputs"]) for n in model["nodes"]] == [
        ("input1", "Input", []), ("linear1", "Linear", ["input1"]), ("relu1", "ReLU", ["dropout1"]),
        ("linear2", "Linear", ["relu1"]), ("dropout1", "Dropout", ["linear1"])]

    # undo restores every earlier state exactly, redo every later one
    stack = w.doc.undo_stack
    for k in range(len(steps) - 1, 0, -1):
        stack.undo()
        assert json.loads(w.doc.snapshot()) == steps[k - 1]
        assert set(w.scene.nodes) == {n["id"] for n in steps[k - 1]["model"]["nodes"]}
    for k in range(1, len(steps)):
        stack.redo()
        assert json.loads(w.doc.snapshot()) == steps[k]
    assert json.loads(w.doc.snapshot()) == final

    # save (title loses its unsaved mark), reopen: the same spec
    assert w.isWindowModified()
    path = tmp_path / "my_net.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    w.actions_by_name["save"].trigger()
    assert path.exists() and not w.isWindowModified()
    final["name"] = "my_net"   # a preset's name follows its file's
    assert preset_to_dict(load_preset(path)) == final and w.doc.preset.name == "my_net"
    assert "my_net" in w.windowTitle()
    w.actions_by_name["new"].trigger()
    assert w.open_path(path)
    assert json.loads(w.doc.snapshot()) == final
    assert w.doc.path == path.resolve() and not w.doc.dirty


def test_move_multiselect_delete_copy_paste(window, qtbot):
    w = window
    w.open_example("xor_mlp")
    first = w.doc.model.nodes[1].id
    item = w.scene.nodes[first]
    start = item.scenePos() + QPointF(-50, -10)
    drag_mouse(w, start, start + QPointF(160, 20))
    x, y = w.doc.model.node(first).pos
    assert (x, y) != (0.0, 80.0) and w.doc.undo_stack.count() == 1
    assert w.doc.undo_stack.undoText().startswith("Move")
    w.doc.undo_stack.undo()
    assert w.scene.nodes[first].pos() == QPointF(*w.doc.model.node(first).pos)

    ids = w.doc.model.ids()
    click_node(w, ids[1])
    click_node(w, ids[2], Qt.KeyboardModifier.ControlModifier)
    assert sorted(w.scene.selected_ids()) == sorted(ids[1:3])
    w.actions_by_name["copy"].trigger()
    w.view.setFocus()
    w.actions_by_name["paste"].trigger()
    pasted = w.scene.selected_ids()
    assert len(pasted) == 2 and not set(pasted) & set(ids)
    assert len(w.doc.model.nodes) == len(ids) + 2
    inputs = {p: w.doc.model.node(p).inputs for p in pasted}
    assert sorted(inputs.values()) == sorted([[], [p for p in pasted if not inputs[p]]])  # their link came along

    w.actions_by_name["select_all"].trigger()
    assert len(w.scene.selected_ids()) == len(ids) + 2
    QTest.keyClick(w.view, Qt.Key.Key_Delete)
    assert w.doc.model.nodes == []
    w.doc.undo_stack.undo()
    assert len(w.doc.model.nodes) == len(ids) + 2


def test_delete_a_connection_and_auto_layout(window):
    w = window
    w.open_example("xor_mlp")
    a, b = w.doc.model.ids()[1:3]
    w.scene.clearSelection()
    w.scene.edges[(a, b)].setSelected(True)
    w.actions_by_name["delete"].trigger()
    assert w.doc.model.node(b).inputs == []
    assert b in w.doc.report.node_errors  # it shows why: no input
    assert w.scene.nodes[b].error and "input" in w.scene.nodes[b].toolTip()
    w.doc.undo_stack.undo()
    assert w.doc.model.node(b).inputs == [a]

    mess = {n.id: (300.0 * (k % 2), -40.0 * k) for k, n in enumerate(w.doc.model.nodes)}
    w.doc.push(MoveNodes(w.doc, mess))
    assert w.scene.nodes[a].pos() == QPointF(*mess[a])
    w.actions_by_name["auto_layout"].trigger()
    ys = [n.pos[1] for n in w.doc.model.nodes]
    assert ys == sorted(ys) and len({n.pos[0] for n in w.doc.model.nodes}) == 1
    assert w.doc.undo_stack.undoText() == "Auto-layout"


def test_connection_refused_is_explained_in_the_status_bar(window):
    w = window
    w.open_example("xor_mlp")
    ids = w.doc.model.ids()
    before = spec_of(w)
    connect_ports(w, ids[-1], ids[1])  # from the output back up: a loop
    assert spec_of(w) == before
    assert "loop" in w.statusBar().currentMessage()


def test_inspector_editors_follow_the_catalogue_and_undo_exactly(window):
    from playground.layers import CATALOGUE
    w = window
    w.actions_by_name["new"].trigger()
    drop_layer(w, "Conv2d", QPointF(0, 300))
    w.inspector.show_nodes(["conv2d1"])
    eds = w.inspector.editors
    assert set(eds) == {p.name for p in CATALOGUE["Conv2d"].params}
    kernel = CATALOGUE["Conv2d"].param("kernel_size")
    assert (eds["kernel_size"].minimum(), eds["kernel_size"].maximum()) == (kernel.minimum, kernel.maximum)
    assert [eds["init"].itemData(i) for i in range(eds["init"].count())] == list(CATALOGUE["Conv2d"].param("init").choices)
    before = spec_of(w)
    eds["bias"].click()
    assert w.doc.model.node("conv2d1").params["bias"] is False
    eds["init"].setCurrentIndex(eds["init"].findData("kaiming_normal"))
    eds["init"].activated.emit(eds["init"].currentIndex())
    assert w.doc.model.node("conv2d1").params["init"] == "kaiming_normal"
    w.doc.undo_stack.undo()
    w.doc.undo_stack.undo()
    assert spec_of(w) == before
    assert eds["bias"].isChecked() is True

    # ints (the Input's shape) are typed as a list; a bad value is refused where it is typed
    w.inspector.show_nodes(["input1"])
    shape = w.inspector.editors["shape"]
    type_into(shape, "1, 8, 8")
    assert w.doc.model.node("input1").params["shape"] == [1, 8, 8]
    type_into(shape, "0, 8")
    assert w.doc.model.node("input1").params["shape"] == [1, 8, 8]
    assert shape.property("invalid") is True

    # renaming a layer through the inspector renames every reference
    w.inspector.show_nodes(["conv2d1"])
    type_into(w.inspector.id_edit, "features")
    assert "features" in w.doc.model.ids() and "conv2d1" not in w.doc.model.ids()


def test_palette_is_grouped_searchable_and_explains_each_layer(window):
    from playground.layers import CATALOGUE, GROUPS
    p = window.palette
    assert set(p.items) == set(CATALOGUE)
    groups = [p.tree.topLevelItem(i) for i in range(p.tree.topLevelItemCount())]
    assert [g.text(0).replace("\n", " ") for g in groups] == list(GROUPS)   # a long name takes two lines
    assert [g.toolTip(0) for g in groups] == list(GROUPS)
    for name, item in p.items.items():
        assert item.parent().toolTip(0) == CATALOGUE[name].group
        assert CATALOGUE[name].help.split(",")[0][:20] in item.toolTip(0).replace("&amp;", "&").replace("&gt;", ">")
    p.search.setText("conv")
    assert set(p.visible_names()) == {"Conv2d", "ConvTranspose2d"} | {
        n for n, lt in CATALOGUE.items() if "conv" in f"{n} {lt.group} {lt.help}".lower()}
    p.search.setText("")
    assert len(p.visible_names()) == len(CATALOGUE)


def test_double_click_in_the_palette_appends_to_the_chain(window):
    w = window
    w.actions_by_name["new"].trigger()
    w.palette.activated.emit("Linear")
    w.palette.activated.emit("Sigmoid")
    assert w.doc.model.node("linear1").inputs == ["input1"]
    assert w.doc.model.node("sigmoid1").inputs == ["linear1"]
    assert w.doc.report.ok


def test_a_layers_problem_has_a_link_that_brings_the_layer_into_view(window, qtbot):
    """digits_cnn without its Flatten: the inspector names the problem of Linear 'out', which lies
    below the visible canvas at 1366×768; its "show" link selects the layer and scrolls it in."""
    from PySide6.QtCore import QRectF
    from PySide6.QtWidgets import QLabel
    window.resize(1366, 768)
    assert window.open_example("digits_cnn")
    window.scene.select_ids(["flat"])
    window.scene.delete_selection()
    window.scene.select_ids([])
    window.view.centerOn(window.scene.nodes["image"])   # the top of the chain in view, as after opening
    qtbot.wait(50)
    box = next(label for label in window.inspector.findChildren(QLabel) if label.objectName() == "errorBox"
               and "Linear 'out'" in label.text())
    assert "href='node:out'" in box.text()

    def out_in_view() -> bool:
        shown = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
        return shown.contains(QRectF(window.scene.nodes["out"].sceneBoundingRect()))
    assert not out_in_view()
    box.linkActivated.emit("node:out")
    assert window.scene.selected_ids() == ["out"] and out_in_view()
