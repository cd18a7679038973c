"""Check a network's graph and infer every node's output shape.

The builder calls this after every edit to show each node's shape (or its error, in red);
building and export call it before they touch torch. Messages name the layer the way the
person sees it on the canvas: "Conv2d 'conv2': kernel 5 larger than input 4x4".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from playground.layers import CATALOGUE, LayerType, Shape, ShapeError
from playground.params import check_params, with_defaults
from playground.layers.plugins import unknown_type_message
from playground.network.spec import NODE_ID, ModelSpec, Node

RESERVED_IDS = frozenset({
    "forward", "training", "eval", "train", "state_dict", "parameters", "modules", "children",
    "plan", "input_id", "output_id", "forward_all", "kl_divergence", "type", "to", "cuda", "cpu",
    "float", "double", "half", "apply", "zero_grad", "buffers", "add_module", "register_buffer",
    "named_modules", "named_parameters", "load_state_dict", "requires_grad_", "extra_repr",
    "get_submodule", "dump_patches", "call_super_init", "T_destination",
})
"""Ids a node may not take, because the built module would clash with nn.Module's own names."""


@dataclass
class GraphReport:
    """What the analysis found: a build order, each node's shape, and every problem."""

    order: list[str] = field(default_factory=list)
    shapes: dict[str, Shape] = field(default_factory=dict)
    node_errors: dict[str, str] = field(default_factory=dict)
    graph_errors: list[str] = field(default_factory=list)
    input_id: str = ""
    output_id: str = ""
    params: dict[str, dict] = field(default_factory=dict)
    """Each node's full parameters (declared defaults filled in)."""

    @property
    def ok(self) -> bool:
        return not self.node_errors and not self.graph_errors

    def errors(self) -> list[str]:
        return self.graph_errors + list(self.node_errors.values())


def label(node: Node) -> str:
    return f"{node.type} '{node.id}'"


def analyze(spec: ModelSpec) -> GraphReport:
    """Validate the graph and infer shapes as far as the graph allows; never raises."""
    report = GraphReport()
    nodes: dict[str, Node] = {}
    for n in spec.nodes:
        if n.id in nodes:
            report.graph_errors.append(f"two nodes share the id '{n.id}'")
        nodes[n.id] = n

    types: dict[str, LayerType] = {}
    for n in spec.nodes:
        err = _check_node(n, nodes)
        if err:
            report.node_errors[n.id] = f"{label(n)}: {err}"
            continue
        types[n.id] = CATALOGUE[n.type]
        report.params[n.id] = with_defaults(CATALOGUE[n.type].params, n.params)

    inputs = [n.id for n in spec.nodes if n.type == "Input"]
    if not inputs:
        report.graph_errors.append("the network has no Input node")
    elif len(inputs) > 1:
        report.graph_errors.append(f"the network has {len(inputs)} Input nodes ({', '.join(inputs)}); use one")
    else:
        report.input_id = inputs[0]

    report.output_id = spec.output_id()
    if spec.output and spec.output not in nodes:
        report.graph_errors.append(f"the output node '{spec.output}' does not exist")
    elif not report.output_id and spec.nodes:
        sinks = spec.sinks()
        report.graph_errors.append(
            f"{len(sinks)} nodes feed nothing ({', '.join(sinks)}): connect them or mark one as the output")

    order, cyclic = _topological_order(spec)
    if cyclic:
        report.graph_errors.append(f"the graph has a cycle through {', '.join(sorted(cyclic))}")
    report.order = order

    for nid in order:
        if nid not in types or nid in report.node_errors:
            continue
        node = nodes[nid]
        if any(i not in report.shapes for i in node.inputs):
            continue  # an upstream node has an error; this one waits for it
        in_shapes = [report.shapes[i] for i in node.inputs]
        try:
            shape = types[nid].infer(in_shapes, report.params[nid])
        except ShapeError as e:
            report.node_errors[nid] = f"{label(node)}: {e}"
            continue
        if any(s < 1 for s in shape):
            src = " x ".join(map(str, in_shapes[0])) if in_shapes else ""
            report.node_errors[nid] = f"{label(node)}: output shape {shape} is empty (input {src})"
            continue
        report.shapes[nid] = tuple(int(s) for s in shape)

    if report.input_id and report.output_id and report.output_id in nodes and not cyclic:
        reach = spec.upstream(report.output_id)
        if report.input_id not in reach:
            report.graph_errors.append(f"the output '{report.output_id}' is not connected to the Input")
    return report


def _check_node(n: Node, nodes: dict[str, Node]) -> str | None:
    if not NODE_ID.match(n.id or ""):
        return "an id must start with a letter and hold only letters, digits and _"
    if n.id in RESERVED_IDS:
        return f"'{n.id}' is a reserved name; pick another id"
    layer = CATALOGUE.get(n.type)
    if layer is None:
        return unknown_type_message(n.type, list(CATALOGUE))
    problems = check_params(layer.params, n.params, "params")
    if problems:
        return "; ".join(f"{path.split('.', 1)[1]} {msg}" for path, msg in problems)
    for i in n.inputs:
        if i not in nodes:
            return f"input '{i}' does not exist"
    if len(set(n.inputs)) != len(n.inputs):
        return "the same input is connected twice"
    k = len(n.inputs)
    if k < layer.min_inputs:
        return "has no input: connect one" if k == 0 else f"needs at least {layer.min_inputs} inputs, has {k}"
    if layer.max_inputs is not None and k > layer.max_inputs:
        return ("takes no input" if layer.max_inputs == 0
                else f"takes at most {layer.max_inputs} input{'s' if layer.max_inputs > 1 else ''}, has {k}")
    return None


def _topological_order(spec: ModelSpec) -> tuple[list[str], set[str]]:
    """Kahn's algorithm in canvas order; returns the order and the nodes left on cycles."""
    ids = [n.id for n in spec.nodes]
    known = set(ids)
    pending = {n.id: len([i for i in n.inputs if i in known]) for n in spec.nodes}
    ready = [i for i in ids if pending[i] == 0]
    order: list[str] = []
    while ready:
        nid = ready.pop(0)
        order.append(nid)
        for n in spec.nodes:
            if nid in n.inputs:
                pending[n.id] -= 1
                if pending[n.id] == 0:
                    ready.append(n.id)
    return order, known - set(order)

