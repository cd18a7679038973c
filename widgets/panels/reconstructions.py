"""Autoencoders: inputs beside their reconstructions, the latent code, and a VAE's latent walk.

The image rows share one grey scale (that of the clean inputs), so a washed-out or too-dark
reconstruction looks it. The latent scatter colours validation samples by their label: classes
that separate in the code were learnt without ever seeing a label.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from playground.training.events import ReconstructionEvent
from playground.training.probes import pca_project
from widgets.panels.base import (
    FOREGROUND, Panel, RowLegend, as_images, colour, graphics_layout, grey_lut, has_finite, image_item,
    reset_stretch, style_plot, tile)


def comparison_grid(e: ReconstructionEvent) -> tuple[np.ndarray, list[str]]:
    """Rows of pictures: the inputs as fed, the clean targets when they differ (denoising),
    then the reconstructions; one column per sample."""
    inputs, targets, outputs = as_images(e.inputs), as_images(e.targets), as_images(e.outputs)
    rows, names = [inputs], ["input"]
    if not np.allclose(inputs, targets):
        rows.append(targets)
        names = ["corrupted input", "clean"]
    rows.append(outputs.reshape(inputs.shape))
    names.append("reconstruction")
    stacked = np.concatenate(rows, axis=0)
    return tile(stacked, cols=len(inputs), normalize=False), names


class ReconstructionsPanel(Panel):
    snapshot_event = ReconstructionEvent
    title = "Reconstructions"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_control(QLabel("Latent plot:", self))
        self.projection_box = QComboBox(self)
        self.projection_box.addItems(["First two dimensions", "PCA of the code"])
        self.projection_box.setToolTip("How a code of more than two numbers is shown in 2-D")
        self.projection_box.currentIndexChanged.connect(self._projection_changed)
        self.add_control(self.projection_box)
        self.add_canvas(graphics_layout(self))

        self.images_plot = pg.PlotItem()
        self.images_plot.setTitle("Inputs / reconstructions", color=FOREGROUND, size="8pt")
        self.images_plot.hideAxis("bottom")
        self.images_plot.hideAxis("left")
        self.images_plot.setAspectLocked(True)
        self.images_plot.invertY(True)
        self.images = image_item()
        self.images.setLookupTable(grey_lut())
        self.images_plot.addItem(self.images)

        self.latent_plot = style_plot(pg.PlotItem(), "Latent code of validation samples", "z₁", "z₀")
        self.latent_plot.setTitle("Latent code of validation samples", color=FOREGROUND, size="8pt")
        self.scatter = pg.ScatterPlotItem(size=5, pen=None)
        self.latent_plot.addItem(self.scatter)
        self.latent_legend = RowLegend(5)   # in its own row above the scatter: it covers no point
        self.latent_plot.legend = self.latent_legend
        self.latent_box = pg.GraphicsLayout()
        self.latent_box.addItem(self.latent_legend, row=0, col=0)
        self.latent_box.addItem(self.latent_plot, row=1, col=0)
        self.latent_box.layout.setRowStretchFactor(0, 0)
        self.latent_box.layout.setRowStretchFactor(1, 1)
        self._legend_classes: list[int] = []

        self.walk_plot = pg.PlotItem()
        self.walk_plot.setTitle("VAE: decoded along a line in latent space", color=FOREGROUND, size="8pt")
        self.walk_plot.hideAxis("bottom")
        self.walk_plot.hideAxis("left")
        self.walk_plot.setAspectLocked(True)
        self.walk_plot.invertY(True)
        self.walk = image_item()
        self.walk.setLookupTable(grey_lut())
        self.walk_plot.addItem(self.walk)
        self.has_walk = False
        self.last: ReconstructionEvent | None = None
        self.rearrange(False)
        self.row_names: list[str] = []
        self.set_idle_hint("Autoencoders only: fixed validation images and what the network makes of them.")

    def arrange(self, wide: bool) -> None:
        """Images, latent code and walk in a row in a wide dock; images above the others in a
        tall one. The walk is there only for a VAE; the latent legend has a row of its own
        above the scatter (`latent_box`)."""
        ci = self.canvas.ci
        for item in (self.images_plot, self.latent_box, self.walk_plot):
            if item in ci.items:
                ci.removeItem(item)
        reset_stretch(ci)
        self.walk_plot.setVisible(self.has_walk)
        if wide:
            ci.addItem(self.images_plot, row=0, col=0)
            ci.addItem(self.latent_box, row=0, col=1)
            ci.layout.setColumnStretchFactor(0, 3)
            ci.layout.setColumnStretchFactor(1, 2)
            if self.has_walk:
                ci.addItem(self.walk_plot, row=0, col=2)
                ci.layout.setColumnStretchFactor(2, 3)
        else:
            ci.addItem(self.images_plot, row=0, col=0, colspan=2 if self.has_walk else 1)
            ci.addItem(self.latent_box, row=1, col=0)
            if self.has_walk:
                ci.addItem(self.walk_plot, row=1, col=1)
            ci.layout.setRowStretchFactor(0, 2)
            ci.layout.setRowStretchFactor(1, 3)

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        grid, self.row_names = comparison_grid(e)
        clean = np.asarray(e.targets, dtype=np.float32)
        lo, hi = (float(np.nanmin(clean)), float(np.nanmax(clean))) if has_finite(clean) else (0.0, 1.0)
        self.images.setImage(grid, levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
        self.images_plot.setTitle("Rows: " + " / ".join(self.row_names) + f"  (step {e.step})",
                                  color=FOREGROUND, size="8pt")
        self._draw_latent()
        if e.latent_walk is not None and len(e.latent_walk):
            walk = as_images(e.latent_walk)
            cols = len(walk) if self.wide else (len(walk) + 1) // 2   # two rows in a narrow column: larger
            self.walk.setImage(tile(walk, cols=cols, normalize=False),
                               levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
            if not self.has_walk:
                self.has_walk = True
                self.rearrange()
        self.set_hint(f"Step {e.step}: reconstructions sharpen as the network learns; the latent plot shows "
                      "what the code keeps.")

    def projected_codes(self) -> np.ndarray | None:
        e = self.last
        if e is None or e.codes is None or len(e.codes) == 0:
            return None
        codes = np.asarray(e.codes, dtype=np.float64).reshape(len(e.codes), -1)
        if codes.shape[1] == 1:
            return np.column_stack([codes[:, 0], np.zeros(len(codes))])
        if self.projection_box.currentIndex() == 1:
            return pca_project(codes, 2)
        return codes[:, :2]

    def _draw_latent(self) -> None:
        xy = self.projected_codes()
        if xy is None or not has_finite(xy):   # (all-NaN codes of a diverged network: nothing to draw)
            self.scatter.clear()
            return
        labels = self.last.code_labels
        if labels is not None and len(labels) == len(xy):
            labels = np.asarray(labels).astype(int)
            brushes = [pg.mkBrush(colour(k)) for k in range(max(int(labels.max()) + 1, 1))]
            self.scatter.setData(pos=xy, brush=[brushes[k] for k in labels])
            self._legend_for(sorted(set(labels.tolist())))
        else:
            self.scatter.setData(pos=xy, brush=pg.mkBrush("#1f77b4"))
        pca = self.projection_box.currentIndex() == 1 and self.last.codes.shape[-1] > 2
        self.latent_plot.setLabel("bottom", "PC 1" if pca else "z₀", color=FOREGROUND)
        self.latent_plot.setLabel("left", "PC 2" if pca else "z₁", color=FOREGROUND)

    def _legend_for(self, classes: list[int]) -> None:
        if classes == self._legend_classes or len(classes) > 20:
            return
        self.latent_legend.clear()
        for k in classes:
            self.latent_legend.addItem(pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush(colour(k))), str(k))
        self._legend_classes = classes

    def _projection_changed(self, _index: int) -> None:
        if self.last is not None:
            self._draw_latent()

    def clear(self) -> None:
        super().clear()
        self.last = None
        self.images.clear()
        self.walk.clear()
        self.scatter.clear()
        if self.has_walk:
            self.has_walk = False
            self.rearrange()
        self.latent_legend.clear()
        self._legend_classes = []

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        xy = self.projected_codes()
        if xy is None:
            return [], []
        labels = self.last.code_labels
        return (["x", "y", "label"],
                [[float(a), float(b), int(labels[k]) if labels is not None else ""] for k, (a, b) in enumerate(xy)])
