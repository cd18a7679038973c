"""The labs window: one tab per lab, built when first shown (each computes on opening)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from widgets.labs.activations import ActivationGalleryPage
from widgets.labs.autodiff import AutodiffLabPage
from widgets.labs.backprop import BackpropPage
from widgets.labs.clustering import ClusteringLabPage
from widgets.labs.conv_size import ConvSizeLabPage
from widgets.labs.generative import GenerativeLabPage
from widgets.labs.grid_random import GridRandomLabPage
from widgets.labs.hessian import HessianLabPage
from widgets.labs.init_explorer import InitExplorerPage
from widgets.labs.optimizers import OptimizerRacePage
from widgets.labs.softmax import SoftmaxLabPage

PAGES: dict[str, Callable[[], QWidget]] = {
    "activations": ActivationGalleryPage,
    "optimizers": OptimizerRacePage,
    "init": InitExplorerPage,
    "backprop": BackpropPage,
    "autodiff": AutodiffLabPage,
    "cluster": ClusteringLabPage,
    "generative": GenerativeLabPage,
    "grid-random": GridRandomLabPage,
    "softmax": SoftmaxLabPage,
    "conv-size": ConvSizeLabPage,
    "hessian": HessianLabPage,
}
TITLES = {name: page.title for name, page in PAGES.items()}
"""Each lab's title: its page's own (the course map names the labs by it)."""
TABS = {name: page.tab or page.title for name, page in PAGES.items()}
"""Each lab's tab: its page's short name; the whole title is the tab's tooltip."""


class LabsWindow(QMainWindow):
    def __init__(self, parent: QWidget | None = None, first: str = "activations") -> None:
        super().__init__(parent)
        self.setWindowTitle("NN Playground — Labs")
        self.tabs = QTabWidget(self)
        self.setCentralWidget(self.tabs)
        self.pages: dict[str, QWidget] = {}
        self.model_units: list = []
        for name in PAGES:
            holder = QWidget()
            holder.setObjectName(name)
            self.tabs.addTab(holder, TABS[name])
            self.tabs.setTabToolTip(self.tabs.count() - 1, TITLES[name])
        self.tabs.currentChanged.connect(self._build_current)
        self.resize(1300, 760)
        self.show_lab(first)

    def set_model_units(self, units: list) -> None:
        """The running model's activation layers and their typical inputs, for the gallery."""
        self.model_units = units
        page = self.pages.get("activations")
        if page is not None:
            page.set_model_units(units)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Pages that compute off the GUI thread wait for it first."""
        for page in self.pages.values():
            shutdown = getattr(page, "shutdown", None)
            if shutdown is not None:
                shutdown()
        super().closeEvent(event)

    def show_lab(self, name: str) -> QWidget:
        index = list(PAGES).index(name)
        self.tabs.setCurrentIndex(index)
        return self._build_current(index)

    def _build_current(self, index: int) -> QWidget:
        name = list(PAGES)[index]
        if name not in self.pages:
            page = PAGES[name]()
            self.tabs.blockSignals(True)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, page, TABS[name])
            self.tabs.setTabToolTip(index, TITLES[name])
            self.tabs.setCurrentIndex(index)
            self.tabs.blockSignals(False)
            self.pages[name] = page
            if name == "activations" and self.model_units:
                page.set_model_units(self.model_units)
        return self.pages[name]
