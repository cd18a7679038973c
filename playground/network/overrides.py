"""`--set KEY=VALUE`: change any preset field by its path, and say which paths two presets differ in.

Paths are the ones preset validation names in its errors (`training.lr`,
`model.nodes[1].params.out_features`, `data.params.noise`), so a person can copy a path from an
error, a compare table or a twin's record straight into `--set`. A node may also be named by its
id (`model.nodes[hidden].params.out_features`). The changed document is validated exactly like a
loaded preset, so a bad path or value is refused with the path in the message.
"""
from __future__ import annotations

import difflib
import json
import re
from typing import Any, Iterable, Sequence

from playground.params import Problem
from playground.network.preset import MAX_DEPTH, PresetError, nesting_depth, preset_from_dict, preset_to_dict
from playground.network.spec import Preset

_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\[\]]*)\]")
IGNORED_IN_DIFF = ("description", "expect")
"""Top-level keys that say nothing about what a run does; node `pos` is ignored too."""


def _bad(path: str, message: str) -> PresetError:
    return PresetError([Problem(path, message)], "bad --set")


def parse_path(path: str) -> list[str | int]:
    """`model.nodes[1].params.out_features` -> ['model', 'nodes', 1, 'params', 'out_features']."""
    if not path or path.strip() != path:
        raise _bad(path, "a setting path such as training.lr or model.nodes[1].params.out_features")
    parts: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        gap = path[pos:m.start()]
        if gap not in ("", "."):
            raise _bad(path, f"cannot read the path near {gap!r}")
        if m.group(1) is not None:
            parts.append(m.group(1))
        else:
            inner = m.group(2)
            if not inner:
                raise _bad(path, "empty [] in the path")
            parts.append(int(inner) if inner.lstrip("-").isdigit() else inner)
        pos = m.end()
    if pos != len(path) or not parts or not isinstance(parts[0], str):
        raise _bad(path, "cannot read this path")
    return parts


def parse_value(text: str) -> Any:
    """JSON when it reads as JSON (numbers, true/false, lists), else the text itself (`sgd`).

    Nesting is bounded before parsing, as in a preset file: Python's parser recurses per level."""
    if nesting_depth(text) > MAX_DEPTH:
        raise _bad(text[:20] + "…", f"the value nests more than {MAX_DEPTH} levels deep; "
                                    "a preset field nests a few levels at most")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return text


def split_assignment(assignment: str) -> tuple[str, Any]:
    key, sep, value = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise _bad(assignment, "expected KEY=VALUE, e.g. training.lr=0.01")
    value = value.strip()
    try:
        return key, parse_value(value)
    except PresetError as e:
        e.problems = [Problem(key, p.message) for p in e.problems]
        raise


def _holds_settings(walked: str) -> bool:
    """Whether the object at `walked` is a settings object (training, data or layer params),
    whose names validation checks against the declared parameters. Every other object of a
    preset (the document, model, data, a node, an expectation) has fixed fields, all written
    out by `preset_to_dict`, and validation would ignore a name it does not know."""
    return walked == "training" or walked.endswith(".params")


def _unknown_field(path: str, walked: str, doc: dict[str, Any]) -> PresetError:
    """`path` names no field of the preset: say so, with the setting paths it may have meant."""
    guesses = _did_you_mean(path, list(filled_settings(doc)))
    hint = f"; did you mean {' or '.join(guesses)}?" if guesses else \
        " (paths look like training.epochs, data.params.noise or model.nodes[1].params.out_features)"
    return _bad(path, f"the preset has no field {walked}{hint}")


def _did_you_mean(path: str, known: list[str]) -> list[str]:
    """Known paths ending in the same name (`epochs` -> `training.epochs`), else the closest."""
    def last(p: str) -> str:
        return re.split(r"[.\[]", p.rstrip("]"))[-1]

    same_name = [k for k in known if last(k) == last(path)]
    if same_name:
        return same_name[:3]
    close = difflib.get_close_matches(path, known, n=3, cutoff=0.6)
    if close:
        return close
    by_name = {last(k): k for k in reversed(known)}
    return [by_name[n] for n in difflib.get_close_matches(last(path), list(by_name), n=3, cutoff=0.75)]


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = parse_path(path)
    root = doc
    node: Any = doc
    walked = ""
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if isinstance(node, list):
            index = part
            if isinstance(part, str):  # a node named by its id
                ids = [n.get("id") if isinstance(n, dict) else None for n in node]
                if part not in ids:
                    raise _bad(path, f"no node with id {part!r} in {walked} (ids: {', '.join(map(str, ids))})")
                index = ids.index(part)
            if not isinstance(index, int) or not -len(node) <= index < len(node):
                raise _bad(path, f"{walked} has {len(node)} entries; no entry [{part}]")
            walked += f"[{index}]"
            if last:
                node[index] = value
            else:
                node = node[index]
        elif isinstance(node, dict):
            if isinstance(part, int):
                raise _bad(path, f"{walked or 'the preset'} is an object, not a list")
            in_settings = _holds_settings(walked)
            walked += f".{part}" if walked else part
            if part not in node and not in_settings:
                raise _unknown_field(path, walked, root)
            if last:
                node[part] = value  # an unknown setting name is caught by validation, with its path
            elif part in node:
                node = node[part]
            else:
                node[part] = {}
                node = node[part]
        else:
            raise _bad(path, f"{walked} is a value, not an object or list")


