"""The `playground` command and `make run`: open the desktop app, after checking that this
machine can show a window; every other subcommand goes to the engine's CLI.

    playground [gui] [PRESET]          python -m widgets.launch [PRESET]
    playground train|validate|export|load|presets ...

Qt aborts the whole process (with a message that is easy to miss) when its X11 platform plugin
cannot load because a system library is missing. This module checks first, with no Qt imported,
and says which Debian/Ubuntu packages to install; with no display at all it says so and points
to the headless `playground train PRESET`. Either way it exits with status 2.
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

EXIT_NO_DISPLAY = 2

XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
}
"""The libraries Qt's xcb plugin needs that a minimal system often lacks, and their Debian packages."""

APT_LINE = "sudo apt-get install " + " ".join(XCB_LIBRARIES.values())


def _loadable(name: str, load: Callable[[str], object]) -> str | None:
    """None if the shared library loads, else the loader's message."""
    try:
        load(name)
    except OSError as e:
        return str(e)
    return None


def _xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")  # finds the package without importing Qt
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.exists() else None


def display_problem(env: Mapping[str, str] | None = None, platform: str | None = None,
                    load: Callable[[str], object] = ctypes.CDLL,
                    plugin: Callable[[], Path | None] = _xcb_plugin) -> str | None:
    """Why the window cannot be shown here, in words a person can act on; None if it can."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith("xcb"):
        return None  # offscreen, wayland, vnc…: the person chose; Qt reports its own problems
    if not env.get("DISPLAY"):
        if env.get("WAYLAND_DISPLAY") and not qpa:
            return None
        return ("NN Playground needs a display to show its window, and this session has none "
                "(DISPLAY is not set).\n"
                "  - On a desktop, run it from a terminal inside the graphical session.\n"
                "  - Over SSH, use `ssh -X`, or train without a window:\n"
                "      playground train PRESET        (for example: playground train xor_mlp)\n"
                "  - To run the app without a screen (tests, screenshots): QT_QPA_PLATFORM=offscreen")
    missing = [(lib, pkg) for lib, pkg in XCB_LIBRARIES.items() if _loadable(lib, load)]
    if missing:
        names = ", ".join(lib for lib, _ in missing)
        return (f"Qt cannot open a window on this X11 display: system libraries are missing ({names}).\n"
                f"Install them (Debian/Ubuntu):\n  {APT_LINE}\n"
                f"or train without a window: playground train PRESET")
    path = plugin()
    if path is not None:
        problem = _loadable(str(path), load)
        if problem:
            return (f"Qt's X11 platform plugin cannot load: {problem}\n"
                    f"Install the library it names; on Debian/Ubuntu the usual set is:\n  {APT_LINE}")
    return None


def launch(preset: str | None = None) -> int:
    """Check the display, then run the app (imported only now: Qt is never loaded before)."""
    problem = display_problem()
    if problem:
        print(f"playground: {problem}", file=sys.stderr)
        return EXIT_NO_DISPLAY
    from widgets.app import main as app_main
    return app_main([preset] if preset else [])


def _draw_lab_figure(name: str, result, path: Path) -> Path:
    """`playground lab NAME --png FILE`: the engine computes, the app draws (Qt loads only here)."""
    from widgets.labs.figures import save_png
    return save_png(name, result, path)


def main(argv: Sequence[str] | None = None) -> int:
    """`playground` with no command, `playground gui [PRESET]`, `playground PRESET.json` or
    `playground BUILTIN_NAME` opens the app; a command is the engine's command line (which never
    imports Qt); any other word is a mistyped command or preset, answered in one line (exit 2)."""
    args = list(sys.argv[1:] if argv is None else argv)
    from playground.command_line.main import COMMANDS
    if args and args[0] in COMMANDS or any(a in ("-h", "--help") for a in args[:1]):
        from playground.command_line.main import main as cli_main
        if args[0] == "lab":
            from playground.labs.commands import set_figure_renderer
            set_figure_renderer(_draw_lab_figure)
        return cli_main(args)
    if args and args[0] == "gui":
        args = args[1:]
    elif args and not args[0].startswith("-"):
        from playground.command_line.main import EXIT_BAD_INPUT, is_preset_word, unknown_word_message
        if not is_preset_word(args[0]):  # `playground chekc`: a mistyped command, not a preset to open
            print(f"playground: error: {unknown_word_message(args[0])}", file=sys.stderr)
            return EXIT_BAD_INPUT
    parser = argparse.ArgumentParser(prog="playground gui", description="Open NN Playground.")
    parser.add_argument("preset", nargs="?", help="a preset file or a built-in name such as xor_mlp")
    return launch(parser.parse_args(args).preset)


if __name__ == "__main__":
    sys.exit(main())
