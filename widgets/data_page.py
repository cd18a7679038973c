"""The data page: bring your own CSV file, NumPy archive or image folder into the playground.

A person chooses the file, the label and input columns, the task and what to do with missing
values, sees a table of the first rows, then imports. The import runs on its own thread with a
progress bar and a Cancel button; the result shows what the network will see (samples, input
shape, classes and their counts, the expected initial loss, rows or files left out, warnings) and
a preview: a scatter of two features, or a grid of sample images. "Use this data" puts the file
into the preset by reference (path and SHA-256), as one undoable edit.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCursor, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QCheckBox, QDialog, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QProgressBar, QPushButton, QScrollArea, QStackedWidget, QTableWidget, QTableWidgetItem,
    QToolTip, QVBoxLayout, QWidget)

from playground.network.spec import DataSpec
from widgets.import_form import ImportForm
from widgets.tasks import BackgroundTask

IMPORT_JOIN_S = 30.0
"""How long closing the page waits for a cancelled import to notice (it checks between chunks)."""
MAX_POINTS = 800
GRID_COLUMNS = 8
GRID_IMAGES = 32
THUMB = 72
SHORT_DIGEST = 12
"""Hex digits of the file's SHA-256 the report shows; the whole digest is its link's tooltip."""
LONG_WORD = 24
"""A word longer than this (a file name of underscores, a hash) gets break points, so the report
wraps inside its column instead of pushing it wider."""
DIGEST_LINK = "sha256:"


def run_import(name: str, params: dict, task: BackgroundTask) -> tuple | None:
    """One import, on the task's thread: (Dataset, ImportReport), or None once cancelled (checked
    between chunks). Every problem raises with the words the page shows."""
    from playground.data.importers import ImportCancelled, ImportProblem, import_dataset
    try:
        return import_dataset(name, params, progress=task.report, cancelled=lambda: task.cancelled)
    except ImportCancelled:
        return None
    except ImportProblem as e:
        raise ValueError("\n".join(e.problems)) from None
    except MemoryError:
        raise ValueError("the data is too large to hold in memory") from None


class DataPage(QDialog):
    """Choose, check and import a person's own data; `use_data` is emitted with the DataSpec."""

    use_data = Signal(object, bool)  # DataSpec, and whether to fit the network's Input and output to it

    def __init__(self, parent: QWidget | None = None, network_input: tuple[int, ...] | None = None,
                 start_dir: str = "", loss: str = "cross_entropy") -> None:
        super().__init__(parent)
        self.setObjectName("dataPage")
        self.loss = loss
        """The preset's loss: how many outputs the data needs depends on it."""
        self.setWindowTitle("Your own data")
        self.network_input = network_input
        self.start_dir = start_dir
        self.kind = ""  # the importer's name (playground.data.importers.IMPORTERS)
        self.shown_path = ""
        """The path whose form and preview the page shows (the File field's text once read)."""
        self.task: BackgroundTask | None = None
        """The import in flight (None when none runs)."""
        self._import_params: dict = {}
        self.report = None
        self.dataset = None
        self._imported_params: dict | None = None
        self._build()
        self._show_kind("")
        app = QApplication.instance()
        if app is not None:  # quitting while an import runs: stop it and join its thread first
            app.aboutToQuit.connect(self._stop)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("dataPath")
        from playground.data.importers import importers_listed
        self.path_edit.setPlaceholderText(importers_listed())   # what every registered importer reads
        self.path_edit.editingFinished.connect(self._path_edited)
        row.addWidget(QLabel("File"))
        row.addWidget(self.path_edit, 1)
        self.file_button = QPushButton("Choose file…")
        self.file_button.clicked.connect(self._choose_file)
        self.folder_button = QPushButton("Choose image folder…")
        self.folder_button.clicked.connect(self._choose_folder)
        row.addWidget(self.file_button)
        row.addWidget(self.folder_button)
        outer.addLayout(row)

        body = QHBoxLayout()
        left = QVBoxLayout()
        self.options = QGroupBox("What to import")
        form = QFormLayout(self.options)
        self.format_label = QLabel("")
        self.format_label.setObjectName("hint")
        self.format_label.setWordWrap(True)
        form.addRow("format", self.format_label)
        self.import_form = ImportForm(form, self._options_changed)
        self.form = form
        left.addWidget(self.options)

        run = QHBoxLayout()
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(self.start_import)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_import)
        run.addWidget(self.import_button)
        run.addWidget(self.progress, 1)
        run.addWidget(self.cancel_button)
        left.addLayout(run)

        self.result = QLabel()
        self.result.setObjectName("importReport")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                            | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.result.linkHovered.connect(self._digest_hovered)
        self.result.linkActivated.connect(self._copy_digest)
        scroll = QScrollArea()
        scroll.setObjectName("importReportArea")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)   # every line wraps
        scroll.setWidget(self.result)
        left.addWidget(scroll, 1)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setFixedWidth(420)
        body.addWidget(left_box)

        right = QVBoxLayout()
        self.preview_title = QLabel("Preview")
        self.preview_title.setObjectName("hint")
        self.preview_title.setWordWrap(True)   # the CSV layout notes can be long
        right.addWidget(self.preview_title)
        self.preview = QStackedWidget()
        self.table = QTableWidget()
        self.table.setObjectName("csvTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.plot_holder = QWidget()
        QVBoxLayout(self.plot_holder).setContentsMargins(0, 0, 0, 0)
        self.plot = None  # pyqtgraph is imported when the first scatter is drawn
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        self.grid.setSpacing(4)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        grid_scroll = QScrollArea()
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setWidget(self.grid_box)
        self.empty = QLabel("Choose a file to see its first rows here.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("hint")
        for w in (self.empty, self.table, self.plot_holder, grid_scroll):
            self.preview.addWidget(w)
        self.grid_page = grid_scroll
        right.addWidget(self.preview, 1)
        body.addLayout(right, 1)
        outer.addLayout(body, 1)

        bottom = QHBoxLayout()
        self.fit_hint = QLabel()
        self.fit_hint.setObjectName("hint")
        self.fit_hint.setWordWrap(True)
        bottom.addWidget(self.fit_hint, 1)
        self.fit_box = QCheckBox("Fit the network to it")
        self.fit_box.setObjectName("fitNetwork")
        self.fit_box.setToolTip("Set the Input's shape to the data's, and the output layer's size to the "
                                "number of classes (or targets)")
        self.fit_box.setChecked(True)
        self.fit_box.setVisible(False)
        bottom.addWidget(self.fit_box)
        self.use_button = QPushButton("Use this data")
        self.use_button.setObjectName("useData")
        self.use_button.setDefault(True)
        self.use_button.clicked.connect(self._use)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        bottom.addWidget(self.use_button)
        bottom.addWidget(close)
        outer.addLayout(bottom)
        self.resize(1180, 700)

    def _show_kind(self, kind: str) -> None:
        """Show the form of importer `kind` ('' for none)."""
        from playground.data.importers import IMPORTERS
        self.kind = kind
        self.import_form.show(IMPORTERS.get(kind))
        self._set_running(False)

    # ------------------------------------------------------------------ choosing
    def _choose_file(self) -> None:
        from playground.data.importers.registry import file_filter
        path, _ = QFileDialog.getOpenFileName(self, "Choose a data file", self.start_dir, file_filter())
        if path:
            self.set_path(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose an image folder (one subfolder per class)",
                                                self.start_dir)
        if path:
            self.set_path(path)

    def _path_edited(self) -> None:
        """The File field lost focus or got Return: read the path typed, if it is another one, once
        the event at hand is over. The field loses focus to a click on the form (a checkbox of
        the inputs), and rebuilding the form inside that click deleted the list handling it: the
        app crashed; with the same path, re-reading it reset the ticks the person had set."""
        if self.path_edit.text().strip() != self.shown_path:
            QTimer.singleShot(0, self, lambda: self.set_path(self.path_edit.text())
                              if self.path_edit.text().strip() != self.shown_path else None)

    def set_path(self, text: str) -> None:
        """Show what the file holds (columns, arrays or class folders) before importing it."""
        from playground.data.importers import ImportProblem, importer_for
        text = text.strip()
        self.shown_path = text
        self.path_edit.setText(text)
        self._forget_result()
        if not text:
            self._show_kind("")
            return
        path = Path(text).expanduser()
        if not path.exists():
            self._show_kind("")
            self._clear_preview()
            self._show_problem(f"no such file or folder: {path}")
            return
        importer = importer_for(path)
        self._show_kind(importer.name)
        try:
            self._show_peek(importer.peek(path))
        except ImportProblem as e:
            self._clear_preview()   # the file before's format and rows are not this one's
            self._show_problem("\n".join(e.problems))
            self.import_button.setEnabled(False)

    def _clear_preview(self) -> None:
        self.format_label.setText("")
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.preview.setCurrentWidget(self.empty)
        self.preview_title.setText("Preview")

    def _show_peek(self, peek) -> None:
        """What the file holds, before importing: the format, the form's options, the first rows."""
        self.format_label.setText(peek.summary)
        self.import_form.fill(peek)
        self.table.clear()
        self.table.setRowCount(0)
        if peek.rows:
            self.table.setColumnCount(len(peek.header))
            self.table.setRowCount(len(peek.rows))
            self.table.setHorizontalHeaderLabels(peek.header)
            self.table.setVerticalHeaderLabels([str(k + peek.first_row) for k in range(len(peek.rows))])
            for r, row in enumerate(peek.rows):
                for c, value in enumerate(row):
                    self.table.setItem(r, c, QTableWidgetItem(value))
            self.table.resizeColumnsToContents()
            self.preview.setCurrentWidget(self.table)
            self.preview_title.setText(peek.caption)
        else:
            self.preview.setCurrentWidget(self.empty)
            self.empty.setText(peek.caption)
            self.preview_title.setText("Preview")   # not the last file's plot title over this file's note
        if peek.problem:
            self._show_problem(peek.problem)
            self.import_button.setEnabled(False)

    def _options_changed(self) -> None:
        self._forget_result()

    # ------------------------------------------------------------------ importing
    def params(self) -> dict:
        """The data set's parameters as the preset will hold them (without the digest)."""
        return {"path": self.path_edit.text().strip(), **self.import_form.values()}

    def start_import(self) -> None:
        if self.task is not None or not self.kind:
            return
        self._forget_result()
        self.result.setText("Importing…")
        kind, params = self.kind, dict(self.params())
        self._import_params = params
        self.task = BackgroundTask(lambda task: run_import(kind, params, task), self, kind="import")
        self.task.progress.connect(self._on_progress)
        self.task.done.connect(self._on_done)
        self.task.failed.connect(self._on_failed)
        self._set_running(True)
        self.task.start()

    def cancel_import(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.result.setText("Cancelling…")

    def _end_thread(self) -> None:
        if self.task is not None:
            self.task.join(IMPORT_JOIN_S)
            self.task.deleteLater()
            self.task = None
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self.import_button.setEnabled(not running and bool(self.kind))
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        self.progress.setValue(0)
        for w in (self.file_button, self.folder_button, self.path_edit, self.options):
            w.setEnabled(not running)
        self.use_button.setEnabled(not running and self.report is not None)

    @Slot(float)
    def _on_progress(self, share: float) -> None:
        self.progress.setValue(int(share * 1000))
        if self.task is not None and not self.task.cancelled:
            self.result.setText(f"Importing… {share:.0%} read")

    @Slot(object)
    def _on_done(self, imported: tuple | None) -> None:
        self._end_thread()
        if imported is None:
            self.result.setText("Import cancelled: nothing was changed.")
            return
        dataset, report = imported
        self._imported_params = self._import_params
        self.dataset, self.report = dataset, report
        self.result.setText(report_html(report))
        self._show_fit_hint(report)
        self._draw(dataset, report)
        self.use_button.setEnabled(True)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end_thread()
        self._show_problem(message)

    @Slot(str)
    def _digest_hovered(self, link: str) -> None:
        if link.startswith(DIGEST_LINK):
            QToolTip.showText(QCursor.pos(), f"SHA-256 of the file: {link[len(DIGEST_LINK):]}\n(click to copy it)",
                              self.result)
        else:
            QToolTip.hideText()

    @Slot(str)
    def _copy_digest(self, link: str) -> None:
        """The shortened digest's link puts the whole SHA-256 on the clipboard."""
        if link.startswith(DIGEST_LINK):
            QApplication.clipboard().setText(link[len(DIGEST_LINK):])
            QToolTip.showText(QCursor.pos(), "Copied the file's SHA-256", self.result)

    def _show_problem(self, message: str) -> None:
        lines = "<br>".join(html.escape(breakable(m), quote=False).replace("  ", "&nbsp;&nbsp;") for m in message.split("\n"))
        self.result.setText(f"<p style='color:#d1242f'><b>Cannot import</b><br>{lines}</p>")

    def _forget_result(self) -> None:
        if self.task is not None:
            return
        self.report = self.dataset = None
        self._imported_params = None
        self.result.setText("")
        self.fit_hint.setText("")
        self.fit_box.setVisible(False)
        self.use_button.setEnabled(False)
        if self.preview.currentWidget() in (self.plot_holder, self.grid_page):
            self.preview.setCurrentWidget(self.table if self.table.rowCount() else self.empty)

    def _output_units(self, loss: str) -> tuple[int, str]:
        """The output size the imported data needs under `loss` (the engine's rule)."""
        from playground.network.fit import output_units
        return output_units(loss, self.dataset.n_classes, tuple(self.dataset.target_shape))

    def _show_fit_hint(self, report) -> None:
        want = tuple(report.input_shape)
        parts = []
        if self.network_input is not None and tuple(self.network_input) != want:
            parts.append(f"Your network's Input takes {fmt(self.network_input)}; this data has {fmt(want)}: "
                         f"set the Input shape to {fmt(want)}")
        from playground.network.fit import loss_for_targets
        switch = loss_for_targets(self.loss, self.dataset.n_classes)
        if switch:   # the preset's class loss cannot train these targets: fitting sets the loss too
            parts.append(f"the loss {self.loss} compares outputs with classes, and this data has real-valued "
                         f"targets: the loss must be {switch} (or l1)")
        units, why = self._output_units(switch or self.loss)
        parts.append(f"the output needs {units} value{'s' if units != 1 else ''} ({why})")
        self.fit_hint.setText("; ".join(parts) + ("." if parts else ""))
        same_rank = self.network_input is None or len(self.network_input) == len(want)
        self.fit_box.setVisible(bool(parts) and same_rank)  # sizes only: never an MLP into a CNN

    def _use(self) -> None:
        if self.report is None or self._imported_params is None:
            return
        params = dict(self._imported_params, sha256=self.report.sha256)
        params = {k: v for k, v in params.items() if v != ""}
        self.use_data.emit(DataSpec(self.kind, params), self.fit_box.isVisible() and self.fit_box.isChecked())
        self.accept()

    def _stop(self) -> None:
        self.cancel_import()
        self._end_thread()

    def closeEvent(self, event) -> None:  # noqa: N802  (Qt's name)
        self._stop()
        super().closeEvent(event)

    def done(self, result: int) -> None:  # accept/reject: never leave the thread running
        self.cancel_import()
        self._end_thread()
        super().done(result)

    # ------------------------------------------------------------------ preview
    def _draw(self, dataset, report) -> None:
        if dataset.kind == "image":
            self._draw_images(dataset, report)
        elif dataset.input_shape[0] >= 2 or report.task == "regression":
            self._draw_scatter(dataset, report)

    def _draw_scatter(self, dataset, report) -> None:
        import pyqtgraph as pg

        from widgets.data_preview import MAX_NAMED, class_scatter, sample_rows
        if self.plot is None:
            self.plot = pg.PlotWidget(background="w")
            self.plot.setMenuEnabled(False)
            self.plot.hideButtons()
            self.plot_holder.layout().addWidget(self.plot)
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is None:
            # A backing, so points under it do not run through the class names.
            item.addLegend(offset=(-10, 10), labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 215))
        item.legend.clear()
        rows = sample_rows(len(dataset.x_train), MAX_POINTS)
        x = dataset.unstandardize(dataset.x_train[rows])
        y = np.asarray(dataset.y_train)[rows]
        names = report.feature_names or [f"x{k + 1}" for k in range(x.shape[1])]
        if x.shape[1] >= 2:
            a, b, xlabel, ylabel = x[:, 0], x[:, 1], names[0], names[1]
        else:
            a, b, xlabel, ylabel = x[:, 0], y.reshape(len(y), -1)[:, 0], names[0], report.label or "target"
        if report.n_classes and x.shape[1] >= 2:
            class_scatter(item, a, b, y, list(report.class_names), size=6)
        else:
            values = y.reshape(len(y), -1)[:, 0].astype(float) if x.shape[1] >= 2 else np.zeros(len(a))
            span = float(np.ptp(values)) or 1.0
            lut = pg.colormap.get("viridis").getLookupTable(nPts=256)
            brushes = [pg.mkBrush(*lut[int(v)]) for v in (values - values.min()) / span * 255]
            item.addItem(pg.ScatterPlotItem(a, b, size=6, pen=None, brush=brushes))
        item.setLabel("bottom", xlabel)
        item.setLabel("left", ylabel)
        self.preview.setCurrentWidget(self.plot_holder)
        more = f" (of {x.shape[1]} inputs)" if x.shape[1] > 2 else ""
        sampled = f"; {len(rows):,} of its {len(dataset.x_train):,} samples, sampled" \
            if len(rows) < len(dataset.x_train) else ""
        many = f"; colours repeat over the {report.n_classes:,} classes" if report.n_classes > MAX_NAMED else ""
        self.preview_title.setText(f"The training split: {xlabel} against {ylabel}{more}, "
                                   f"in the data's own units{sampled}{many}")

    def _draw_images(self, dataset, report) -> None:
        while self.grid.count():
            w = self.grid.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        y = np.asarray(dataset.y_train)
        per_class = max(1, GRID_IMAGES // max(1, report.n_classes))
        picks = [int(k) for c in range(min(report.n_classes, GRID_IMAGES))
                 for k in np.flatnonzero(y == c)[:per_class]][:GRID_IMAGES]
        shown = dataset.x_train[picks]   # only the images drawn, not the whole training split
        x = dict(zip(picks, dataset.unstandardize(shown) if dataset.mean is not None else shown))
        for n, k in enumerate(picks):
            cell = QLabel()
            cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cell.setPixmap(thumbnail(x[k]))
            cell.setToolTip(report.class_names[int(y[k])])
            caption = QLabel(report.class_names[int(y[k])])
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setObjectName("hint")
            box = QWidget()
            v = QVBoxLayout(box)
            v.setContentsMargins(0, 0, 0, 0)
            v.setSpacing(0)
            v.addWidget(cell)
            v.addWidget(caption)
            self.grid.addWidget(box, n // GRID_COLUMNS, n % GRID_COLUMNS)
        self.preview.setCurrentWidget(self.grid_page)
        c, h, w = dataset.input_shape
        self.preview_title.setText(f"Training images by class, resized to {w}×{h} "
                                   f"({'colour' if c == 3 else 'grayscale'})")


def thumbnail(image: np.ndarray) -> QPixmap:
    """A (C, H, W) image in [0, 1] as a pixmap scaled up without smoothing (pixels stay visible)."""
    pixels = np.clip(image * 255.0, 0, 255).astype(np.uint8)
    if pixels.shape[0] == 3:
        rgb = np.ascontiguousarray(pixels.transpose(1, 2, 0))
        q = QImage(rgb.data, rgb.shape[1], rgb.shape[0], 3 * rgb.shape[1], QImage.Format.Format_RGB888)
    else:
        gray = np.ascontiguousarray(pixels[0])
        q = QImage(gray.data, gray.shape[1], gray.shape[0], gray.shape[1], QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(q.copy()).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                              Qt.TransformationMode.FastTransformation)


def fmt(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


LINE_STYLES = {"summary": "<b>{}</b>", "fact": "{}", "left_out": "<b>{}</b>",
               "warning": "<span style='color:#9a6700'>⚠ {}</span>", "digest": "<span style='color:#666'>{}</span>"}
"""How the page sets each kind of report line (the engine's `ReportLine.kind`)."""


def breakable(text: str) -> str:
    """`text` with zero-width spaces in its long words (after '_' or '.', or every `LONG_WORD`
    characters), where a QLabel may wrap: it never breaks inside a word, and one long word made the
    report wider than its column. Paths already break after their '/'."""
    def soften(word: re.Match) -> str:
        parts = re.sub(r"([_.])(?=.)", "\\1\u200b", word.group(0))
        return re.sub(f"[^\u200b]{{{LONG_WORD}}}(?=[^\u200b])", lambda m: m.group(0) + "\u200b", parts)
    return re.sub(f"[^\\s/]{{{LONG_WORD + 1},}}", soften, text)


def short_digest(sha256: str) -> str:
    """The digest as the report shows it: its first `SHORT_DIGEST` hex digits and '…'."""
    return sha256[:SHORT_DIGEST] + "…" if len(sha256) > SHORT_DIGEST else sha256


def line_html(text: str, sha256: str = "") -> str:
    """One engine line, escaped and breakable; the digest, if given, shortened into a link that
    holds the whole of it (the terminal prints the whole digest; here it would not wrap)."""
    if not sha256 or sha256 not in text:
        return html.escape(breakable(text), quote=False)
    link = f"<a href='{DIGEST_LINK}{sha256}' style='color:#666'>{short_digest(sha256)}</a>"
    return link.join(html.escape(breakable(part), quote=False) for part in text.split(sha256))


def report_html(report) -> str:
    """The engine's report lines as the page shows them: the same lines the terminal prints, with
    the SHA-256 shortened (in full in its link) and long words given places to wrap."""
    out = []
    for line in report.lines():
        digest = report.sha256 if line.kind == "digest" else ""
        text = LINE_STYLES.get(line.kind, "{}").format(line_html(line.text, digest))
        if line.items:
            text += "<ul style='margin:0'>" + "".join(f"<li>{line_html(i)}</li>" for i in line.items) + "</ul>"
        out.append(text)
    return "<br>".join(out)


def fit_network(doc, report, dataset) -> None:
    """Set the Input's shape to the data's, the loss to one real-valued targets can train where the
    preset's compares with classes, and the output layer's size to the classes (or targets), as
    undoable edits. Only sizes change: a network for points is not turned into a CNN."""
    from widgets.commands import SetParam
    model = doc.model
    inputs = [n for n in model.nodes if n.type == "Input"]
    if inputs and list(inputs[0].params.get("shape", [])) != list(report.input_shape):
        doc.push(SetParam(doc, inputs[0].id, "shape", list(report.input_shape)))
    from playground.network.fit import loss_for_targets, output_units
    from widgets.commands import SetTraining
    switch = loss_for_targets(doc.preset.training.loss, dataset.n_classes)
    if switch:   # a class loss on real-valued targets: training would be refused
        doc.push(SetTraining(doc, "loss", switch))
    out_id = doc.model.output_id()
    out = next((n for n in doc.model.nodes if n.id == out_id), None)
    want = output_units(doc.preset.training.loss, dataset.n_classes, dataset.target_shape)[0]
    if out is not None and out.type == "Linear" and out.params.get("out_features") != want:
        doc.push(SetParam(doc, out.id, "out_features", want))


def open_data_page(window) -> DataPage:
    """Open the data page over the main window; "Use this data" becomes one undoable edit."""
    from playground.data.importers import IMPORTERS
    from widgets.commands import SetData

    doc = window.doc
    inputs = [n for n in doc.preset.model.nodes if n.type == "Input"]
    shape = tuple(inputs[0].params.get("shape", ())) if inputs else None
    current = doc.preset.data
    path = current.params.get("path", "") if current.name in IMPORTERS else ""
    page = DataPage(window, shape or None, start_dir=str(Path(path).parent) if path else "",
                    loss=doc.preset.training.loss)
    page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if path:
        page.set_path(path)

    def use(spec: DataSpec, fit: bool) -> None:
        name = Path(spec.params["path"]).name
        if page.dataset is not None:   # read once, off the GUI thread: the fit check and preview reuse it
            doc.data_reader.remember(spec, page.dataset)
        doc.undo_stack.beginMacro(f"Use data {name}")
        doc.push(SetData(doc, spec, f"Use data {name}"))
        if fit and page.report is not None:
            fit_network(doc, page.report, page.dataset)
        doc.undo_stack.endMacro()
        window.statusBar().showMessage(f"Training now uses {spec.params['path']} (kept in the preset with "
                                       f"its SHA-256)", 8000)

    page.use_data.connect(use)
    window.data_page = page
    page.open()
    return page
