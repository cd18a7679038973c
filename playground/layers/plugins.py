"""Layer plugins: layer types registered from outside the package.

A plugin is a Python module that calls `playground.layers.register(LayerType(...))` when it
is imported, exactly as the built-in layer modules do. Plugins are code, so they load from two
places only, both chosen by whoever runs the playground, never by a file it opens:

- `PLAYGROUND_PLUGINS`: comma-separated importable module names (e.g. `my_layers,lab.blocks`);
- installed packages that declare an entry point in the group `nn_playground.layers` (the entry
  point names the module; if it names an object, that object is loaded, which imports its module).

`playground.layers` loads them once, at import, after the built-ins. A plugin that fails to
import (raises, or calls `sys.exit`) is reported on stderr in one line and skipped, and it is
all-or-nothing: the catalogue is put back as it was before its import, so no half of a plugin
(a first type registered before its second clashed) stays behind; the rest still works. A
preset that uses a type nobody registered fails validation naming the type and saying a plugin
may be missing.
"""
from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata

ENV_VAR = "PLAYGROUND_PLUGINS"
ENTRY_POINT_GROUP = "nn_playground.layers"


@dataclass
class PluginLoad:
    """What loading the plugins did: which modules added which layer types, and what failed."""

    loaded: dict[str, list[str]] = field(default_factory=dict)  # source -> layer type names it registered
    failed: dict[str, str] = field(default_factory=dict)        # source -> why it did not load


LOADED = PluginLoad()
"""The result of the one load at start-up (for `playground presets`, the app's About, tests)."""


def plugin_sources(environ: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, what to import) for every plugin: the environment variable's modules first, then
    the entry points (`module` or `module:object`)."""
    env = os.environ if environ is None else environ
    out = [(name, name) for name in (s.strip() for s in env.get(ENV_VAR, "").split(",")) if name]
    try:
        points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    except Exception:  # a broken installed distribution must not stop the playground
        points = []
    out += [(f"{p.name} ({p.value})", p.value) for p in points]
    return out


def unknown_type_message(type_name: object, known: list[str]) -> str:
    """Validation's words for a layer type the catalogue lacks."""
    return (f"unknown layer type {type_name!r}: no built-in or plugin registers it (a plugin may be "
            f"missing: see {ENV_VAR}); known: {', '.join(known)}")


def load_plugins(environ: dict[str, str] | None = None, report=None) -> PluginLoad:
    """Import every plugin module once; return which types each added and which failed."""
    from playground.layers.registry import CATALOGUE
    result = PluginLoad()
    for label, target in plugin_sources(environ):
        before = dict(CATALOGUE)
        why = _import_plugin(target) or _replaced(before, CATALOGUE)
        if why:
            CATALOGUE.clear()          # all or nothing: whatever it registered goes with it
            CATALOGUE.update(before)   # (in the same order: the palette lists them so)
            result.failed[label] = why
            continue
        result.loaded[label] = [name for name in CATALOGUE if name not in before]
    for label, why in result.failed.items():
        print(f"playground: warning: layer plugin {label} did not load: {why}", file=report or sys.stderr)
    LOADED.loaded.update(result.loaded)
    LOADED.failed.update(result.failed)
    return result


def _import_plugin(target: str) -> str:
    """Import `module` or `module:object`; '' when it loaded, else why not, in one line. A
    plugin's `sys.exit()` is a failure like any other: it must not end the command."""
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name.strip())
        if attr:
            obj = module
            for part in attr.strip().split("."):
                obj = getattr(obj, part)
    except SystemExit as e:
        return f"it called sys.exit({e.code!r}) while being imported"
    except Exception as e:  # noqa: BLE001 — whatever a plugin raises, say so and go on
        text = str(e).strip().splitlines()
        return f"{type(e).__name__}: {text[0][:200] if text else ''}"
    return ""


def _replaced(before: Mapping[str, object], catalogue: Mapping[str, object]) -> str:
    """Why a plugin that imported cleanly is still refused: it removed or replaced a type that
    was registered before it (by writing to the catalogue instead of calling `register`)."""
    changed = [name for name, layer in before.items() if catalogue.get(name) is not layer]
    if changed:
        return f"it replaced or removed the layer type{'s' if len(changed) > 1 else ''} {', '.join(changed)}"
    return ""
