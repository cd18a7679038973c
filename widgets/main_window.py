"""The main window: the canvas in the middle and the one current document, with its parts in
their own modules: actions, menus and toolbar (`window_menus`), docks and the panel layout
(`window_docks`), training and its state (`window_training`), files (`file_actions`).

Start-up is in two steps so the window appears fast: the constructor builds only Qt widgets
(no torch, no pyqtgraph), and `finish_startup`, run by a single-shot timer once the window is
shown, imports the engine, fills the palette and settings, creates the training controller and
opens the preset.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QPalette
from PySide6.QtWidgets import (
    QApplication, QDockWidget, QLabel, QMainWindow, QTabWidget)

from widgets.canvas import BuilderScene, BuilderView
from widgets.document import Document
from widgets.file_actions import FileActions
from widgets.window_docks import STATE_VERSION, WindowDocks
from widgets.window_menus import WindowMenus
from widgets.window_training import WindowTraining
from widgets.lesson_view import LessonView
from widgets.inspector import Inspector
from widgets.palette import Palette
from widgets.panel_groups import GROUPS, TRAINING
from widgets.recovery import Recovery
from widgets.settings_panel import DataSettings, TrainingSettings
from widgets.theme import Theme, style_sheet, theme as theme_named

ORGANIZATION = "NN Playground"
APPLICATION = "nn-playground"
AUTOSAVE_S = 60
WARM_UP_AFTER_MS = 1000
"""When the training machinery starts loading after start-up (TrainingController.warm_up)."""


def default_window_size() -> tuple[int, int]:
    """The first window: the screen's available area up to 1680×1050 (a 1366×768 laptop gets
    all of it, a 1920×1080 screen a large window)."""
    screen = QApplication.primaryScreen() if QApplication.instance() is not None else None
    if screen is None:
        return 1440, 900
    area = screen.availableGeometry()
    return min(1680, area.width()), min(1050, area.height())


def default_state_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / APPLICATION


class MainWindow(FileActions, WindowMenus, WindowDocks, WindowTraining, QMainWindow):
    def __init__(self, settings: QSettings | None = None, state_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)
        self.recovery = Recovery(Path(state_dir or default_state_dir()) / "recovery")
        self.setObjectName("MainWindow")
        self.resize(*default_window_size())
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.ready = False
        self.controller = None
        self.controller_error = "the training engine is still loading"
        self.panel_docks: dict[str, QDockWidget] = {}
        group = str(self.settings.value("panels/group", TRAINING))
        self.panel_group = group if group in GROUPS else TRAINING
        """The group of plot panels whose tabs show (the student's choice, remembered)."""
        self.startup_s: float | None = None
        self.notes_dialog = None

        self.doc = Document(self)
        self.scene = BuilderScene(self.doc, self)
        self.view = BuilderView(self.scene)
        self.view.setObjectName("canvas")
        self.setCentralWidget(self.view)
        self.palette = Palette()
        self.inspector = Inspector(self.doc)
        self.data_panel = DataSettings(self.doc)
        self.training_panel = TrainingSettings(self.doc)

        self.palette_dock = self._dock("Layers", "paletteDock", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.data_dock = self._dock("Data", "dataDock", self.data_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.training_dock = self._dock("Training settings", "trainingSettingsDock", self.training_panel,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.data_dock, self.training_dock)
        self.lesson_view = LessonView()   # the open example's guided lesson, beside its settings
        self.lesson_dock = self._dock("Lesson", "lessonDock", self.lesson_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.training_dock, self.lesson_dock)
        self.lesson_view.open_requested.connect(self.open_example)
        self.lesson_view.compare_requested.connect(self.compare_lesson_twins)
        self.lesson_view.panel_requested.connect(self._show_named_panel)
        self.data_dock.raise_()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setTabPosition(Qt.DockWidgetArea.BottomDockWidgetArea, QTabWidget.TabPosition.North)
        self.fit_docks()

        self.graph_status = QLabel()
        self.graph_status.setObjectName("graphStatus")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("progressLabel")
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.graph_status)
        # A message longer than the bar's room (1366 px leave ~900 beside the progress) is cut off
        # without a mark: the whole of it is the bar's tooltip.
        self.statusBar().messageChanged.connect(self._status_message_changed)

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._connect()
        self._default_state = self.saveState(STATE_VERSION)
        self._restore_layout()
        self.apply_theme(str(self.settings.value("theme", "light")))

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(int(self.settings.value("autosave_seconds", AUTOSAVE_S)) * 1000)
        self.autosave_timer.timeout.connect(self.autosave)
        self.update_title()
        self.update_actions()
        self.statusBar().showMessage("Loading PyTorch and the layer catalogue…")

    def import_data_dialog(self) -> None:
        from widgets.data_page import open_data_page
        open_data_page(self)

    def _connect(self) -> None:
        self.palette.activated.connect(self._append_layer)
        self.inspector.help_requested.connect(self.show_notes)
        self.inspector.node_requested.connect(self._show_layer)
        self.training_panel.help_requested.connect(self.show_notes)
        self.scene.selection_ids_changed.connect(self.inspector.show_nodes)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self._clean_watch = self.doc.undo_stack.cleanChanged.connect(lambda _: self._on_clean_changed())
        self.doc.model_changed.connect(lambda _: self._on_model_changed())
        self.doc.replaced.connect(self._on_replaced)
        self.doc.meta_changed.connect(self.update_title)
        self.doc.training_changed.connect(self._on_training_setting)
        self.doc.data_changed.connect(self._on_data_changed)
        self.doc.data_read.connect(self.update_actions)   # a person's file read off the GUI thread
        self.doc.weights_changed.connect(self._on_weights_changed)

    def finish_startup(self, preset: str | None = None, course_at_start: bool = False) -> None:
        """Import the engine, fill the panels, open the first preset (runs once the window shows).
        With `course_at_start` (the app does; tests need not), the course map opens over the window
        when nothing was asked for: no preset named and no work recovered."""
        t0 = time.perf_counter()
        import playground.layers  # noqa: F401  (torch)
        self.name_engine_facts()
        self.palette.populate()
        self.scene.live = self.inspector.live = True
        self.data_panel.populate()
        self.training_panel.populate()
        self._make_controller()
        recovered = self.offer_recovery()
        if not recovered:
            self.open_initial(preset)
        self.ready = True
        from widgets.course_page import shows_at_start
        if course_at_start and preset is None and not recovered and shows_at_start(self.settings):
            QTimer.singleShot(0, self, self.show_course)
        self.autosave_timer.start()
        self.update_actions()
        QTimer.singleShot(0, self.view, self.view.show_network)
        self.startup_s = time.perf_counter() - t0
        if self.controller is not None:   # once the window has drawn what it opened
            QTimer.singleShot(WARM_UP_AFTER_MS, self, self.controller.warm_up)
        self.statusBar().showMessage("Ready: drag layers from the palette onto the canvas", 5000)

    def apply_theme(self, name: str) -> None:
        t: Theme = theme_named(name)
        app = QApplication.instance()
        if app is not None and app.property("nnPlaygroundTheme") != t.name:
            # restyling every widget of the application is slow: only when the theme changes
            app.setPalette(_palette(t))
            app.setStyleSheet(style_sheet(t))
            app.setProperty("nnPlaygroundTheme", t.name)
        self.scene.set_theme(t)
        self.view.viewport().update()
        self.actions_by_name[f"theme_{t.name}"].setChecked(True)
        self.settings.setValue("theme", t.name)

    def update_title(self) -> None:
        name = self.doc.preset.name or "untitled"
        src = self.doc.source
        if self.doc.path is not None:
            where = "" if self.doc.path.stem == name else f" ({self.doc.path.name})"
        elif src.startswith("example"):
            where = " (example)"
        elif src.startswith("weights"):
            where = f" (from {src[8:]})"
        elif src == "recovered":
            where = " (recovered)"
        else:
            where = ""
        self.setWindowTitle(f"{name}{where}[*] — NN Playground")
        self.setWindowModified(self.doc.dirty)

    def _status_message_changed(self, text: str) -> None:
        self.statusBar().setToolTip(text)

    def _on_clean_changed(self) -> None:
        self.update_title()
        if not self.doc.dirty:
            self.recovery.clear()

    def _on_model_changed(self) -> None:
        self.update_actions()
        if self.controller is not None and self.controller.is_active:
            self.statusBar().showMessage("The network changed: the running training keeps the network it "
                                         "started with; Stop and Start to train the new one", 8000)

    def _on_replaced(self) -> None:
        if self.controller is not None:
            self.controller.discard()   # its run, plots and weights belong to the previous preset
        self.progress_label.setText("")
        self.update_title()
        self.update_actions()

    def _after_open(self, message: str) -> None:
        if self.doc.source.startswith("example"):
            self._tidy_if_overlapping()
        if self.lesson_view.show_preset(self.doc.preset.name, self.doc.preset.data) and \
                self.doc.source.startswith("example"):
            self.lesson_dock.raise_()
        self.update_title()
        self.update_actions()
        self._show_relevant_panels()
        QTimer.singleShot(0, self.view, self.view.show_network)
        if message:
            self.statusBar().showMessage(message, 8000)

    def _tidy_if_overlapping(self) -> None:
        """An example whose layers overlap on this canvas (written for smaller nodes) is laid out
        once as it opens; this is not an edit, so it is not marked unsaved. A person's own files
        open exactly as saved."""
        from playground.network.layout import auto_layout
        from widgets.canvas_items import NODE_H, NODE_W
        nodes = self.doc.model.nodes
        for i, a in enumerate(nodes):
            for b in nodes[i + 1:]:
                if abs(a.pos[0] - b.pos[0]) < NODE_W + 8 and abs(a.pos[1] - b.pos[1]) < NODE_H + 14:
                    positions = auto_layout(self.doc.model)
                    spec = self.doc.model
                    for n in spec.nodes:
                        n.pos = positions[n.id]
                    self.doc.set_model(spec)
                    return

    def _on_data_changed(self) -> None:
        self.update_actions()
        self.lesson_view.show_preset(self.doc.preset.name, self.doc.preset.data)   # still its data?
        if self.controller is not None and self.controller.is_active:
            self.statusBar().showMessage("The data set changed: it applies when training starts again", 6000)
        self._show_relevant_panels()

    def _append_layer(self, type_name: str) -> None:
        if self.ready:
            self.scene.append_layer(type_name)
            self.view.ensureVisible(self.scene.nodes[self.scene.selected_ids()[0]], 40, 40) \
                if self.scene.selected_ids() else None

    def _show_layer(self, node_id: str) -> None:
        """A problem's layer, selected and scrolled into view (the inspector then shows it)."""
        if node_id in self.scene.nodes:
            self.scene.select_ids([node_id])
            self.scene.show_node(node_id)

    def auto_layout(self) -> None:
        """Tidy the graph, then make sure every layer is in view."""
        self.scene.auto_layout()
        if not self.scene.all_in_view():
            self.view.fit()

    def cut(self) -> None:
        if self.scene.copy_selection():
            self.scene.delete_selection()

    def paste(self) -> None:
        pos = self.view.mapFromGlobal(self.cursor().pos())
        at = self.view.mapToScene(pos) if self.view.viewport().rect().contains(pos) else None
        self.scene.paste(at)

    # ================================================================ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing stops any training itself, and its run record keeps the weights it reached; only
        # weights that neither a record nor an export keeps are asked about.
        if self.ready and not (self._maybe_save("closing") and
                               (not self.weights_would_be_lost() or self.maybe_discard_weights("closing"))):
            event.ignore()
            return
        self.shutdown()
        self.save_layout()
        self.recovery.clear()
        # The document dies with this window: its undo stack, cleared as it is destroyed, would
        # report "clean" to a window already half gone (a RuntimeError printed at every quit
        # with unsaved edits discarded).
        self.doc.undo_stack.blockSignals(True)
        self.doc.blockSignals(True)
        event.accept()

    def shutdown(self) -> None:
        """Stop and join the training thread (window close and application quit). Idempotent."""
        self.autosave_timer.stop()
        if self.controller is not None:
            self.controller.shutdown()
        self.doc.data_reader.shutdown()
        # The undo stack is the window's grandchild: deleted with it, it says "clean" once more, to a
        # window already half gone (a traceback at every quit with unsaved changes).
        if self._clean_watch is not None:
            self.doc.undo_stack.cleanChanged.disconnect(self._clean_watch)
            self._clean_watch = None




def _palette(t: Theme) -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in ((roles.Window, t.window), (roles.WindowText, t.text), (roles.Base, t.base),
                         (roles.AlternateBase, t.alt_base), (roles.Text, t.text), (roles.Button, t.window),
                         (roles.ButtonText, t.text), (roles.Highlight, t.accent),
                         (roles.HighlightedText, t.accent_text), (roles.ToolTipBase, t.base),
                         (roles.ToolTipText, t.text), (roles.PlaceholderText, t.muted), (roles.Link, t.accent)):
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor(t.muted))
    p.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor(t.muted))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor(t.muted))
    return p

