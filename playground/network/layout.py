"""Auto-layout: tidy a messy graph into rows, data flowing top to bottom.

Each layer sits one row below the deepest layer feeding it (longest-path layering). Within a
row, layers keep the left-to-right order of the layers feeding them, and each moves as close as
it can to the mean position of its inputs, so a chain becomes a straight column and branches
spread out symmetrically. Long skip connections are drawn by the canvas as arcs beside the
column, so a ResNet block keeps its main path straight.
"""
from __future__ import annotations

from playground.network.spec import ModelSpec

ROW = 90.0
"""Vertical distance between rows (node centres)."""
COLUMN = 210.0
"""Minimum horizontal distance between node centres in one row."""


def layers(spec: ModelSpec) -> dict[str, int]:
    """The row of every node: 0 for nodes without inputs, else one more than its deepest input.
    Nodes on a cycle (the analysis reports them) are put after everything else."""
    by_id = {n.id: n for n in spec.nodes}
    row: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(nid: str) -> int:
        if nid in row:
            return row[nid]
        if nid in visiting:  # a cycle: break it here
            return 0
        visiting.add(nid)
        ins = [i for i in by_id[nid].inputs if i in by_id]
        d = 1 + max((depth(i) for i in ins), default=-1)
        visiting.discard(nid)
        row[nid] = d
        return d

    for n in spec.nodes:
        depth(n.id)
    return row


def auto_layout(spec: ModelSpec, origin: tuple[float, float] | None = None) -> dict[str, tuple[float, float]]:
    """New centre positions for every node."""
    if not spec.nodes:
        return {}
    row = layers(spec)
    by_id = {n.id: n for n in spec.nodes}
    if origin is None:
        top = min(spec.nodes, key=lambda n: (row[n.id], n.pos[1]))
        origin = top.pos
    rows: dict[int, list[str]] = {}
    for n in sorted(spec.nodes, key=lambda n: (n.pos[0], n.pos[1])):
        rows.setdefault(row[n.id], []).append(n.id)

    x: dict[str, float] = {}
    for r in sorted(rows):
        ids = rows[r]

        def wanted(nid: str) -> float:
            ins = [x[i] for i in by_id[nid].inputs if i in x]
            return sum(ins) / len(ins) if ins else by_id[nid].pos[0] if r == 0 else 0.0

        if r == 0:
            ids.sort(key=lambda nid: by_id[nid].pos[0])
            for k, nid in enumerate(ids):
                x[nid] = origin[0] + (k - (len(ids) - 1) / 2) * COLUMN
            continue
        ids.sort(key=lambda nid: (wanted(nid), by_id[nid].pos[0]))
        xs = _spread([wanted(nid) for nid in ids], COLUMN)
        for nid, v in zip(ids, xs):
            x[nid] = v
    return {nid: (round(x[nid], 1), round(origin[1] + row[nid] * ROW, 1)) for nid in by_id}


def _spread(wanted: list[float], gap: float) -> list[float]:
    """Positions as close to `wanted` (sorted) as possible, at least `gap` apart: clusters of
    overlapping nodes are centred on the mean of what they want."""
    blocks: list[list[float]] = []  # each: [start, count, sum of wanted - offset]
    for k, w in enumerate(wanted):
        blocks.append([w, 1, w])
        while len(blocks) > 1:
            prev, last = blocks[-2], blocks[-1]
            if prev[0] + prev[1] * gap <= last[0]:
                break
            count = prev[1] + last[1]
            # sum of (wanted_i - i*gap) over the merged block gives its best start
            total = prev[2] + last[2] - last[1] * prev[1] * gap
            blocks[-2:] = [[total / count, count, total]]
    out: list[float] = []
    for start, count, _ in blocks:
        out.extend(start + i * gap for i in range(int(count)))
    return out
