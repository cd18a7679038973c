"""Presets: the JSON files people keep. Load validates every field, old versions migrate
forward, saving is atomic, and nothing in a preset can run code."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Callable

from playground.network.applies import optimizer_problems
from playground.core.builtin_data import presets_dir
from playground.core.files import FileProblem, atomic_write, read_bounded
from playground.params import Problem, ProblemList, check_params
from playground.network.spec import (
    TRAINING_PARAMS, DataSpec, Expectation, ModelSpec, Preset, TrainSpec, warm_start_problems)

FORMAT = "nn-playground-preset"
VERSION = 1
PRESETS_DIR = presets_dir()
"""The built-in presets, installed as package data (playground/core/builtin_data.py)."""

MAX_FILE_BYTES = 4 * 1024 * 1024
"""A preset file is at most this big (the largest built-in is a few kB): checked before reading."""
MAX_DEPTH = 64
"""JSON nesting deeper than this is refused before parsing (a preset nests about 6 deep)."""
MAX_DESCRIPTION_CHARS = 20_000
"""A description is a few paragraphs; a huge one froze the inspector's editor."""
MAX_NODES = 1000
"""More nodes than any network a person builds on a canvas."""
MAX_EXPECT = 100


class PresetError(ProblemList):
    """A preset that cannot be used; lists every problem with the path of the bad field."""


# ---------------------------------------------------------------- migration

