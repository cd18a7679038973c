"""The engine's packages import only downwards, as each package's docstring declares; so do the app's.

Every package's `__init__` says "May import: ..." and this test holds every module to it, counting
imports inside functions and under TYPE_CHECKING too (a lazy import is still a dependency). A
package's `commands` module is its command-line front end: it belongs with `command_line`, at the top.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import playground
import widgets

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


def imports_of(path: Path, top: str = "playground") -> list[str]:
    """The modules of package `top` that a file imports (at any depth of its code)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == top:
            found += [f"{top}.{alias.name}" for alias in node.names] if node.module == top else [node.module]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == top]
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


def assert_no_cycle(rules: dict[str, set[str]]) -> None:
    """Rules allowing a cycle would let a direction test pass while the layers tangle."""
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


def test_the_declared_rules_have_no_cycle():
    assert_no_cycle({name: allowed - {"*"} for name, allowed in declared_imports().items()})


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


# ---------------------------------------------------------------- the app (widgets)
# `widgets/__init__.py` names the window's shared modules (background tasks, theme, undoable
# commands...), which import no package of `widgets`; each package's `__init__` says "May import:"
# with the sibling packages and shared modules it uses. The window's other modules sit at the top
# and may import anything.

APP = Path(widgets.__file__).parent


def _declared_names(doc: str, label: str) -> set[str]:
    found = re.search(rf"{label}:(.*?)(?:\n\n|$)", doc, re.S)
    assert found, f"the docstring does not say '{label}:'"
    return set(re.findall(r"`(\w+)`", found.group(1)))


def _docstring(init: Path) -> str:
    return ast.get_docstring(ast.parse(init.read_text())) or ""


def shared_modules(root: Path) -> set[str]:
    """The window's modules that the packages may use (the app package's docstring)."""
    shared = _declared_names(_docstring(root / "__init__.py"), "Shared modules")
    missing = sorted(m for m in shared if not (root / f"{m}.py").is_file())
    assert not missing, f"declared shared modules that do not exist: {missing}"
    return shared


def app_declared_imports(root: Path) -> dict[str, set[str]]:
    """Each package's "May import:" names (sibling packages and shared modules)."""
    return {init.parent.name: _declared_names(_docstring(init), "May import")
            for init in sorted(root.glob("*/__init__.py"))}


def app_part_of(module: str) -> str:
    """'widgets.panels.loss' -> 'panels'; 'widgets.tasks' -> 'tasks' (a module of the window)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def app_violations(root: Path) -> list[str]:
    top = root.name
    packages = app_declared_imports(root)
    shared = shared_modules(root)
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("").parts
        source = ".".join(rel[:-1] if rel[-1] == "__init__" else rel)
        src = app_part_of(source)
        if src in packages:
            allowed = packages[src] | {src}
        elif src in shared:
            allowed = shared   # a shared module stays below every package
        else:
            continue   # the window: anything
        for target in imports_of(path, top):
            dst = app_part_of(target)
            if dst and dst not in allowed:
                what = "a shared module may import only the other shared modules" if src in shared \
                    else f"{src} may import only {sorted(allowed - {src})}"
                bad.append(f"{source} imports {target}: {what}")
    return bad


def test_every_app_module_imports_only_what_its_package_declares():
    assert app_violations(APP) == []


def test_the_app_rules_have_no_cycle():
    assert_no_cycle(app_declared_imports(APP))


def test_every_app_package_names_only_packages_and_shared_modules_that_exist():
    shared, packages = shared_modules(APP), app_declared_imports(APP)
    for name, allowed in packages.items():
        unknown = sorted(allowed - shared - set(packages))
        assert not unknown, f"widgets/{name} may import unknown parts: {unknown}"


def _fake_app(tmp_path: Path, panel_source: str, tasks_source: str = "") -> Path:
    root = tmp_path / "widgets"
    (root / "panels").mkdir(parents=True)
    (root / "babysit").mkdir()
    (root / "__init__.py").write_text('"""App.\n\nShared modules: `tasks`.\n"""\n')
    (root / "tasks.py").write_text(tasks_source)
    (root / "main_window.py").write_text("from widgets.babysit import cards\nfrom widgets.panels import loss\n")
    (root / "panels" / "__init__.py").write_text('"""Panels.\n\nMay import: `tasks`.\n"""\n')
    (root / "babysit" / "__init__.py").write_text('"""Babysitting.\n\nMay import: `panels`, `tasks`.\n"""\n')
    (root / "babysit" / "cards.py").write_text("from widgets.panels.loss import LossPanel\n")
    (root / "panels" / "loss.py").write_text(panel_source)
    return root


def test_the_app_check_catches_an_upward_import(tmp_path):
    """The app's checker can fail too: a panel importing a babysitting card, a shared module
    importing a panel; the window importing both is fine."""
    root = _fake_app(tmp_path, "from widgets.tasks import run\n\ndef f():\n    from widgets.babysit.cards import C\n",
                     tasks_source="import widgets.panels.loss\n")
    assert app_violations(root) == [
        "widgets.panels.loss imports widgets.babysit.cards: panels may import only ['tasks']",
        "widgets.tasks imports widgets.panels.loss: a shared module may import only the other shared modules"]
    clean = _fake_app(tmp_path / "clean", "from widgets.tasks import run\n")
    assert app_violations(clean) == []
