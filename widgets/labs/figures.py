"""`playground lab NAME --png FILE`: a lab page drawn offscreen from results the engine already
computed, saved as a PNG for a slide."""
from __future__ import annotations

import os
from pathlib import Path

SIZE = (1366, 768)


def save_png(lab: str, result: object, path: Path) -> Path:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    page = build_page(lab, result)
    page.resize(*SIZE)
    page.show()
    for _ in range(5):
        app.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not page.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    page.close()
    return path


def build_page(lab: str, result: object):
    if lab == "activations":
        from widgets.labs.activations import ActivationGalleryPage
        curves, at = result
        return ActivationGalleryPage(curves=curves, typical_input=at)
    if lab == "optimizers":
        from widgets.labs.optimizers import OptimizerRacePage
        surface, paths, best = result
        lrs = {m: p.lr for m, p in paths.items()}
        steps = max((len(p.grads) for p in paths.values()), default=300)
        page = OptimizerRacePage(surface=surface.name, condition=surface.condition or 10.0, steps=steps, lrs=lrs)
        if best is not None:
            page.set_best(best)
        return page
    if lab == "init":
        from widgets.labs.init_explorer import InitExplorerPage
        return InitExplorerPage(report=result)
    if lab == "backprop":
        from widgets.labs.backprop import BackpropPage
        return BackpropPage(step=result)
    if lab == "cluster":
        from widgets.labs.clustering import ClusteringLabPage
        return ClusteringLabPage(lab=result)
    if lab == "generative":
        from widgets.labs.generative import GenerativeLabPage
        return GenerativeLabPage(lab=result)
    if lab == "grid-random":
        from widgets.labs.grid_random import GridRandomLabPage
        return GridRandomLabPage(lab=result)
    if lab == "softmax":
        from widgets.labs.softmax import SoftmaxLabPage
        return SoftmaxLabPage(lab=result)
    if lab == "conv-size":
        from widgets.labs.conv_size import ConvSizeLabPage
        size, preset, _layers = result
        return ConvSizeLabPage(size=size, preset=preset)
    if lab == "hessian":
        from widgets.labs.hessian import HessianLabPage
        return HessianLabPage(point=result)
    if lab == "autodiff":
        from widgets.labs.autodiff import AutodiffLabPage
        return AutodiffLabPage(lab=result)
    raise ValueError(f"unknown lab {lab!r}")

