"""Installed, not only cloned: the wheel holds the whole app (every preset, lesson and resource
beside the code), and the optional Linux menu entry is written where menus look."""
import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "playground", "widgets", "presets", "resources")


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the project (so no build output lands in the checkout), built with
    the test environment's setuptools and no network (about 2 s)."""
    source = tmp_path / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    [wheel] = out.glob("nn_playground-*.whl")
    return wheel


def test_the_wheel_holds_every_builtin_preset_lesson_resource_and_module(tmp_path):
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        names = set(wheel.namelist())
    # The files on disk are the oracle: each one must be in the wheel, where builtin_data reads it.
    expected = {f"playground/_presets/{p.name}" for p in (ROOT / "presets").glob("*.json")}
    expected |= {f"playground/_presets/lessons/{p.name}" for p in (ROOT / "presets" / "lessons").glob("*.md")}
    expected |= {f"playground/_resources/{p.name}" for p in (ROOT / "resources").iterdir()
                 if p.is_file() and p.suffix != ".pyc"}
    expected |= {p.relative_to(ROOT).as_posix() for package in ("playground", "widgets")
                 for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts}
    assert len([n for n in expected if n.endswith(".json")]) >= 40  # the presets were found at all
    assert {"playground/_resources/digits.npz", "playground/_resources/style.qss",
            "playground/_resources/icon.svg", "playground/_presets/lessons/xor_mlp.md"} <= expected
    assert sorted(expected - names) == []
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in _metadata(tmp_path)  # the SPDX licence, no deprecated table


def _metadata(tmp_path: Path) -> str:
    [wheel] = (tmp_path / "dist").glob("nn_playground-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name).decode("utf-8")


def test_install_desktop_writes_a_menu_entry_and_icon_in_the_xdg_data_folder(private_home):
    done = subprocess.run([sys.executable, "-m", "playground", "install-desktop"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = private_home / "data"  # XDG_DATA_HOME of this test (conftest's private_home)
    entry = data / "applications" / "nn-playground.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "nn-playground.svg"
    assert icon.read_bytes() == (ROOT / "resources" / "icon.svg").read_bytes()
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read_string(entry.read_text(encoding="utf-8"))
    section = parser["Desktop Entry"]
    assert section["Type"] == "Application" and section["Name"] == "NN Playground"
    assert section["Icon"] == str(icon)
    assert section["Exec"] == f'"{sys.executable}" -m widgets.launch %f'
    assert str(entry) in done.stdout and str(icon) in done.stdout
