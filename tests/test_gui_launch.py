"""`make run` (python -m widgets.launch): a clear message instead of a Qt abort when the
machine cannot show a window, and no Qt loaded before it is needed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from widgets import launch

ROOT = Path(__file__).resolve().parent.parent


def loads_all(name: str) -> None:
    return None


def test_launch_imports_no_qt_and_no_torch():
    code = ("import sys, widgets.launch; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'torch', 'pyqtgraph')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_no_display_says_so_and_points_to_headless_training():
    problem = launch.display_problem(env={}, platform="linux", load=loads_all)
    assert "no" in problem and "DISPLAY" in problem
    assert "playground train PRESET" in problem


def test_missing_x11_libraries_name_the_debian_packages():
    def load(name: str) -> None:
        if name in ("libxcb-cursor.so.0", "libEGL.so.1"):
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")

    problem = launch.display_problem(env={"DISPLAY": ":0"}, platform="linux", load=load, plugin=lambda: None)
    assert "libxcb-cursor.so.0" in problem and "libEGL.so.1" in problem
    assert ("apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
            "libxcb-render-util0 libxkbcommon-x11-0 libegl1") in problem


def test_a_plugin_that_will_not_load_is_reported_with_the_loader_message(tmp_path):
    plugin = tmp_path / "libqxcb.so"

    def load(name: str) -> None:
        if name == str(plugin):
            raise OSError("libxcb-xinput.so.0: cannot open shared object file")

    problem = launch.display_problem(env={"DISPLAY": ":0"}, platform="linux", load=load, plugin=lambda: plugin)
    assert "libxcb-xinput.so.0" in problem


def test_fine_setups_pass():
    assert launch.display_problem(env={"DISPLAY": ":0"}, platform="linux", load=loads_all,
                                  plugin=lambda: None) is None
    assert launch.display_problem(env={"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert launch.display_problem(env={"WAYLAND_DISPLAY": "wayland-0"}, platform="linux") is None
    assert launch.display_problem(env={}, platform="darwin") is None


def test_launch_exits_2_with_the_message_when_there_is_no_display(capsys, monkeypatch):
    monkeypatch.setattr(launch, "display_problem", lambda: "no display here")
    assert launch.launch("xor_mlp") == 2
    assert "no display here" in capsys.readouterr().err


def test_the_app_starts_offscreen_and_quits_cleanly(tmp_path):
    """The real entry point, in its own process: window shown, preset open, clean exit. When
    `main` returns, the window is already destroyed and Python's garbage collection, Ctrl+C
    handler and exception hook are its own again: nothing of the window is left for the
    interpreter's exit to free after Qt has gone (which crashed there, now and then, on a
    loaded machine)."""
    code = (
        "import gc, signal, sys\n"
        "import shiboken6\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from widgets.app import main\n"
        "found = signal.getsignal(signal.SIGINT)\n"   # Python's default, or SIG_IGN where a shell started us in the background
        "shown = []\n"
        "def ready(w):\n"
        "    shown.append(w)\n"
        "    print('READY', w.doc.preset.name, len(w.scene.nodes), w.doc.report.ok, flush=True)\n"
        "    QTimer.singleShot(0, w.close)\n"
        "code = main(['xor_mlp'], on_ready=ready)\n"
        "print('AFTER', shiboken6.isValid(shown[0]), gc.isenabled(),\n"
        "      signal.getsignal(signal.SIGINT) is found, sys.excepthook is sys.__excepthook__,\n"
        "      flush=True)\n"
        "sys.exit(code)\n")
    env = {"QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "READY xor_mlp 4 True" in out.stdout
    assert "AFTER False True True True" in out.stdout   # and Ctrl+C and the exception hook are as main found them


def test_the_window_is_built_and_shown_before_torch_or_pyqtgraph_load(tmp_path):
    """Start-up is fast because the heavy imports wait until the window is on screen."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QSettings\n"
        "from widgets.app import make_app\n"
        "from widgets.main_window import MainWindow\n"
        "app = make_app()\n"
        f"w = MainWindow(QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat), {str(tmp_path)!r})\n"
        "w.show()\n"
        "print(sorted(m for m in ('torch', 'pyqtgraph', 'numpy') if m in sys.modules))\n")
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_playground_command_opens_the_app_or_hands_over_to_the_engine(capsys, monkeypatch):
    opened = []
    monkeypatch.setattr(launch, "launch", lambda preset=None: opened.append(preset) or 0)
    assert launch.main([]) == 0 and launch.main(["gui", "xor_mlp"]) == 0 and launch.main(["my.json"]) == 0
    assert opened == [None, "xor_mlp", "my.json"]
    assert launch.main(["presets"]) == 0  # an engine command: no window
    assert "xor_mlp" in capsys.readouterr().out and len(opened) == 3