def _from_v0(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0 was a hand-writable chain: `"layers": [{"type": ..., "params": ...}, ...]`.
    It becomes nodes wired one after another, laid out top to bottom."""
    out = {k: v for k, v in doc.items() if k != "layers"}
    layers = doc.get("layers")
    if not isinstance(layers, list):
        raise PresetError([Problem("layers", "a version 0 preset needs a list of layers")], "bad preset")
    nodes = []
    prev = None
    for k, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise PresetError([Problem(f"layers[{k}]", "must be an object")], "bad preset")
        nid = layer.get("id") or f"{str(layer.get('type', 'node')).lower()}{k}"
        nodes.append({"id": nid, "type": layer.get("type"), "params": layer.get("params", {}),
                      "inputs": [prev] if prev else [], "pos": [0.0, 90.0 * k]})
        prev = nid
    out["model"] = {"nodes": nodes, "output": ""}
    out["version"] = 1
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_v0}
"""MIGRATIONS[v] turns a version-v document into version v+1."""


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise PresetError([Problem("version", f"must be an integer, got {version!r}")], "bad preset")
    if version > VERSION:
        raise PresetError([Problem("version", f"this preset was written by a newer NN Playground "
                                               f"(format version {version}); this one reads up to {VERSION}")],
                          "cannot open preset")
    if version < 0:
        raise PresetError([Problem("version", f"must be >= 0, got {version}")], "bad preset")
    while doc["version"] < VERSION:
        doc = MIGRATIONS[doc["version"]](doc)
    return doc


# ---------------------------------------------------------------- validation

def _type_problem(value: Any, kind: type | tuple[type, ...], path: str, what: str) -> list[Problem]:
    if isinstance(value, bool) and kind is not bool:
        return [Problem(path, f"must be {what}, got {value!r}")]
    return [] if isinstance(value, kind) else [Problem(path, f"must be {what}, got {_short(value)}")]


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_nodes(model: Any) -> list[Problem]:
    if not isinstance(model, dict):
        return [Problem("model", "must be an object with a list of nodes")]
    problems = _type_problem(model.get("output", ""), str, "model.output", "a node id (text)")
    nodes = model.get("nodes")
    if not isinstance(nodes, list):
        return problems + [Problem("model.nodes", f"must be a list of nodes, got {_short(nodes)}")]
    from playground.layers import CATALOGUE
    for k, n in enumerate(nodes):
        path = f"model.nodes[{k}]"
        if not isinstance(n, dict):
            problems.append(Problem(path, "must be an object"))
            continue
        unknown = set(n) - {"id", "type", "params", "inputs", "pos"}
        if unknown:
            problems.append(Problem(path, f"unknown fields: {', '.join(sorted(map(str, unknown)))}"))
        problems += _type_problem(n.get("id"), str, f"{path}.id", "text")
        t = n.get("type")
        if not isinstance(t, str) or t not in CATALOGUE:
            from playground.layers.plugins import unknown_type_message
            problems.append(Problem(f"{path}.type", unknown_type_message(t if isinstance(t, str) else _short(t),
                                                                         list(CATALOGUE))))
        params = n.get("params", {})
        if not isinstance(params, dict):
            problems.append(Problem(f"{path}.params", "must be an object"))
        elif isinstance(t, str) and t in CATALOGUE:
            problems += [Problem(p, m) for p, m in check_params(CATALOGUE[t].params, params, f"{path}.params")]
        inputs = n.get("inputs", [])
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            problems.append(Problem(f"{path}.inputs", "must be a list of node ids"))
        pos = n.get("pos", [0, 0])
        if (not isinstance(pos, list) or len(pos) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                           for v in pos)):
            problems.append(Problem(f"{path}.pos", "must be [x, y] with two finite numbers"))
    return problems


def graph_problems(model: ModelSpec) -> list[Problem]:
    """The network's graph and shape errors, each at its node's path (empty when it builds)."""
    from playground.network.shapes import analyze
    report = analyze(model)
    index = {n.id: k for k, n in enumerate(model.nodes)}
    problems = [Problem("model", e) for e in report.graph_errors]
    problems += [Problem(f"model.nodes[{index[nid]}]", msg) for nid, msg in report.node_errors.items()]
    return problems


def _check_data(data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem("data", "must be an object with a data set name and its params")]
    from playground.data import DATASETS
    name = data.get("name")
    if not isinstance(name, str) or name not in DATASETS:
        return [Problem("data.name", f"unknown data set {_short(name)} (known: {', '.join(DATASETS)})")]
    params = data.get("params", {})
    if not isinstance(params, dict):
        return [Problem("data.params", "must be an object")]
    return [Problem(p, m) for p, m in check_params(DATASETS[name].params, params, "data.params")]


def _check_expect(expect: Any) -> list[Problem]:
    if not isinstance(expect, list):
        return [Problem("expect", "must be a list of {metric, op, value}")]
    problems = []
    for k, e in enumerate(expect):
        path = f"expect[{k}]"
        if not isinstance(e, dict) or not isinstance(e.get("metric"), str) or e.get("op") not in (">=", "<="):
            problems.append(Problem(path, 'must be {"metric": name, "op": ">=" or "<=", "value": number or metric}'))
        elif isinstance(e.get("value"), bool) or not isinstance(e.get("value"), (int, float, str)):
            problems.append(Problem(f"{path}.value", "must be a number or a metric name"))
    return problems


def _check_sizes(doc: dict[str, Any]) -> list[Problem]:
    """The limits that keep a hostile but well-formed preset from bloating the app, checked
    before any field is validated or built."""
    problems = []
    description = doc.get("description", "")
    if isinstance(description, str) and len(description) > MAX_DESCRIPTION_CHARS:
        problems.append(Problem("description", f"is {len(description):,} characters long; "
                                               f"a description is at most {MAX_DESCRIPTION_CHARS:,}"))
    name = doc.get("name")
    if isinstance(name, str) and len(name) > 200:
        problems.append(Problem("name", f"is {len(name):,} characters long; a name is at most 200"))
    model = doc.get("model")
    nodes = model.get("nodes") if isinstance(model, dict) else None
    if isinstance(nodes, list) and len(nodes) > MAX_NODES:
        problems.append(Problem("model.nodes", f"has {len(nodes):,} nodes; a preset holds at most {MAX_NODES:,}"))
    if isinstance(model, dict) and isinstance(model.get("layers"), list) and len(model["layers"]) > MAX_NODES:
        problems.append(Problem("model.layers", f"has {len(model['layers']):,} layers; at most {MAX_NODES:,}"))
    layers = doc.get("layers")
    if isinstance(layers, list) and len(layers) > MAX_NODES:
        problems.append(Problem("layers", f"has {len(layers):,} layers; a preset holds at most {MAX_NODES:,}"))
    expect = doc.get("expect")
    if isinstance(expect, list) and len(expect) > MAX_EXPECT:
        problems.append(Problem("expect", f"has {len(expect):,} entries; at most {MAX_EXPECT}"))
    return problems


def preset_from_dict(doc: Any, check_graph: bool = True) -> Preset:
    """Validate a decoded JSON document and make a Preset, or raise PresetError with every problem.

    With check_graph=False a network that is still being built (a missing connection, a shape
    that does not fit yet) is accepted, so the builder can open half-finished work and show its
    errors on the canvas (`graph_problems`); every field is still checked."""
    if not isinstance(doc, dict):
        raise PresetError([Problem("", f"a preset is a JSON object, got {type(doc).__name__}")], "bad preset")
    if doc.get("format") != FORMAT:
        raise PresetError([Problem("format", f"must be {FORMAT!r}, got {_short(doc.get('format'))}: "
                                             "this is not an NN Playground preset")], "bad preset")
    problems = _check_sizes(doc)
    if problems:
        raise PresetError(problems, "preset too large")
    doc = migrate(dict(doc))
    problems: list[Problem] = []
    problems += _type_problem(doc.get("name"), str, "name", "text")
    problems += _type_problem(doc.get("description", ""), str, "description", "text")
    problems += _check_nodes(doc.get("model"))
    problems += _check_data(doc.get("data"))
    training = doc.get("training", {})
    if not isinstance(training, dict):
        problems.append(Problem("training", "must be an object of settings"))
    else:
        found = [Problem(p, m) for p, m in check_params(TRAINING_PARAMS, training, "training")]
        problems += found or optimizer_problems(TrainSpec.from_dict(training))
    problems += _check_expect(doc.get("expect", []))
    if problems:
        raise PresetError(problems, "bad preset")
    model = ModelSpec.from_dict(doc["model"])
    training_spec = TrainSpec.from_dict(training)
    problems = graph_problems(model) + warm_start_problems(model, training_spec) if check_graph else []
    if problems:
        raise PresetError(problems, "bad preset")
    return Preset(
        name=doc["name"], description=doc.get("description", ""), model=model,
        data=DataSpec.from_dict(doc["data"]), training=training_spec,
        expect=[Expectation(e["metric"], e["op"], e["value"]) for e in doc.get("expect", [])],
    )


def preset_to_dict(preset: Preset) -> dict[str, Any]:
    """The JSON document; training settings are written in full so a file says what it does."""
    return {
        "format": FORMAT, "version": VERSION, "name": preset.name, "description": preset.description,
        "model": preset.model.to_dict(), "data": preset.data.to_dict(),
        "training": preset.training.to_dict(),
        "expect": [{"metric": e.metric, "op": e.op, "value": e.value} for e in preset.expect],
    }


def preset_to_json(preset: Preset) -> str:
    return json.dumps(preset_to_dict(preset), indent=2, ensure_ascii=False) + "\n"


def nesting_depth(text: str, stop_at: int = MAX_DEPTH) -> int:
    """How deep the JSON text's brackets nest (brackets inside strings do not count), found
    in one linear scan without parsing; stops counting past `stop_at`. Python's parser
    recurses per level, so a file of 200,000 `[` would end in RecursionError, not an answer."""
    depth = deepest = 0
    pos = 0
    find, string_end = _SPECIAL.search, _STRING_REST.match
    while (m := find(text, pos)) is not None:
        ch = m.group()
        pos = m.end()
        if ch == '"':
            rest = string_end(text, pos)
            if rest is None:   # an unterminated string: the parser will say so
                break
            pos = rest.end()
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    break
        else:
            depth -= 1
    return deepest


_SPECIAL = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""After an opening quote: the rest of the string up to its closing quote (linear: no backtracking)."""


def decode_json(text: str, source: str = "preset") -> Any:
    """The JSON document in `text`, bounded: too deep a nesting is refused before parsing."""
    if len(text) > MAX_FILE_BYTES:
        raise PresetError([Problem("", f"the text is {len(text):,} characters long; a preset is at most "
                                       f"{MAX_FILE_BYTES:,} bytes")], f"cannot read {source}")
    if nesting_depth(text) > MAX_DEPTH:
        raise PresetError([Problem("", f"the JSON nests more than {MAX_DEPTH} levels deep; a preset "
                                       "nests a few levels: this is not a preset")], f"cannot read {source}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise PresetError([Problem("", f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}")],
                          f"cannot read {source}") from None
    except RecursionError:   # (the depth check should have caught it)
        raise PresetError([Problem("", "the JSON nests too deeply to read")], f"cannot read {source}") from None


