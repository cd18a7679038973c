"""The main window: menus, docks, the canvas in the middle, and the one current document.

Start-up is in two steps so the window appears fast: the constructor builds only Qt widgets
(no torch, no pyqtgraph), and `finish_startup`, run by a single-shot timer once the window is
shown, imports the engine, fills the palette and settings, creates the training controller and
opens the preset.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication, QComboBox, QDockWidget, QLabel, QMainWindow, QMessageBox, QStyle, QTabBar, QTabWidget,
    QToolBar, QWidget)

from playground.network.spec import HOT_SETTINGS
from widgets.canvas import BuilderScene, BuilderView
from widgets.document import Document, problem_text
from widgets.file_actions import FileActions
from widgets.lesson_view import LessonView
from widgets.inspector import Inspector
from widgets.palette import Palette
from widgets.panel_groups import DIAGNOSES, PANEL_GROUPS, TRAINING, PanelGroupBar, panel_group_of
from widgets.recovery import Recovery
from widgets.settings_panel import DataSettings, TrainingSettings
from widgets.theme import THEMES, Theme, style_sheet, theme as theme_named

ORGANIZATION = "NN Playground"
APPLICATION = "nn-playground"
STATE_VERSION = 4
"""Bump when the dock layout changes, so an old saved layout is not applied to new docks."""
AUTOSAVE_S = 60


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


class MainWindow(FileActions, QMainWindow):
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
        self.panel_group = group if group in PANEL_GROUPS else TRAINING
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

    # ================================================================ construction
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, key: str, text: str, slot=None, shortcut=None, tip: str = "", icon=None) -> QAction:
        a = QAction(text, self)
        a.setObjectName(f"action_{key}")
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                a.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        if slot is not None:
            a.triggered.connect(lambda checked=False: slot())
        self.actions_by_name[key] = a
        return a

    def _make_actions(self) -> None:
        SK, SP = QKeySequence.StandardKey, QStyle.StandardPixmap
        self.actions_by_name: dict[str, QAction] = {}
        A = self._action
        A("new", "&New", self.new_preset, SK.New, "Start a new network", SP.SP_FileIcon)
        A("open", "&Open preset…", self.open_dialog, SK.Open, "Open a preset file", SP.SP_DialogOpenButton)
        A("save", "&Save", self.save, SK.Save, "Save the preset", SP.SP_DialogSaveButton)
        A("save_as", "Save &As…", self.save_as, SK.SaveAs, "Save the preset under a new name")
        A("export", "&Export…", self.export_dialog, "Ctrl+E",
          "Export the network and its weights (PyTorch, ONNX, Python, a training script…)")
        A("import_weights", "&Import weights…", self.import_weights_dialog, "Ctrl+I",
          "Open a .safetensors file exported by the playground, with its preset and weights")
        A("import_data", "Import &data…", self.import_data_dialog, "Ctrl+Shift+D",
          "Train on your own data: a CSV file, a NumPy .npz archive or a folder of images")
        A("quit", "&Quit", self.close, SK.Quit, "Quit NN Playground")
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence(SK.Undo))
        undo.setIcon(self.style().standardIcon(SP.SP_ArrowBack))
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence(SK.Redo), QKeySequence("Ctrl+Y")])
        redo.setIcon(self.style().standardIcon(SP.SP_ArrowForward))
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        A("cut", "Cu&t", self.cut, SK.Cut, "Cut the selected layers")
        A("copy", "&Copy", self.scene.copy_selection, SK.Copy, "Copy the selected layers")
        A("paste", "&Paste", self.paste, SK.Paste, "Paste layers")
        A("delete", "&Delete", self.scene.delete_selection, [QKeySequence.StandardKey.Delete, "Backspace"],
          "Delete the selected layers and connections")
        A("select_all", "Select &All", self.scene.select_all, SK.SelectAll, "Select every layer")
        A("auto_layout", "Auto-&layout", self.auto_layout, "Ctrl+L", "Tidy the graph into rows, top to bottom")
        A("zoom_in", "Zoom &In", self.view.zoom_in, SK.ZoomIn, "Zoom in")
        A("zoom_out", "Zoom &Out", self.view.zoom_out, SK.ZoomOut, "Zoom out")
        A("zoom_fit", "&Fit Network", self.view.fit, "Ctrl+0", "Show the whole network")
        A("zoom_reset", "Actual &Size", self.view.zoom_reset, "Ctrl+1", "Zoom to 100%")
        A("reset_layout", "&Reset Layout", self.reset_layout, None, "Put every panel back where it started")
        A("train_start", "&Start", self.train_start_pause, "F5", "Start training (F5 again pauses)", SP.SP_MediaPlay)
        A("train_step", "S&tep", self.train_step, "F10", "Train on one batch, then pause", SP.SP_MediaSkipForward)
        A("train_stop", "St&op", self.train_stop, "Shift+F5", "Stop training", SP.SP_MediaStop)
        A("train_reset", "&Reset Weights", self.train_reset, "Ctrl+R", "Start again from fresh weights",
          SP.SP_BrowserReload)
        A("compare_runs", "&Compare Runs…", self.open_compare, "Ctrl+Shift+R",
          "Every recorded run: overlay curves, see which settings differ, run twins and seed repeats")
        from widgets.babysit import actions as babysit
        A("check", "Pre-flight &Check…", lambda: babysit.open_check(self), "Ctrl+Shift+K",
          "The notes' sanity checks: loss at initialization, overfit 20 examples, zeroed inputs, gradient check",
          SP.SP_DialogApplyButton)
        A("lr_find", "Find &Learning Rate…", lambda: babysit.open_lr_find(self), None,
          "Learning-rate range test: sweep 1e-7 to 10, plot the loss, use a suggestion")
        A("search", "&Search Hyper-parameters…", lambda: babysit.open_search(self), None,
          "Random search in log space (Optuna), coarse then fine; each trial is a recorded run")
        A("notes", "&Concept Notes", self.show_notes, SK.HelpContents, "Layers, settings and examples explained")
        A("about", "&About NN Playground", self.show_about)
        self.theme_group = QActionGroup(self)
        for name in THEMES:
            a = A(f"theme_{name}", name.capitalize(), lambda n=name: self.apply_theme(n), None,
                  f"Use the {name} theme")
            a.setCheckable(True)
            self.theme_group.addAction(a)

    def _make_menus(self) -> None:
        a = self.actions_by_name
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(a["new"])
        file.addAction(a["open"])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.examples_menu = file.addMenu("E&xamples")
        self.examples_menu.setToolTipsVisible(True)
        self.examples_menu.aboutToShow.connect(self._fill_examples)
        file.addSeparator()
        file.addAction(a["save"])
        file.addAction(a["save_as"])
        file.addSeparator()
        self.export_menu = file.addMenu("Ex&port")
        self.export_menu.setToolTipsVisible(True)
        self.export_menu.aboutToShow.connect(self._fill_export)
        file.addAction(a["import_weights"])
        file.addAction(a["import_data"])
        file.addSeparator()
        file.addAction(a["quit"])

        edit = bar.addMenu("&Edit")
        for key in ("undo", "redo", None, "cut", "copy", "paste", "delete", "select_all", None, "auto_layout"):
            edit.addSeparator() if key is None else edit.addAction(a[key])

        view = bar.addMenu("&View")
        self.panels_menu = view.addMenu("&Panels")
        for dock in (self.palette_dock, self.inspector_dock, self.data_dock, self.training_dock, self.lesson_dock):
            self.panels_menu.addAction(dock.toggleViewAction())
        self.training_panels_menu = view.addMenu("&Training Panels")
        view.addAction(a["reset_layout"])
        view.addSeparator()
        for key in ("zoom_in", "zoom_out", "zoom_fit", "zoom_reset"):
            view.addAction(a[key])
        view.addSeparator()
        theme_menu = view.addMenu("T&heme")
        for name in THEMES:
            theme_menu.addAction(a[f"theme_{name}"])

        train = bar.addMenu("&Train")
        for key in ("train_start", "train_step", "train_stop", None, "train_reset", None, "check", "lr_find",
                    "search", None, "compare_runs"):
            train.addSeparator() if key is None else train.addAction(a[key])

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(a["notes"])
        help_menu.addAction("&Labs…", self._open_labs)
        help_menu.addAction(a["about"])

    def _open_labs(self) -> None:
        """The labs window (activation gallery, optimizer race, init explorer, backprop step by step)."""
        from widgets.labs.window import LabsWindow
        if getattr(self, "_labs", None) is None:
            self._labs = LabsWindow(self)   # a window of its own that closes with this one
        self._labs.set_model_units(self._model_units())
        self._labs.show()
        self._labs.raise_()

    def _model_units(self) -> list:
        """The model's activation layers and their units' typical input (the std of the layer
        feeding each at the last probe step): the activation gallery reads f' there."""
        from playground.labs.activations import model_units
        from widgets.panels.activations import ActivationsPanel
        if self.controller is None:
            return []
        panel = self.controller.panel(ActivationsPanel.title)
        stds = {nid: h.last.act_std for nid, h in getattr(panel, "heatmaps", {}).items() if h.last is not None}
        return model_units(self.doc.preset.model.nodes, stds)

    def _make_toolbar(self) -> None:
        a = self.actions_by_name
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for key in ("new", "open", "save", None, "undo", "redo", None, "auto_layout", "zoom_fit", None,
                    "train_start", "train_step", "train_stop", "train_reset", None, "check"):
            bar.addSeparator() if key is None else bar.addAction(a[key])
        for key in ("undo", "redo"):  # their text names the edit ("Undo Add Linear"): icon only
            button = bar.widgetForAction(a[key])
            if button is not None:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.speed_combo = QComboBox()
        self.speed_combo.setObjectName("trainingSpeed")
        from widgets.training.speeds import SPEEDS   # Qt-free, no torch
        for label, value in SPEEDS:
            self.speed_combo.addItem(label, value)
        self.speed_combo.setCurrentIndex(len(SPEEDS) - 1)
        tip = ("Training speed: slow motion to watch each update, up to full speed; every step "
               "is still taken and drawn")
        self.speed_combo.setToolTip(tip)
        self.speed_combo.setStatusTip(tip)
        self.speed_combo.currentIndexChanged.connect(self._on_speed)
        bar.addWidget(self.speed_combo)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _connect(self) -> None:
        self.palette.activated.connect(self._append_layer)
        self.inspector.help_requested.connect(self.show_notes)
        self.training_panel.help_requested.connect(self.show_notes)
        self.scene.selection_ids_changed.connect(self.inspector.show_nodes)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.doc.undo_stack.cleanChanged.connect(lambda _: self._on_clean_changed())
        self.doc.model_changed.connect(lambda _: self._on_model_changed())
        self.doc.replaced.connect(self._on_replaced)
        self.doc.meta_changed.connect(self.update_title)
        self.doc.training_changed.connect(self._on_training_setting)
        self.doc.data_changed.connect(self._on_data_changed)
        self.doc.data_read.connect(self.update_actions)   # a person's file read off the GUI thread
        self.doc.weights_changed.connect(self._on_weights_changed)

    # ================================================================ start-up
    def finish_startup(self, preset: str | None = None) -> None:
        """Import the engine, fill the panels, open the first preset (runs once the window shows)."""
        t0 = time.perf_counter()
        import playground.layers  # noqa: F401  (torch)
        self.palette.populate()
        self.scene.live = self.inspector.live = True
        self.data_panel.populate()
        self.training_panel.populate()
        self._make_controller()
        if not self.offer_recovery():
            self.open_initial(preset)
        self.ready = True
        self.autosave_timer.start()
        self.update_actions()
        QTimer.singleShot(0, self.view, self.view.show_network)
        self.startup_s = time.perf_counter() - t0
        self.statusBar().showMessage("Ready: drag layers from the palette onto the canvas", 5000)

    def _make_controller(self) -> None:
        try:
            from widgets.training.controller import TrainingController
        except ImportError as e:
            self.controller_error = f"the training engine could not be loaded ({e})"
            placeholder = QLabel("The training panels appear here once the training engine is installed.")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._panel_dock("Training", placeholder)
            return
        self.controller = TrainingController(self)
        self.controller.state_changed.connect(lambda _: self._on_training_state())
        self.controller.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.controller.progress.connect(self._on_progress)
        self.controller.problem.connect(self._on_problem)
        self.controller.weights_ready.connect(self._on_weights_ready)
        self.controller.outcome.connect(self._on_outcome)
        self.controller.set_speed(self.speed_combo.currentData())
        for title, widget in self.controller.panels():
            self._panel_dock(title, widget)
        from widgets.babysit.actions import connect_diagnoses
        connect_diagnoses(self)
        self._show_relevant_panels()

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
        self.fit_docks()
        self._default_state = self.saveState(STATE_VERSION)
        self._restore_layout()

    # ================================================================ layout and theme
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

    # ================================================================ state shown
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

    def train_block_reason(self) -> str:
        """Why Train is disabled ('' when it is not): the first real problem, naming its node."""
        if not self.ready:
            return "the app is still loading"
        problems = self.doc.problems
        if problems:
            return problem_text(problems[0])
        if self.controller is None:
            return self.controller_error
        return ""

    def update_actions(self) -> None:
        a = self.actions_by_name
        ready = self.ready
        for key in ("save", "save_as", "export", "import_weights", "new", "open", "cut", "copy", "paste",
                    "delete", "select_all", "auto_layout"):
            a[key].setEnabled(ready)
        c = self.controller
        reason = self.train_block_reason()
        running = bool(c and c.is_running)
        active = bool(c and c.is_active)
        paused = bool(c and c.state == "paused")
        start = a["train_start"]
        if running:
            start.setText("&Pause")
            start.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
            start.setEnabled(True)
        else:
            start.setText("&Resume" if paused else "&Start")
            start.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
            start.setEnabled(c is not None and (paused or (ready and not reason)))
        a["train_step"].setEnabled(c is not None and ready and (active or not reason))
        a["train_stop"].setEnabled(active)
        a["train_reset"].setEnabled(c is not None and ready and not running)
        if not ready:
            self.graph_status.setText("")
        elif reason:
            self.graph_status.setText(f"⚠ Cannot train: {reason}")
            self.graph_status.setToolTip("\n".join(problem_text(p) for p in self.doc.problems) or reason)
            self.graph_status.setProperty("error", True)
        else:
            from playground.layers import fmt_shape
            r = self.doc.report
            shape = r.shapes.get(r.output_id)
            self.graph_status.setText(f"✓ {len(self.doc.model.nodes)} layers · output {fmt_shape(shape)}"
                                      if shape else "✓ ready")
            self.graph_status.setToolTip("The network is complete: Train ▸ Start (F5)")
            self.graph_status.setProperty("error", False)
        self.graph_status.style().unpolish(self.graph_status)
        self.graph_status.style().polish(self.graph_status)
        tip = f"Cannot train: {reason}" if reason and not running and not paused else "Start training (F5 again pauses)"
        start.setToolTip(tip)
        start.setStatusTip(tip)

    # ================================================================ reactions
    def _on_clean_changed(self) -> None:
        self.update_title()
        if not self.doc.dirty:
            self.recovery.clear()

    def _on_model_changed(self) -> None:
        self.update_actions()
        if self.controller is not None and self.controller.is_active:
            self.statusBar().showMessage("The network changed: the running training keeps the network it "
                                         "started with; Stop and Start to train the new one", 8000)

    def _on_weights_changed(self, why: str) -> None:
        if why == "edited":
            self.statusBar().showMessage("The network changed: its weights were made for the old network, so "
                                         "training starts from a fresh initialization", 8000)

    def _on_weights_ready(self, state: dict, preset, step: int) -> None:
        """A training reached these weights: the document keeps them if its network is still the one
        they were trained on."""
        from widgets.document import network_structure
        self.doc.set_trained(state, network_structure(preset.model), step)

    def _on_outcome(self, text: str) -> None:
        """A run ended far from a good result: its outcome is a card in the Diagnoses panel, ranked
        with the run's findings; the status bar points there. No box: a box would interrupt a
        lesson (and hide the curves) every time a lesson shows a run that fails on purpose."""
        dock = self.panel_docks.get(DIAGNOSES)
        where = "; its outcome is in Diagnoses" if dock is not None else ""
        headline = text.split(" What to try")[0].split(" This is what")[0].rstrip(". ")
        self.statusBar().showMessage(headline + where, 15000)

    def _on_problem(self, title: str, text: str) -> None:
        """Training paused on a problem (a non-finite loss): say so without blocking, and bring up
        the Diagnoses card that explains it with its one action; a modal box would hide the card
        and the curves until answered. A session that could not start has nothing to show in the
        panels, so that stays a plain warning."""
        if self.controller is None or self.controller.last_problem is None:
            QMessageBox.warning(self, title, text)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("problemBox")
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        dock = self.panel_docks.get(DIAGNOSES)
        if dock is not None:
            dock.show()
            dock.raise_()

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

    def show_panel(self, title: str) -> None:
        """Bring up one panel (View ▸ Training Panels), switching to its group first."""
        dock = self.panel_docks[title]
        if title != DIAGNOSES and panel_group_of(title) != self.panel_group:
            self.show_panel_group(panel_group_of(title))
        dock.show()
        dock.raise_()

    def _on_training_setting(self, name: str) -> None:
        self.update_actions()   # the loss decides whether the network fits the data
        c = self.controller
        if c is None or not c.is_active:
            return
        if name in HOT_SETTINGS:
            try:
                c.set_setting(name, getattr(self.doc.preset.training, name))   # marks the loss curves
            except ValueError as e:
                self.statusBar().showMessage(str(e), 6000)
        else:
            self.statusBar().showMessage(f"{name} applies when training starts again (Stop, then Start)", 6000)

    def _on_data_changed(self) -> None:
        self.update_actions()
        self.lesson_view.show_preset(self.doc.preset.name, self.doc.preset.data)   # still its data?
        if self.controller is not None and self.controller.is_active:
            self.statusBar().showMessage("The data set changed: it applies when training starts again", 6000)
        self._show_relevant_panels()

    def _on_progress(self, epoch: int, step: int, total: int, rate: float, left: float) -> None:
        where = f"epoch {epoch} · step {step}/{total}"
        if self.controller is not None:
            self.progress_label.setToolTip(f"Device: {self.controller.device_reason}"
                                           if self.controller.device_reason else "")
        if self.controller is not None and self.controller.is_running:
            eta = f" · {left:.0f} s left" if left >= 0 else ""
            self.progress_label.setText(f"{where} · {rate:.0f} steps/s{eta}")
        else:   # paused or ended: no rate, no time left
            state = self.controller.state if self.controller is not None else ""
            self.progress_label.setText(f"{where} · {state}" if state in ("paused", "stopped", "finished")
                                        else where)

    def _on_training_state(self) -> None:
        self.update_actions()
        c = self.controller
        text = self.progress_label.text()
        if c is not None and not c.is_running and " steps/s" in text:
            where = text.split(" · ")[:2]
            self.progress_label.setText(" · ".join(where + ([c.state] if c.state != "idle" else [])))

    def _on_speed(self, _index: int) -> None:
        if self.controller is not None:
            self.controller.set_speed(float(self.speed_combo.currentData()))

    # ================================================================ edit actions
    def _append_layer(self, type_name: str) -> None:
        if self.ready:
            self.scene.append_layer(type_name)
            self.view.ensureVisible(self.scene.nodes[self.scene.selected_ids()[0]], 40, 40) \
                if self.scene.selected_ids() else None

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

    # ================================================================ training
    def train_start_pause(self) -> None:
        c = self.controller
        if c is None:
            return
        if c.is_running:
            c.pause()
        elif c.state == "paused":
            c.resume()
        elif not self.train_block_reason():
            c.start(self.doc.preset.copy(), self._start_weights())
        else:
            self.statusBar().showMessage(f"Cannot train: {self.train_block_reason()}", 8000)

    def train_step(self) -> None:
        c = self.controller
        if c is not None and (c.is_active or not self.train_block_reason()):
            c.step(self.doc.preset.copy(), self._start_weights())

    def _start_weights(self) -> dict | None:
        """What a new training starts from: imported weights, else a fresh initialization."""
        return dict(self.doc.imported.state) if self.doc.imported is not None else None

    def train_stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def weights_record(self) -> str:
        """The run record that keeps the document's trained weights (every run in the app is
        recorded with its model.safetensors at its end, a session that is reset or closed
        included); '' when the record could not be written, or there are no trained weights."""
        c = self.controller
        return c.last_record if c is not None and self.doc.trained is not None else ""

    def weights_would_be_lost(self) -> bool:
        """Trained weights that neither an export nor a run record keeps."""
        return self.doc.unsaved_weights() and not self.weights_record()

    def train_reset(self) -> None:
        c = self.controller
        if self.weights_would_be_lost():
            answer = QMessageBox.question(
                self, "Reset the trained weights?",
                f"The weights “{self.doc.preset.name}” trained are not exported, and their run could not be "
                "recorded: resetting loses them.\nReset them to a fresh initialization?",
                QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Reset:
                return
        record = self.weights_record()
        had = self.doc.forget_weights("reset")
        if c is not None:
            c.reset_weights()
        if not (c and c.is_active):
            self.progress_label.setText("")   # the old run's "finished" is not these weights' state
            if had:
                kept = f"; the trained ones stay in run {record} (Train ▸ Compare Runs)" if record else ""
                self.statusBar().showMessage(
                    f"Weights reset: the next Start trains from a fresh initialization{kept}", 8000)

    def open_compare(self) -> None:
        from widgets.compare.window import open_compare
        open_compare(self)

    def compare_lesson_twins(self, member: str) -> None:
        """The Lesson dock's "Compare with …": the open network and `member` trained as twins."""
        from widgets.lesson_twins import compare_family
        compare_family(self, member)

    # ================================================================ menus filled on demand
    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for path in files:
            act = self.recent_menu.addAction(Path(path).name, lambda p=path: self.open_path(p))
            act.setStatusTip(path)
        if not files:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent", self.clear_recent)

    def _fill_examples(self) -> None:
        from playground.course.examples import builtin_examples
        self.examples_menu.clear()
        for ex in builtin_examples():
            act = self.examples_menu.addAction(f"{ex.name}  —  {ex.summary}" if ex.summary else ex.name,
                                               lambda n=ex.name: self.open_example(n))
            act.setToolTip(f"<p>{_html(ex.description)}</p>")   # rich text: wraps, never cut
            act.setStatusTip(ex.summary)
        if not builtin_examples():
            self.examples_menu.addAction("(no built-in examples found)").setEnabled(False)

    def _fill_export(self) -> None:
        self.export_menu.clear()
        try:
            from playground.export import FORMATS
        except ImportError as e:
            self.export_menu.addAction(f"(export unavailable: {e})").setEnabled(False)
            return
        for name, f in FORMATS.items():
            act = self.export_menu.addAction(f"{f.title}…", lambda n=name: self.export_dialog(n))
            act.setToolTip(f.description)
            act.setStatusTip(f.description)
            act.setEnabled(self.ready)

    # ================================================================ help
    def show_notes(self, anchor: str = "") -> None:
        """Help ▸ Concept notes, at `anchor`'s entry (a "?" beside a layer or setting)."""
        from widgets.help import NotesDialog
        if self.notes_dialog is None:
            self.notes_dialog = NotesDialog(self)
        self.notes_dialog.show_entry(anchor)

    def show_about(self) -> None:
        from widgets.help import ABOUT_HTML
        QMessageBox.about(self, "About NN Playground", ABOUT_HTML)

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


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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