def apply_overrides(preset: Preset, assignments: Iterable[str]) -> Preset:
    """A new preset with each `KEY=VALUE` applied in order, validated like a loaded preset.

    Raises PresetError naming the path of a bad path or value; the given preset is unchanged."""
    items = [split_assignment(a) for a in assignments]
    if not items:
        return preset.copy()
    doc = preset_to_dict(preset)
    for key, value in items:
        if key.split(".")[0].split("[")[0] in ("format", "version"):
            raise _bad(key, "the file format cannot be overridden")
        _set(doc, key, value)
    try:
        return preset_from_dict(doc)
    except PresetError as e:
        e.what = "bad --set"
        raise


def flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a preset document by its path; lists of numbers stay whole (a shape)."""
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(doc, list) and any(isinstance(v, (dict, list)) for v in doc):
        for i, v in enumerate(doc):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = doc
    return out


def setting_paths(doc: dict[str, Any]) -> dict[str, Any]:
    """The flattened settings that change what a run does (no description, expectations or layout)."""
    flat = flatten({k: v for k, v in doc.items() if k not in IGNORED_IN_DIFF + ("format", "version")})
    return {p: v for p, v in flat.items() if not p.endswith(".pos")}


def differences(docs: Sequence[dict[str, Any]]) -> list[str]:
    """The setting paths whose values are not the same in every preset document, in path order.

    A layer parameter left at its default in one preset and written out in another counts as
    different only when the written value differs from the declared default."""
    flats = [_with_layer_defaults(setting_paths(d), d) for d in docs]
    keys: list[str] = []
    seen: set[str] = set()
    for f in flats:
        for k in f:
            if k not in seen:
                seen.add(k)
                keys.append(k)
    missing = object()
    return [k for k in keys if len({json.dumps(f.get(k, missing), sort_keys=True, default=str)
                                    for f in flats}) > 1]


def _with_layer_defaults(flat: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    from playground.data import DATASETS
    from playground.layers import CATALOGUE
    from playground.params import with_defaults
    out = dict(flat)
    data = doc.get("data", {})
    if data.get("name") in DATASETS:
        for name, value in with_defaults(DATASETS[data["name"]].params, data.get("params", {})).items():
            out.setdefault(f"data.params.{name}", list(value) if isinstance(value, tuple) else value)
    for i, n in enumerate(doc.get("model", {}).get("nodes", [])):
        layer = CATALOGUE.get(n.get("type"))
        if layer is None:
            continue
        for name, value in with_defaults(layer.params, n.get("params", {})).items():
            out.setdefault(f"model.nodes[{i}].params.{name}",
                           list(value) if isinstance(value, tuple) else value)
    return out


def filled_settings(doc: dict[str, Any]) -> dict[str, Any]:
    """A preset document's settings by path, with layer and data-set defaults written out."""
    return _with_layer_defaults(setting_paths(doc), doc)


def describe_changes(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """{path: new value} for every setting `other` changes relative to `base`."""
    flat = _with_layer_defaults(setting_paths(other), other)
    return {p: flat.get(p) for p in differences([base, other])}


def changes_text(changes: dict[str, Any]) -> str:
    """`{path: value}` as a person reads it: "optimizer=sgd, epochs=150, model.nodes[1].params.out_features=64"
    (training settings by their own name, the rest by path; floats to 4 significant digits)."""
    return ", ".join(f"{k.rsplit('.', 1)[-1] if k.startswith('training.') else k}="
                     f"{f'{v:.4g}' if isinstance(v, float) else v}" for k, v in changes.items())


def changes_from_builtin(preset: Preset) -> dict[str, Any]:
    """What a preset edited in the app changes relative to the built-in preset of its name
    ({} when there is none, or it cannot be read): the `changed` of an app run's record."""
    from playground.network.preset import PRESETS_DIR, load_preset
    path = PRESETS_DIR / f"{preset.name}.json"
    if not path.is_file():
        return {}
    try:
        base = load_preset(path)
    except (OSError, PresetError):
        return {}
    return describe_changes(preset_to_dict(base), preset_to_dict(preset))
