"""No dead code (issue 23): vulture finds no function, method, class, property or import that
nothing in the project uses. Tests and benchmarks count as users (an outside reference a test
compares with is code that runs); the names below are called by something vulture cannot see."""
from __future__ import annotations

from pathlib import Path

from vulture import Vulture

ROOT = Path(__file__).resolve().parents[1]

CALLED_FROM_OUTSIDE = [
    # Qt and pyqtgraph call these overrides by name
    "paint", "boundingRect", "shape", "hoverEnterEvent", "hoverLeaveEvent", "contextMenuEvent", "drawBackground",
    "mergeWith", "headerData", "filterAcceptsRow", "mimeTypes", "mimeData", "supportedDropActions",
    "updateSize", "logTickValues", "tickStrings", "valueFromText", "textFromValue", "validate", "fixup",
    "stepBy", "sizeHint", "minimumSizeHint", "closeEvent", "showEvent", "resizeEvent", "eventFilter",
    "*Event", "data", "rowCount", "columnCount", "flags", "setData", "lessThan",
    # PyTorch calls it when printing a module; Optuna calls a sampler's after_trial
    "extra_repr", "after_trial",
    # export formats are registered by "module:function" strings (playground/export/__init__.py)
    "write_*",
    # module-level __getattr__ (PEP 562): lazy attributes of a package
    "__getattr__",
    # copied by name into the exported train.py (playground/training/step.py STEP_FUNCTIONS)
    "choose_device",
]
KINDS = {"function", "method", "class", "property", "import"}


def test_nothing_is_left_unused():
    v = Vulture(ignore_names=CALLED_FROM_OUTSIDE)
    v.scavenge([str(ROOT / d) for d in ("playground", "widgets", "presets", "resources", "tests", "benchmarks")])
    unused = [f"{Path(item.filename).relative_to(ROOT)}:{item.first_lineno} {item.typ} {item.name}"
              for item in v.get_unused_code(min_confidence=60)
              if item.typ in KINDS and Path(item.filename).relative_to(ROOT).parts[0] in ("playground", "widgets")]
    assert not unused, "unused code:\n" + "\n".join(unused)
