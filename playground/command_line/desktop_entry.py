"""`playground install-desktop`: put NN Playground in a Linux desktop's applications menu.

Writes a freedesktop.org `.desktop` file and the app's icon into the per-user data folder
(`$XDG_DATA_HOME`, usually ~/.local/share): `applications/nn-playground.desktop` and
`icons/hicolor/scalable/apps/nn-playground.svg`. The menu entry starts this installation's
Python with `-m widgets.launch`, so it works from a virtual environment or a pipx install that
is not on PATH. Optional: nothing else needs it, and running it again rewrites the same files.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APP_ID = "nn-playground"
ICON_RESOURCE = "icon.svg"


@dataclass(frozen=True)
class DesktopFiles:
    entry: Path
    icon: Path


def data_home() -> Path:
    """The per-user data folder of the XDG spec (what menus read), via platformdirs."""
    from platformdirs import user_data_dir
    return Path(user_data_dir())


def _quoted(arg: str) -> str:
    """An Exec argument quoted as the Desktop Entry spec asks (a path may hold spaces)."""
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'.replace("%", "%%")


def desktop_entry(python: str, icon: Path) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=NN Playground",
        "GenericName=Neural network playground",
        "Comment=Build neural networks by drag and drop, train them live, look inside, export them",
        f"Exec={_quoted(python)} -m widgets.launch %f",
        f"Icon={icon}",
        "Terminal=false",
        "Categories=Education;Science;ArtificialIntelligence;",
        "Keywords=neural network;deep learning;PyTorch;",
        "",
    ])


def install_desktop(home: Path | None = None, python: str | None = None) -> DesktopFiles:
    """Write the menu entry and the icon under `home` (default: the XDG data folder)."""
    from playground.core.builtin_data import resource
    from playground.core.files import atomic_write
    home = data_home() if home is None else home
    icon = home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    entry = home / "applications" / f"{APP_ID}.desktop"
    for folder in (icon.parent, entry.parent):
        folder.mkdir(parents=True, exist_ok=True)
    atomic_write(icon, resource(ICON_RESOURCE).read_bytes())
    atomic_write(entry, desktop_entry(python or sys.executable, icon).encode("utf-8"))
    return DesktopFiles(entry, icon)


def cmd_install_desktop(args: argparse.Namespace) -> int:
    if not sys.platform.startswith("linux") and not args.force:
        print("playground: error: install-desktop writes a Linux (freedesktop.org) menu entry; on "
              f"{sys.platform} start the app with `playground` (or pass --force)", file=sys.stderr)
        return 2
    written = install_desktop()
    print(f"menu entry: {written.entry}\nicon:       {written.icon}")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("install-desktop")
    p.add_argument("--force", action="store_true", help="write the files even on a system that is not Linux")
    p.set_defaults(func=cmd_install_desktop)
