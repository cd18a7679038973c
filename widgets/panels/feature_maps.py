"""Feature maps of a conv layer for one probe image, and the first conv layer's filters.

Each map is scaled to its own range (a faint map is as readable as a strong one); the grids are
one image each, so a layer with 64 maps is still one setImage.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

from playground.training.events import FeatureMapEvent
from widgets.panels.base import FOREGROUND, Panel, graphics_layout, grey_lut, has_finite, image_item, reset_stretch, tile

MAX_MAPS = 64
MAX_IN_CHANNELS = 8


def filter_grid(filters: np.ndarray) -> np.ndarray:
    """(C_out, C_in, k, k) filters as a grid: one row per filter, one column per input channel."""
    c_out, c_in = filters.shape[:2]
    c_in = min(c_in, MAX_IN_CHANNELS)
    f = filters[:MAX_MAPS, :c_in]
    if c_in == 1:
        return tile(f[:, 0])
    return tile(f.reshape(-1, *f.shape[2:]), cols=c_in)


def input_title(e: FeatureMapEvent) -> str:
    """The probe input's caption: its label and, beside it, what the network predicts."""
    parts = []
    if e.label is not None:
        parts.append(f"label {e.label}")
    if e.predicted is not None:
        right = "✓" if e.label is None or e.predicted == e.label else "✗"
        parts.append(f"predicted {e.predicted} {right}" if e.label is not None else f"predicted {e.predicted}")
    return "Input" + (f" ({', '.join(parts)})" if parts else "")


class FeatureMapsPanel(Panel):
    snapshot_event = FeatureMapEvent
    title = "Feature maps"
    probe_image_changed = Signal(int)
    """The person picked another validation image (the controller tells the engine)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_control(QLabel("Input #", self))
        self.input_box = QSpinBox(self)
        self.input_box.setRange(0, 255)
        self.input_box.setToolTip("Which validation image to look at (shown from the next probe step)")
        self.input_box.valueChanged.connect(self.probe_image_changed)
        self.add_control(self.input_box)
        self.add_control(QLabel("Layer:", self))
        self.layer_box = QComboBox(self)
        self.layer_box.setToolTip("Which layer's feature maps to show")
        self.layer_box.setMinimumContentsLength(8)
        self.layer_box.currentTextChanged.connect(self._layer_changed)
        self.add_control(self.layer_box)
        self.add_canvas(graphics_layout(self))

        def image_box(title: str) -> tuple[pg.PlotItem, pg.ImageItem]:
            plot = pg.PlotItem()
            plot.setTitle(title, color=FOREGROUND, size="8pt")
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setAspectLocked(True)
            plot.invertY(True)
            img = image_item()
            img.setLookupTable(grey_lut())
            plot.addItem(img)
            return plot, img

        self.input_plot, self.input_image = image_box("Input")
        self.maps_plot, self.maps_image = image_box("Feature maps")
        self.filters_plot, self.filters_image = image_box("First-layer filters")
        self.last: FeatureMapEvent | None = None
        self.rearrange(False)
        self.set_idle_hint("Conv networks only: what each filter responds to in one probe image.")

    def arrange(self, wide: bool) -> None:
        """Input, filters and maps in a row in a wide dock; maps beside the other two in a tall one."""
        ci = self.canvas.ci
        for plot in (self.input_plot, self.maps_plot, self.filters_plot):
            if plot in ci.items:
                ci.removeItem(plot)
        reset_stretch(ci)
        if wide:
            ci.addItem(self.input_plot, row=0, col=0)
            ci.addItem(self.filters_plot, row=0, col=1)
            ci.addItem(self.maps_plot, row=0, col=2)
            ci.layout.setColumnStretchFactor(0, 1)
            ci.layout.setColumnStretchFactor(1, 1)
            ci.layout.setColumnStretchFactor(2, 3)
        else:
            ci.addItem(self.input_plot, row=0, col=0)
            ci.addItem(self.filters_plot, row=1, col=0)
            ci.addItem(self.maps_plot, row=0, col=1, rowspan=2)
            ci.layout.setColumnStretchFactor(0, 1)
            ci.layout.setColumnStretchFactor(1, 3)

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        names = list(e.maps)
        if names != [self.layer_box.itemText(k) for k in range(self.layer_box.count())]:
            keep = self.layer_box.currentText()
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(names)
            if keep in names:
                self.layer_box.setCurrentText(keep)
            self.layer_box.blockSignals(False)
        self._draw()

    def _layer_changed(self, _name: str) -> None:
        if self.last is not None:
            self._draw()

    def _draw(self) -> None:
        e = self.last
        img = np.asarray(e.image, dtype=np.float32)
        img = img[0] if img.ndim == 3 and img.shape[0] == 1 else (img.mean(axis=0) if img.ndim == 3 else img)
        if has_finite(img):
            lo, hi = float(np.nanmin(img)), float(np.nanmax(img))
            self.input_image.setImage(img, levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
        else:
            self.input_image.clear()
        self.input_plot.setTitle(input_title(e), color=FOREGROUND, size="8pt")
        layer = self.layer_box.currentText()
        maps = e.maps.get(layer)
        if maps is not None:
            maps = np.asarray(maps)
            maps = maps[:, None] if maps.ndim == 2 else maps
            grid = tile(maps[:MAX_MAPS])
            if has_finite(grid):
                self.maps_image.setImage(grid, levels=(0.0, 1.0), autoLevels=False)
            else:
                self.maps_image.clear()
            more = f", first {MAX_MAPS}" if len(maps) > MAX_MAPS else ""
            self.maps_plot.setTitle(f"{layer}: {len(maps)} maps of {maps.shape[1]}×{maps.shape[2]}{more} "
                                    f"(step {e.step})", color=FOREGROUND, size="8pt")
        if e.filters is not None:
            grid = filter_grid(np.asarray(e.filters))
            if has_finite(grid):
                self.filters_image.setImage(grid, levels=(0.0, 1.0), autoLevels=False)
            else:
                self.filters_image.clear()
            f = e.filters
            self.filters_plot.setTitle(f"{e.filters_node or 'first conv'} filters "
                                       f"({f.shape[0]}×{f.shape[1]}, {f.shape[2]}×{f.shape[3]})",
                                       color=FOREGROUND, size="8pt")
        self.set_hint("Each map scaled to its own range: bright = strong response. Pick the input and the "
                      "layer at the right of this line.")

    def clear(self) -> None:
        super().clear()
        self.last = None
        for img in (self.input_image, self.maps_image, self.filters_image):
            img.clear()
        self.layer_box.clear()
        for plot, title in ((self.input_plot, "Input"), (self.maps_plot, "Feature maps"),
                            (self.filters_plot, "First-layer filters")):
            plot.setTitle(title, color=FOREGROUND, size="8pt")

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        e = self.last
        layer = self.layer_box.currentText()
        if e is None or layer not in e.maps:
            return [], []
        maps = np.asarray(e.maps[layer])
        rows = [[layer, c, y, x, float(maps[c, y, x])]
                for c in range(maps.shape[0]) for y in range(maps.shape[1]) for x in range(maps.shape[2])]
        return ["layer", "channel", "row", "col", "value"], rows