def preset_from_json(text: str, source: str = "preset", check_graph: bool = True) -> Preset:
    return preset_from_dict(decode_json(text, source), check_graph)


def load_preset(path: str | Path, check_graph: bool = True) -> Preset:
    """Read and validate a preset file; every failure is a PresetError or FileProblem with a clear message."""
    p = Path(path)
    raw = read_bounded(p, MAX_FILE_BYTES, "preset file")   # a FIFO or a huge file never gets read
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PresetError([Problem("", "not a text file")], f"cannot read {p}") from None
    try:
        return anchor_data_path(preset_from_json(text, str(p), check_graph), p.parent)
    except PresetError as e:
        e.what = f"{p.name}: {e.what}"
        raise


def save_preset(preset: Preset, path: str | Path) -> Path:
    """Write atomically (temp file, fsync, rename): a crash or full disk never truncates the old file."""
    return atomic_write(path, preset_to_json(relative_data_path(preset, Path(path).parent)).encode("utf-8"))


def _data_path(preset: Preset) -> str | None:
    """The file path of an imported data set (csv, npz, images), or None for a generated one."""
    from playground.data import DATASETS
    entry = DATASETS.get(preset.data.name)
    path = preset.data.params.get("path") if entry is not None and entry.imported else None
    return path if isinstance(path, str) and path.strip() else None


