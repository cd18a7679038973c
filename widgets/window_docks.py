"""The main window's docks: the side docks, the plot panels in their groups (one group's tabs
shown at a time, the Diagnoses beside the Inspector), and the layout a person chose, saved and
restored. A mixin of `MainWindow`, which owns the widgets these methods arrange."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QTabBar, QWidget

from widgets.panel_groups import DIAGNOSES, PanelGroupBar, panel_group_of


STATE_VERSION = 4
"""Bump when the dock layout changes, so an old saved layout is not applied to new docks."""


class WindowDocks:
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _panel_dock(self, title: str, widget: QWidget) -> None:
        """Plots go to the bottom, tabbed, one group shown at a time (so every tab fits); the
        Diagnoses cards go beside the Inspector, where their count is always in sight."""
        slug = "".join(c for c in title.title() if c.isalnum())
        dock = QDockWidget(title.replace("&", "&&"), self)  # "Loss & accuracy": not a mnemonic
        dock.setObjectName(f"panel{slug}Dock")
        dock.setWidget(widget)
        if title == DIAGNOSES:
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.tabifyDockWidget(self.inspector_dock, dock)
            self.inspector_dock.raise_()
            self.panels_menu.addAction(dock.toggleViewAction())
        else:
            plots = [d for t, d in self.panel_docks.items() if t != DIAGNOSES]
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            if plots:
                self.tabifyDockWidget(plots[0], dock)
            bar = PanelGroupBar(self.show_panel_group)
            bar.set_group(self.panel_group)
            dock.setTitleBarWidget(bar)
            show = self.training_panels_menu.addAction(title.replace("&", "&&"), lambda t=title: self.show_panel(t))
            show.setStatusTip(f"Show the {title} panel ({panel_group_of(title)})")
        self.panel_docks[title] = dock

    def _panel_docks_added(self) -> None:
        """Every panel has its dock: size them, keep this as the default layout, then restore
        the one the person left, once (restoring after each dock, with some still missing,
        crashed Qt in restoreState for a window last closed maximised)."""
        self.fit_docks()
        self._default_state = self.saveState(STATE_VERSION)
        self._restore_layout()

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not getattr(self, "_geometry_restored", False):
            self.restoreGeometry(geometry)
            self._geometry_restored = True
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state, STATE_VERSION)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, STATE_VERSION)
        for dock in (self.palette_dock, self.inspector_dock, self.data_dock, self.training_dock, self.lesson_dock):
            dock.show()
        self.fit_docks()
        self._show_relevant_panels()

    def fit_docks(self) -> None:
        """Share the window between canvas, side docks and plots by its size, so that 1366×768
        keeps a canvas tall enough for a small network and the plots readable, and 1920×1080
        gives both more room rather than empty margins."""
        w, h = max(self.width(), 800), max(self.height(), 600)
        self.resizeDocks([self.palette_dock, self.inspector_dock],
                         [int(min(240, max(170, 0.13 * w))), int(min(460, max(300, 0.24 * w)))],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.inspector_dock, self.data_dock], [int(0.45 * h), int(0.55 * h)], Qt.Orientation.Vertical)
        plots = [d for t, d in self.panel_docks.items() if t != DIAGNOSES]
        if plots:
            self.resizeDocks([plots[0]], [int(min(560, max(250, 0.44 * h)))], Qt.Orientation.Vertical)
        self._unelide_tabs()

    def _unelide_tabs(self) -> None:
        """Dock tabs show their whole title and scroll when there are many (never "Loss & acc…")."""
        for bar in self.findChildren(QTabBar):
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(STATE_VERSION))
        self.settings.sync()

    def _show_relevant_panels(self) -> None:
        """Show the plots of the chosen group that have something to show for this preset."""
        if self.controller is None or not self.panel_docks:
            return
        from widgets.training.controller import relevant_panels
        relevant = relevant_panels(self.doc.preset)
        shown = [t for t in self.panel_docks
                 if t != DIAGNOSES and relevant.get(t, True) and panel_group_of(t) == self.panel_group]
        for title, dock in self.panel_docks.items():
            if title != DIAGNOSES:
                dock.setVisible(title in shown)
        self.controller.show_only(shown)
        if shown:
            self.panel_docks[shown[0]].raise_()
        self._unelide_tabs()

    def show_panel_group(self, group: str) -> None:
        """Show one group's plot tabs (the bar above the plots; remembered for the next start)."""
        self.panel_group = group
        self.settings.setValue("panels/group", group)
        for title, dock in self.panel_docks.items():
            bar = dock.titleBarWidget()
            if isinstance(bar, PanelGroupBar):
                bar.set_group(group)
        self._show_relevant_panels()

    def _show_named_panel(self, title: str) -> None:
        """A panel a lesson names: shown where this window has it (a plugin's panel may be gone)."""
        if title in self.panel_docks:
            self.show_panel(title)
        else:
            self.statusBar().showMessage(f"No {title} panel in this window", 5000)

    def show_panel(self, title: str) -> None:
        """Bring up one panel (View ▸ Training Panels), switching to its group first."""
        dock = self.panel_docks[title]
        if title != DIAGNOSES and panel_group_of(title) != self.panel_group:
            self.show_panel_group(panel_group_of(title))
        dock.show()
        dock.raise_()
