"""Colours of the app: a light and a dark theme for the window chrome and the canvas.

The style sheet in `resources/style.qss` names colours as `@token`; `style_sheet(theme)` fills
them in. The canvas reads its colours from the same `Theme`, so one switch restyles both.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from playground.core.builtin_data import read_resource_text


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    canvas: str
    grid: str
    node: str
    node_text: str
    node_border: str
    edge: str
    selection: str
    error: str
    error_fill: str
    shape: str


LIGHT = Theme(
    name="light", window="#eef0f3", base="#ffffff", alt_base="#f6f7f9", text="#1f2328",
    muted="#5f6b7a", border="#c9ced6", accent="#2f6fdf", accent_text="#ffffff",
    canvas="#f8f9fb", grid="#dde1e7", node="#ffffff", node_text="#1f2328", node_border="#aab2bd",
    edge="#6b7684", selection="#2f6fdf", error="#d1242f", error_fill="#fff0f0", shape="#1a7f37",
)

DARK = Theme(
    name="dark", window="#25282d", base="#1c1e22", alt_base="#2b2f35", text="#e6e8eb",
    muted="#9aa4b1", border="#454b54", accent="#4c8dff", accent_text="#ffffff",
    canvas="#1e2125", grid="#30353c", node="#2d3239", node_text="#e6e8eb", node_border="#59616c",
    edge="#9aa4b1", selection="#4c8dff", error="#ff6b6b", error_fill="#4a2326", shape="#5fd37a",
)

THEMES = {"light": LIGHT, "dark": DARK}

GROUP_COLOURS = {
    "Core": "#4a6fa5",
    "Convolution": "#1d9a8a",
    "Recurrent": "#8a5cc2",
    "Activation": "#e08a1e",
    "Normalization & Regularization": "#4f9d3a",
    "Merge": "#9c6b4a",
    "Autoencoder": "#c9508a",
}
"""The colour strip on a node and the swatch in the palette, one per catalogue group."""


def group_colour(group: str) -> str:
    return GROUP_COLOURS.get(group, "#7f7f7f")


def theme(name: str) -> Theme:
    return THEMES.get(name, LIGHT)


def style_sheet(t: Theme) -> str:
    """The application style sheet with the theme's colours filled in."""
    text = read_resource_text("style.qss")
    # Longest names first, so `@alt_base` is not read as `@alt` + `_base`.
    for f in sorted(fields(Theme), key=lambda f: -len(f.name)):
        text = text.replace("@" + f.name, getattr(t, f.name))
    return text
