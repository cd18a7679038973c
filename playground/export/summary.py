"""A text summary of a network: what each layer outputs, what it costs, what it sees.

One row per node in the order of the graph: id, type, output shape, parameter count, receptive
field (for conv stacks: how many input pixels one output value depends on) and multiply-adds
per sample, then the totals, what inputs the exports take, and the data the network learned from
(its classes in output order, its input names, what a raw input is). The GUI's Export dialog and
`playground load` show the same table.
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from playground.export.common import ExportJob, check_folder, data_facts
from playground.core.files import atomic_write
from playground.layers import CATALOGUE, fmt_shape


@dataclass
class LayerRow:
    node_id: str
    type: str
    inputs: tuple[str, ...]
    output_shape: tuple[int, ...]
    params: int
    receptive_field: int | None
    """Side of the square of input pixels one output value depends on (image layers only)."""
    mult_adds: int
    """Multiply-adds of one sample's forward pass through this layer's weights."""


@dataclass
class Summary:
    name: str
    rows: list[LayerRow]
    trained: bool
    inputs_note: str = ""
    """What inputs the exports take (raw, or standardized with which mean and std)."""
    data_lines: list[str] = field(default_factory=list)
    """The data the network learned from: description, class names, input names, raw scale."""

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def total_mult_adds(self) -> int:
        return sum(r.mult_adds for r in self.rows)

    def text(self) -> str:
        return summary_table(self)


def mult_adds(layer_type: str, p: dict, in_shapes: list[tuple[int, ...]], out_shape: tuple[int, ...]) -> int:
    """Multiply-adds per sample: the work of the weights (element-wise layers count as 0)."""
    return CATALOGUE[layer_type].cost(in_shapes, p, out_shape)


def _field(layer_type: str, p: dict, inputs: list[tuple[float, float] | None],
           out_shape: tuple[int, ...]) -> tuple[float, float] | None:
    """(receptive field, jump) after this layer; jump is the input-pixel distance between
    neighbouring output pixels. None once the values mix the whole image (Flatten, Linear...)."""
    rule = CATALOGUE[layer_type].receptive_field
    if rule is None or len(out_shape) != 3 or not inputs or any(f is None for f in inputs):
        return None
    return rule(p, max(inputs, key=lambda f: f[0]))  # Add/Concat: the widest input decides


def summarize(job: ExportJob) -> Summary:
    report, model = job.report, job.model
    input_id = model.input_id
    fields: dict[str, tuple[float, float] | None] = {
        input_id: (1.0, 1.0) if len(report.shapes[input_id]) == 3 else None}
    rows = [LayerRow(input_id, "Input", (), tuple(report.shapes[input_id]), 0, None, 0)]
    for nid, inputs in model.plan:
        t, p = job.types[nid], report.params[nid]
        in_shapes = [tuple(report.shapes[i]) for i in inputs]
        out = tuple(report.shapes[nid])
        fields[nid] = _field(t, p, [fields.get(i) for i in inputs], out)
        params = sum(q.numel() for q in getattr(model, nid).parameters())
        rf = fields[nid]
        rows.append(LayerRow(nid, t, tuple(inputs), out, params,
                             math.ceil(rf[0] - 1e-9) if rf else None, mult_adds(t, p, in_shapes, out)))
    from playground.export.standardize import expects_note
    return Summary(job.preset.name, rows, job.trained, expects_note(job), data_facts(job.preset).lines())


def _n(x: int) -> str:
    return f"{x:,}"


def summary_table(s: Summary) -> str:
    chain = all(r.inputs == (s.rows[k - 1].node_id,) for k, r in enumerate(s.rows) if k)
    conv = any(r.receptive_field is not None for r in s.rows)
    header = ["node", "type"] + ([] if chain else ["from"]) + ["output shape", "params"] \
        + (["receptive field"] if conv else []) + ["mult-adds"]
    table = []
    for r in s.rows:
        row = [r.node_id, r.type] + ([] if chain else [", ".join(r.inputs)]) \
            + [fmt_shape(r.output_shape), _n(r.params)]
        if conv:
            row.append(f"{r.receptive_field}x{r.receptive_field}" if r.receptive_field else "")
        row.append(_n(r.mult_adds))
        table.append(row)
    numeric = {header.index("params"), len(header) - 1}
    widths = [max(len(h), *(len(row[k]) for row in table)) for k, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if k in numeric else c.ljust(w)
                         for k, (c, w) in enumerate(zip(cells, widths))).rstrip()

    kib = s.total_params * 4 / 1024
    out = [f"{s.name} ({'trained' if s.trained else 'untrained'} weights)", line(header),
           line(["-" * w for w in widths])]
    out += [line(row) for row in table]
    out.append(f"total: {_n(s.total_params)} parameters ({kib:,.1f} KiB as float32), "
               f"{_n(s.total_mult_adds)} multiply-adds per sample")
    if conv:
        out.append("receptive field: the side of the square of input pixels one output value depends on")
    if s.inputs_note:
        out += textwrap.wrap(s.inputs_note, 100, subsequent_indent="  ")
    for line in s.data_lines:
        out += textwrap.wrap(line, 100, subsequent_indent="  ")
    return "\n".join(out) + "\n"


def write_summary(job: ExportJob, path: Path) -> list[Path]:
    check_folder(path)
    return [atomic_write(path, summarize(job).text().encode("utf-8"))]