def anchor_data_path(preset: Preset, folder: Path) -> Preset:
    """A relative data path is the preset file's neighbour: resolved from the preset's folder, so a
    preset moved together with its data keeps working from any working folder. (A path that only
    exists from the working folder, as older presets meant it, is kept as it is.)"""
    path = _data_path(preset)
    if path is None or path.startswith("~") or Path(path).is_absolute():
        return preset
    beside = os.path.normpath(os.path.join(os.path.abspath(folder), path))
    if os.path.exists(beside) or not os.path.exists(path):
        preset.data.params["path"] = beside
    return preset


def relative_data_path(preset: Preset, folder: Path) -> Preset:
    """The preset as saved into `folder`: data inside that folder (or below it) is named relative
    to it, so the folder can be moved or sent as a whole. The preset itself is left unchanged."""
    path = _data_path(preset)
    if path is None or not Path(path).expanduser().is_absolute():
        return preset
    try:
        relative = Path(os.path.abspath(Path(path).expanduser())).relative_to(os.path.abspath(folder))
    except ValueError:
        return preset
    data = DataSpec(preset.data.name, {**preset.data.params, "path": relative.as_posix()})
    return dataclasses.replace(preset, data=data)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.json"))


def resolve_preset(name_or_path: str) -> Preset:
    """A preset from a file path, or a built-in by name (`xor_mlp`)."""
    p = Path(name_or_path)
    if p.suffix == ".json" or p.exists():
        return load_preset(p)
    builtin = PRESETS_DIR / f"{name_or_path}.json"
    if builtin.exists():
        return load_preset(builtin)
    raise FileProblem(f"no preset file or built-in preset named {name_or_path!r} "
                      f"(built-ins: {', '.join(builtin_names())})")
