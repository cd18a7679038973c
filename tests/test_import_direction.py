"""The engine's packages import only downwards, as each package's docstring declares.

Every package's `__init__` says "May import: ..." and this test holds every module to it, counting
imports inside functions and under TYPE_CHECKING too (a lazy import is still a dependency). A
package's `commands` module is its command-line front end: it belongs with `command_line`, at the top.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import playground

ENGINE = Path(playground.__file__).parent
TOP_LEVEL_MODULES = {"params"}   # the plugin API's one module outside a package
FRONT = "command_line"


def package_of(module: str) -> str:
    """'playground.training.step' -> 'training'; a package's commands module -> the command line."""
    parts = module.split(".")
    if len(parts) < 2:
        return ""
    if parts[-1] == "commands":
        return FRONT
    return parts[1]


def declared_imports() -> dict[str, set[str]]:
    """Each package's "May import:" line, read from its docstring."""
    rules: dict[str, set[str]] = {"params": set()}
    for init in sorted(ENGINE.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        found = re.search(r"May import:(.*?)(?:\n\n|$)", doc, re.S)
        assert found, f"{init.parent.name}/__init__.py does not say what it may import"
        text = found.group(1)
        rules[init.parent.name] = set(re.findall(r"`(\w+)`", text)) if "anything" not in text else {"*"}
    return rules


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "playground":
            if node.module == "playground":
                found += [f"playground.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "playground"]
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def violations() -> list[str]:
    rules = declared_imports()
    bad = []
    for path in sorted(ENGINE.rglob("*.py")):
        source = module_name(path)
        if source in ("playground", "playground.__main__"):
            continue
        src = package_of(source)
        allowed = rules.get(src)
        assert allowed is not None, f"{source} is in no declared package ({src})"
        for target in imports_of(path):
            dst = package_of(target)
            if dst == src or "*" in allowed or (dst == FRONT and src == FRONT):
                continue
            if dst not in allowed:
                bad.append(f"{source} imports {target}: {src} may import only {sorted(allowed)}")
    return bad


def test_every_engine_module_imports_only_what_its_package_declares():
    assert violations() == []


def test_the_declared_rules_have_no_cycle():
    """Rules allowing a cycle would make the test above pass while the layers tangle."""
    rules = {name: allowed - {"*"} for name, allowed in declared_imports().items()}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"the import rules allow a cycle: {' -> '.join(path + (name,))}"
        if name in done:
            return
        for below in rules.get(name, ()):
            visit(below, path + (name,))
        done.add(name)

    for name in rules:
        visit(name, ())


def test_the_check_catches_an_upward_import(tmp_path):
    """The checker itself can fail: a core module importing the Trainer is reported."""
    fake = tmp_path / "playground"
    (fake / "core").mkdir(parents=True)
    (fake / "training").mkdir()
    (fake / "core" / "__init__.py").write_text('"""Base.\n\nMay import: nothing.\n"""\n')
    (fake / "training" / "__init__.py").write_text('"""Training.\n\nMay import: `core`.\n"""\n')
    (fake / "core" / "files.py").write_text("from playground.training.trainer import Trainer\n")
    (fake / "training" / "trainer.py").write_text("from playground.core import files\n")
    global ENGINE
    saved = ENGINE
    ENGINE = fake
    try:
        found = violations()
    finally:
        ENGINE = saved
    assert found == ["playground.core.files imports playground.training.trainer: core may import only []"]


def test_the_public_names_plugins_and_exports_use_still_import():
    """examples/plugin_layer and third-party plugins import these by name; moving them breaks users."""
    from playground.layers import Constructor, LayerType, ShapeError, register
    from playground.params import Param
    assert all(callable(x) for x in (Constructor, LayerType, ShapeError, register, Param))
