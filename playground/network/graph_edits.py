"""Edits of a network as pure functions: a spec in, a new spec out.

The canvas and the undo commands call these. None of them touches the spec it is given, so a
command keeps the before and after as exact snapshots. Edits that would break the graph's
structure (a loop, an input into an Input layer) raise `EditRefused` with a sentence a person
reads in the status bar; everything else (shapes, missing inputs) is the engine's `analyze` to
report on the canvas.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable

from playground.network.spec import NODE_ID, ModelSpec, Node

Pos = tuple[float, float]


class EditRefused(ValueError):
    """An edit that cannot be made; the message says why in plain words."""


def _copy(spec: ModelSpec) -> ModelSpec:
    return copy.deepcopy(spec)


def _layer(type_name: str):
    from playground.layers import CATALOGUE  # torch comes with it: import on first edit only
    return CATALOGUE[type_name]


def add_node(spec: ModelSpec, type_name: str, pos: Pos, inputs: Iterable[str] = (),
             params: dict[str, Any] | None = None) -> tuple[ModelSpec, str]:
    """The spec with a new node (id from the type, e.g. `linear2`) and that id."""
    out = _copy(spec)
    node_id = out.fresh_id(type_name)
    out.nodes.append(Node(node_id, type_name, dict(params or {}), list(inputs), (float(pos[0]), float(pos[1]))))
    return out, node_id


def connect(spec: ModelSpec, src: str, dst: str) -> ModelSpec:
    """Feed `src` into `dst`. A layer that takes one input is rewired; one that takes
    several gets another (up to its maximum)."""
    if src == dst:
        raise EditRefused("a layer cannot feed itself")
    out = _copy(spec)
    target = out.node(dst)
    layer = _layer(target.type)
    if layer.max_inputs == 0:
        raise EditRefused(f"{target.type} '{dst}' takes no input: it is where the data enter")
    if src in target.inputs:
        raise EditRefused(f"'{src}' already feeds '{dst}'")
    if dst in spec.upstream(src):
        raise EditRefused(f"connecting '{src}' to '{dst}' would make a loop; a network is a chain "
                          "without cycles")
    if layer.max_inputs is not None and len(target.inputs) >= layer.max_inputs:
        if layer.max_inputs == 1:
            target.inputs = [src]
        else:
            raise EditRefused(f"{target.type} '{dst}' takes at most {layer.max_inputs} inputs; "
                              "disconnect one first")
    else:
        target.inputs.append(src)
    return out


def disconnect(spec: ModelSpec, src: str, dst: str) -> ModelSpec:
    out = _copy(spec)
    node = out.node(dst)
    node.inputs = [i for i in node.inputs if i != src]
    return out


def delete(spec: ModelSpec, node_ids: Iterable[str], edges: Iterable[tuple[str, str]] = (),
           heal: bool = True) -> ModelSpec:
    """Remove nodes and edges. With `heal`, a removed layer that had one input hands it to
    the layers it fed, so deleting the middle of a chain keeps the chain whole."""
    gone = set(node_ids)
    cut = set(edges)
    by_id = {n.id: n for n in spec.nodes}

    def replacement(nid: str) -> str | None:
        seen = set()
        while nid in gone:
            node = by_id[nid]
            if not heal or len(node.inputs) != 1 or nid in seen:
                return None
            seen.add(nid)
            nid = node.inputs[0]
        return nid

    out = ModelSpec(output=spec.output if spec.output not in gone else "")
    for n in spec.nodes:
        if n.id in gone:
            continue
        node = copy.deepcopy(n)
        inputs: list[str] = []
        for i in n.inputs:
            if (i, n.id) in cut:
                continue
            r = replacement(i) if i in gone else i
            if r is not None and r not in inputs:
                inputs.append(r)
        node.inputs = inputs
        out.nodes.append(node)
    return out


def move(spec: ModelSpec, positions: dict[str, Pos]) -> ModelSpec:
    out = _copy(spec)
    for n in out.nodes:
        if n.id in positions:
            x, y = positions[n.id]
            n.pos = (float(x), float(y))
    return out


def set_param(spec: ModelSpec, node_id: str, name: str, value: Any) -> ModelSpec:
    out = _copy(spec)
    out.node(node_id).params[name] = copy.deepcopy(value)
    return out


def rename(spec: ModelSpec, old: str, new: str) -> ModelSpec:
    """Give a node a new id; every reference to it follows."""
    if new == old:
        return _copy(spec)
    if not NODE_ID.match(new):
        raise EditRefused(f"'{new}' is not a valid id: start with a letter, then letters, digits or _")
    if new in spec.ids():
        raise EditRefused(f"another layer is already called '{new}'")
    out = _copy(spec)
    for n in out.nodes:
        if n.id == old:
            n.id = new
        n.inputs = [new if i == old else i for i in n.inputs]
    if out.output == old:
        out.output = new
    return out


def set_output(spec: ModelSpec, node_id: str) -> ModelSpec:
    out = _copy(spec)
    out.output = node_id
    return out


def insert_on_edge(spec: ModelSpec, type_name: str, pos: Pos, src: str, dst: str,
                   params: dict[str, Any] | None = None, row: float = 90.0) -> tuple[ModelSpec, str]:
    """Put a new layer between `src` and `dst`: src → new → dst, at dst's input slot.
    When data flow down the canvas there, the new layer takes dst's place and everything from
    dst's row down moves one row lower, as a line inserted into a list would."""
    s, d = spec.node(src).pos, spec.node(dst).pos
    if d[1] - s[1] > 1.0:
        moved = {n.id: (n.pos[0], n.pos[1] + row) for n in spec.nodes if n.pos[1] >= d[1] - 1.0}
        spec = move(spec, moved)
        pos = (d[0], d[1])
    out, new_id = add_node(spec, type_name, pos, [src], params)
    target = out.node(dst)
    target.inputs = [new_id if i == src else i for i in target.inputs]
    return out, new_id


def paste(spec: ModelSpec, nodes: list[dict[str, Any]], offset: Pos) -> tuple[ModelSpec, list[str]]:
    """Add copies of `nodes` (as `Node.to_dict()`), with fresh ids. Connections among the
    copies are kept; connections to layers outside them are not."""
    out = _copy(spec)
    mapping: dict[str, str] = {}
    for d in nodes:
        new_id = out.fresh_id(d["type"])
        mapping[d["id"]] = new_id
        out.nodes.append(Node(new_id, d["type"], {}, [], (0.0, 0.0)))  # reserve the id
    for d in nodes:
        node = out.node(mapping[d["id"]])
        node.params = copy.deepcopy(d.get("params", {}))
        node.inputs = [mapping[i] for i in d.get("inputs", []) if i in mapping]
        x, y = d.get("pos", (0.0, 0.0))
        node.pos = (float(x) + offset[0], float(y) + offset[1])
    return out, [mapping[d["id"]] for d in nodes]
