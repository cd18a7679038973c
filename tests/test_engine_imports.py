"""The engine is usable where Qt is not installed: no playground module may reach Qt."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = r"""
import importlib.abc, sys, pkgutil, importlib
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'widgets', 'shiboken6'):
            raise ImportError(f'blocked for this test: {name}')
        return None
sys.meta_path.insert(0, Block())
import playground
names = [m.name for m in pkgutil.walk_packages(playground.__path__, 'playground.')]
for name in names:
    if name.endswith('__main__'):
        continue
    importlib.import_module(name)
bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'widgets')]
assert not bad, bad
print(len(names), 'modules imported')
"""


def test_every_engine_module_imports_without_qt():
    done = subprocess.run([sys.executable, "-c", BLOCKER], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    count = int(done.stdout.split()[0])
    assert count >= 15


def test_blocker_really_blocks():
    """The check above would pass vacuously if the blocker did not work."""
    code = BLOCKER.split("import playground")[0] + "import PySide6\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "blocked for this test" in done.stderr
