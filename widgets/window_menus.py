"""The main window's actions, menus and toolbar: every command a person can give, with its
shortcut and tip, and the menus filled when they open (recent files, the examples by chapter,
the export formats), the labs, the course map and the notes. A mixin of `MainWindow`."""
from __future__ import annotations
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QMessageBox, QStyle, QToolBar

from widgets.theme import THEMES


class WindowMenus:
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

    def name_engine_facts(self) -> None:
        """The tips that name what the engine holds: the registered pre-flight checks, the
        learning-rate sweep, the importers (a registered one is named too). Set once the engine
        has loaded (`finish_startup`): the window is built and shown before torch and numpy load."""
        from playground.babysit.checks import checks_listed
        from playground.babysit.lr_find import sweep_text
        from playground.data.importers import importers_listed
        tips = {"check": f"The notes' sanity checks before training: {checks_listed()}",
                "lr_find": f"Learning-rate range test: sweep {sweep_text()}, plot the loss, use a suggestion",
                "import_data": f"Train on your own data: {importers_listed()}"}
        for key, tip in tips.items():
            self.actions_by_name[key].setToolTip(tip)
            self.actions_by_name[key].setStatusTip(tip)

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
          "Train on your own data (a file or a folder)")
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
        # (tips that name the engine's checks, sweep and importers: `name_engine_facts`, once it has loaded)
        A("check", "Pre-flight &Check…", lambda: babysit.open_check(self), "Ctrl+Shift+K",
          "The notes' sanity checks before training", SP.SP_DialogApplyButton)
        A("lr_find", "Find &Learning Rate…", lambda: babysit.open_lr_find(self), None,
          "Learning-rate range test: sweep the learning rate upwards, plot the loss, use a suggestion")
        A("search", "&Search Hyper-parameters…", lambda: babysit.open_search(self), None,
          "Random search in log space (Optuna), coarse then fine; each trial is a recorded run")
        A("course", "C&ourse", self.show_course, None,
          "The course map: the chapters in the notes' order, each lesson with its idea and a tick once you ran it")
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
        self.addAction(a["export"])   # Ctrl+E: an action's shortcut works only where a shown widget holds it
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
        help_menu.addAction(a["course"])
        help_menu.addAction(a["notes"])
        help_menu.addAction("&Labs…", self._open_labs)
        help_menu.addAction(a["about"])

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
        """One submenu per chapter of the course, its lessons in the course's order, each with its
        lesson's title (✓: run to its end); a built-in no chapter holds goes under "Other examples"
        with its description's first words."""
        from playground.course.chapters import CHAPTERS, course_map
        from playground.course.examples import builtin_examples
        from widgets.course_page import CourseProgress
        self.examples_menu.clear()
        self.examples_menu.addAction(self.actions_by_name["course"])
        self.examples_menu.addSeparator()
        examples = {ex.name: ex for ex in builtin_examples()}
        done = CourseProgress(self.settings).done()
        titles = {e.preset: e.title for _, entries in course_map() for e in entries}
        groups = [(f"&{k} · {c.title}" if k < 10 else f"{k} · {c.title}", c.lessons)
                  for k, c in enumerate(CHAPTERS, 1)]
        placed = {name for _, lessons in groups for name in lessons}
        groups.append(("Other examples", tuple(n for n in examples if n not in placed)))
        for title, names in groups:
            names = [n for n in names if n in examples]
            if not names:
                continue
            menu = self.examples_menu.addMenu(title)
            menu.setToolTipsVisible(True)
            for name in names:
                ex = examples[name]
                mark, about = "✓ " if name in done else "", titles.get(name, ex.summary)
                act = menu.addAction(f"{mark}{ex.name}  —  {about}" if about else f"{mark}{ex.name}",
                                     lambda n=ex.name: self.open_example(n))
                act.setToolTip(f"<p>{_html(ex.description)}</p>")   # rich text: wraps, never cut
                act.setStatusTip(ex.summary)
        if not examples:
            self.examples_menu.addAction("(no built-in examples found)").setEnabled(False)

    def _fill_export(self) -> None:
        self.export_menu.clear()
        try:
            from playground.export import FORMATS
        except ImportError as e:
            self.export_menu.addAction(f"(export unavailable: {e})").setEnabled(False)
            return
        self.export_menu.addAction(self.actions_by_name["export"])   # the dialog, its shortcut shown here
        self.export_menu.addSeparator()
        for name, f in FORMATS.items():
            act = self.export_menu.addAction(f"{f.title}…", lambda n=name: self.export_dialog(n))
            act.setToolTip(f.description)
            act.setStatusTip(f.description)
            act.setEnabled(self.ready)

    def _open_labs(self, lab: str = "") -> None:
        """The labs window (activation gallery, optimizer race, init explorer, backprop step by step),
        at `lab` (a `playground lab` name) when one is given."""
        from widgets.labs.window import LabsWindow
        if getattr(self, "_labs", None) is None:
            self._labs = LabsWindow(self)   # a window of its own that closes with this one
        self._labs.set_model_units(self._model_units())
        if lab:
            self._labs.show_lab(lab)
        self._labs.show()
        self._labs.raise_()

    def show_course(self) -> None:
        """Help ▸ Course (and the start page): the course map, its ticks read afresh."""
        from widgets.course_page import CoursePage
        if getattr(self, "course_page", None) is None:
            from widgets.labs.window import TITLES
            self.course_page = CoursePage(self.settings, TITLES, self)
            self.course_page.open_requested.connect(self._open_lesson_from_course)
            self.course_page.lab_requested.connect(self._open_labs)
        self.course_page.refresh()
        self.course_page.show()
        self.course_page.raise_()
        self.course_page.activateWindow()

    def _open_lesson_from_course(self, name: str) -> None:
        """A lesson picked on the course map opens in the window, and the map steps aside so the
        lesson and its network are what the person sees (Help ▸ Course brings the map back); a
        refused open (a training not stopped, unsaved work kept) leaves the map where it was."""
        if self.open_example(name):
            self.course_page.hide()

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

    def show_notes(self, anchor: str = "") -> None:
        """Help ▸ Concept notes, at `anchor`'s entry (a "?" beside a layer or setting)."""
        from widgets.help import NotesDialog
        if self.notes_dialog is None:
            self.notes_dialog = NotesDialog(self)
        self.notes_dialog.show_entry(anchor)

    def show_about(self) -> None:
        from widgets.help import ABOUT_HTML
        QMessageBox.about(self, "About NN Playground", ABOUT_HTML)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
