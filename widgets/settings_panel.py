"""Data and training settings: editors built from the declared Params, every change undoable.
Choosing another optimizer sets its own hyper-parameters to their defaults (the engine's
`optimizer_change`) in the same undoable edit.

The data panel lists the data-set registry and that set's own parameters, with a preview
(scatter, image grid or sequence plot). The training panel shows `TRAINING_PARAMS` in sections
a course follows (objective, optimizer, schedule, regularization, autoencoder terms,
semi-supervised and pretraining, run);
a setting the engine declares but no section names still appears, under "Other".
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QFrame, QGroupBox, QLabel, QMessageBox, QScrollArea, QVBoxLayout, QWidget)

from playground.network.applies import inapplicable_settings, optimizer_change
from playground.params import Param
from playground.network.spec import HOT_SETTINGS, SETTING_LABELS, TRAINING_PARAMS
from widgets import commands as cmd
from widgets.document import Document
from widgets.help import setting_anchor
from widgets.param_editors import help_button, labelled, make_editor, tooltip

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Objective", ("mode", "loss", "target")),
    ("Optimizer", ("optimizer", "lr", "momentum", "momentum_schedule", "momentum_start",
                   "momentum_warmup_epochs", "alpha", "beta1", "beta2", "weight_decay", "grad_clip")),
    ("Learning-rate schedule", ("schedule", "step_size", "gamma", "decay", "warmup_steps", "min_lr")),
    ("Loss extra terms", ("l1", "l2", "max_norm")),
    ("Autoencoder terms", ("code_node", "sparsity", "sparsity_weight", "sparsity_target", "contractive",
                           "kl_weight")),
    ("Semi-supervised and pretraining", ("entropy_weight", "self_training", "self_training_every", "warm_start",
                                         "warm_start_layers", "freeze_epochs")),
    ("Run", ("batch_size", "epochs", "seed", "device", "early_stopping", "probe_every")),
)
"""How the training settings are grouped on screen (presentation only; the Params are the engine's)."""


def available_devices() -> list[tuple[str, str]]:
    """(value, label) for every device this machine has; torch is imported here, lazily."""
    import torch
    out = [("auto", "auto (best available)"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            out.append((f"cuda:{i}", f"cuda:{i} — {torch.cuda.get_device_name(i)}"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append(("mps", "MPS (Apple GPU)"))
    return out


class ValueCombo(QComboBox):
    """A choice among values known only at run time (devices, node ids), with `edited`."""

    edited = Signal(object)

    def __init__(self, p: Param, options: list[tuple[str, str]], value, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = p
        self.setToolTip(tooltip(p))
        self.set_options(options, value)
        self.activated.connect(lambda k: self.edited.emit(self.itemData(k)))

    def set_options(self, options: list[tuple[str, str]], value) -> None:
        self.blockSignals(True)
        self.clear()
        for v, label in options:
            self.addItem(label, v)
        self.blockSignals(False)
        self.set_value(value)

    def set_value(self, value) -> None:
        self.blockSignals(True)
        k = self.findData(value)
        if k < 0:
            self.addItem(f"{value} (not on this machine)" if self.param.name == "device" else str(value), value)
            k = self.count() - 1
        self.setCurrentIndex(k)
        self.blockSignals(False)


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.setVerticalSpacing(5)
    return form


def lr_warning(lr: float) -> str:
    """What the field says beside a learning rate above the range the engine's learning-rate
    finder sweeps (the value is still taken: it may be a lesson on divergence)."""
    from playground.babysit.lr_find import END_LR, START_LR
    if lr <= END_LR:
        return ""
    return (f"⚠ η = {lr:g} is above {END_LR:g}, the top of the range the learning-rate finder sweeps "
            f"({START_LR:g} to {END_LR:g}): the loss will likely diverge. Train ▸ Find Learning Rate suggests one.")


def lr_question(lr: float) -> str:
    """The question a learning rate above the finder's range (`lr_find.END_LR`) asks, once per
    window: the lr_warning's threshold, so the question and the warning under the field agree."""
    from playground.babysit.lr_find import short_number   # torch: not at start-up
    from playground.network.spec import USUAL_LR_RANGE
    low, high = USUAL_LR_RANGE
    return (f"Learning rate {lr:g} is far above the usual range ({short_number(low)} … {short_number(high)}): "
            "with it the loss will most likely diverge to NaN within a few steps. That can be the lesson "
            "(watching a run diverge); otherwise Train ▸ Find Learning Rate suggests a rate.\n\nUse it anyway?")


def setting_label(name: str) -> str:
    """A training setting's label: the notes' symbol where it has one (momentum ρ, RMSProp α)."""
    return SETTING_LABELS.get(name, name.replace("_", " "))


class DataSettings(QScrollArea):
    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.live = False
        self.editors: dict[str, QWidget] = {}
        self._form_for = ""
        self.preview = None
        self.reading = False
        """The preview waits for its data set, being read off the GUI thread."""
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(200)
        self._preview_timer.timeout.connect(self.update_preview)
        hint = QLabel("Loading data sets…")
        hint.setObjectName("hint")
        self.setWidget(hint)
        doc.data_changed.connect(self.refresh)
        doc.replaced.connect(self.refresh)
        doc.data_reader.read.connect(self._on_read)

    def populate(self) -> None:
        from playground.data import DATASETS
        from widgets.data_preview import DataPreview
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        top = _form()
        self.combo = QComboBox()
        self.combo.setObjectName("dataset")
        # as wide as the dock, not as its longest title ("Your CSV file  (points)" made the
        # dock scroll sideways and cut the help and the legend); the open list shows whole titles
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(8)
        for name, entry in DATASETS.items():
            self.combo.addItem(f"{entry.title}  ({entry.kind})", name)
            self.combo.setItemData(self.combo.count() - 1, entry.help, Qt.ItemDataRole.ToolTipRole)
        self.combo.activated.connect(self._choose)
        top.addRow("data set", self.combo)
        layout.addLayout(top)
        self.help = QLabel()
        self.help.setObjectName("hint")
        self.help.setWordWrap(True)
        layout.addWidget(self.help)
        self.preview = DataPreview()
        layout.addWidget(self.preview)
        self.params_box = QGroupBox("Parameters")
        self.params_form = _form()
        # a dock narrower than a label and its field ("corruption amount", a seed's spin box) puts
        # the field under its label rather than scrolling sideways
        self.params_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.params_box.setLayout(self.params_form)
        layout.addWidget(self.params_box)
        layout.addStretch(1)
        self.setWidget(body)
        self.live = True
        self.refresh()

    def refresh(self) -> None:
        if not self.live:
            return
        from playground.data import DATASETS
        data = self.doc.preset.data
        entry = DATASETS.get(data.name)
        k = self.combo.findData(data.name)
        self.combo.setCurrentIndex(k)
        self.help.setText(entry.help if entry else f"Unknown data set {data.name!r}")
        if self._form_for != data.name:
            while self.params_form.rowCount():
                self.params_form.removeRow(0)
            self.editors = {}
            for p in (entry.params if entry else ()):
                editor = make_editor(p, data.params.get(p.name, p.default))
                editor.edited.connect(lambda v, name=p.name: self._set(name, v))
                label = QLabel(p.name.replace("_", " "))
                label.setToolTip(tooltip(p))
                self.params_form.addRow(label, editor)
                self.editors[p.name] = editor
            self._form_for = data.name
        elif entry:
            for p in entry.params:
                self.editors[p.name].set_value(data.params.get(p.name, p.default))
        self._preview_timer.start()

    def update_preview(self) -> None:
        """Draw the data set, which is made on a worker thread (a person's file may be large,
        slow or hostile); until it arrives the preview says it is being read."""
        if self.preview is None:
            return
        data = self.doc.preset.data
        read = self.doc.data_reader.latest(data.name, data.params)   # starts a read when needed
        self.reading = read is None
        if read is None:
            self.preview.show_reading()
        else:
            self._show(read)

    @Slot(object)
    def _on_read(self, read) -> None:
        from widgets.data_reading import spec_key
        data = self.doc.preset.data
        if self.preview is not None and self.reading and read.key == spec_key(data.name, data.params):
            self.reading = False
            self._show(read)

    def _show(self, read) -> None:
        if read.error:   # the engine's message says which parameter or file is wrong
            self.preview.show_error(read.error)
        else:
            self.preview.show_dataset(read.dataset)

    def _choose(self, k: int) -> None:
        name = self.combo.itemData(k)
        if name != self.doc.preset.data.name:
            self.doc.push(cmd.SetData.choose(self.doc, name))

    def _set(self, name: str, value) -> None:
        if self.doc.preset.data.params.get(name, object()) != value:
            self.doc.push(cmd.SetData.param(self.doc, name, value))


class TrainingSettings(QScrollArea):
    """The training settings in sections; a setting that does not apply to this preset (momentum
    with Adam, autoencoder terms for a classifier) is hidden, and its section's note says which
    are hidden and why, so the list stays short and nothing is turned in vain."""

    help_requested = Signal(str)
    """A "?" was pressed: open the concept notes at this anchor."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.live = False
        self.editors: dict[str, QWidget] = {}
        self.rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self.field_notes: dict[str, QLabel] = {}
        """Setting name → the line under its field: a refused value's range, or a warning."""
        self.sections: list[tuple[QGroupBox, QFormLayout, tuple[str, ...], QLabel]] = []
        self.hidden: dict[str, str] = {}
        """Setting name → why it is hidden (it does not apply to this preset)."""
        self.large_lr_accepted = False
        """The student said Yes to a learning rate above `lr_find.END_LR`: this window asks no more."""
        hint = QLabel("Loading…")
        hint.setObjectName("hint")
        self.setWidget(hint)
        doc.training_changed.connect(self._on_setting)
        doc.replaced.connect(self.refresh)
        doc.model_changed.connect(lambda _: self._on_model())
        doc.data_changed.connect(self._show_what_applies)   # labels_per_class makes the semi-supervised settings apply

    def populate(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(8)
        declared = {p.name: p for p in TRAINING_PARAMS}
        placed = {n for _, names in SECTIONS for n in names}
        sections = list(SECTIONS) + [("Other", tuple(n for n in declared if n not in placed))]
        values = self.doc.preset.training
        for title, names in sections:
            names = tuple(n for n in names if n in declared)
            if not names:
                continue
            box = QGroupBox(title)
            form = _form()
            for name in names:
                p = declared[name]
                editor = self._editor(p, getattr(values, name))
                editor.edited.connect(lambda v, n=name: self._set(n, v))
                tip = tooltip(p) + ("<p><i>⚡ applies to a running training at its next step</i></p>"
                                    if name in HOT_SETTINGS else "")
                label = labelled(setting_label(name) + (" ⚡" if name in HOT_SETTINGS else ""), tip,
                                 help_button(setting_anchor(name), self.help_requested.emit, f"the notes on {name}"))
                form.addRow(label, editor)
                self.editors[name] = editor
                self.rows[name] = (form, editor)
                if hasattr(editor, "refused"):
                    field_note = QLabel()
                    field_note.setObjectName("warningText")
                    field_note.setWordWrap(True)
                    field_note.hide()
                    form.addRow(field_note)
                    self.field_notes[name] = field_note
                    editor.refused.connect(lambda text, n=name: self._show_note(n, text))
            note = QLabel()
            note.setObjectName("hint")
            note.setWordWrap(True)
            form.addRow(note)
            box.setLayout(form)
            layout.addWidget(box)
            self.sections.append((box, form, names, note))
        layout.addStretch(1)
        for combo in body.findChildren(QComboBox):   # long choices must not widen the dock
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(body)
        self.live = True
        self.refresh()

    def _editor(self, p: Param, value) -> QWidget:
        if p.name == "device":
            return ValueCombo(p, available_devices(), value)
        if p.name == "code_node":
            return ValueCombo(p, self._code_options(), value)
        editor = make_editor(p, value)
        return editor

    def _code_options(self) -> list[tuple[str, str]]:
        return [("", "(none)")] + [(nid, nid) for nid in self.doc.model.ids()]

    def _refresh_code_nodes(self) -> None:
        ed = self.editors.get("code_node")
        if isinstance(ed, ValueCombo):
            ed.set_options(self._code_options(), self.doc.preset.training.code_node)

    def refresh(self) -> None:
        if not self.live:
            return
        self._refresh_code_nodes()
        for name, ed in self.editors.items():
            ed.set_value(getattr(self.doc.preset.training, name))
        self._show_what_applies()
        self._show_note("lr", "")

    def _on_model(self) -> None:
        self._refresh_code_nodes()
        self._show_what_applies()   # a Sampling node makes the KL weight apply

    def _on_setting(self, name: str) -> None:
        ed = self.editors.get(name)
        if ed is not None:
            ed.set_value(getattr(self.doc.preset.training, name))
        self._show_what_applies()
        if name in self.field_notes:
            self._show_note(name, "")   # a value was taken: the refusal no longer stands

    def _show_note(self, name: str, refusal: str) -> None:
        """The line under a field: why a typed value was refused, else the engine's warning."""
        note = self.field_notes.get(name)
        if note is None:
            return
        text = refusal or (lr_warning(self.doc.preset.training.lr) if name == "lr" else "")
        note.setText(text)
        note.setVisible(bool(text) and name not in self.hidden)

    def _show_what_applies(self) -> None:
        if not self.live:
            return
        self.hidden = inapplicable_settings(self.doc.preset)
        for name, (form, editor) in self.rows.items():
            form.setRowVisible(editor, name not in self.hidden)
        for box, _form, names, note in self.sections:
            hidden = [n for n in names if n in self.hidden]
            reasons: dict[str, list[str]] = {}
            for n in hidden:
                reasons.setdefault(self.hidden[n], []).append(n)
            if len(hidden) == len(names) and len(reasons) == 1:
                note.setText(f"Not used here: {next(iter(reasons))}.")
            else:
                note.setText("\n".join(f"Hidden: {', '.join(setting_label(n) for n in ns)} ({why})"
                                       for why, ns in reasons.items()))
            note.setVisible(bool(hidden))

    def _set(self, name: str, value) -> None:
        if getattr(self.doc.preset.training, name) == value:
            return
        if name == "lr" and not self._large_lr_taken(value):
            self.editors["lr"].set_value(self.doc.preset.training.lr)   # No: the previous rate stays
            return
        if name != "optimizer":
            self.doc.push(cmd.SetTraining(self.doc, name, value))
            return
        # Another optimizer brings its own hyper-parameters at their defaults (the engine's table):
        # one undoable edit, so Undo gives back the old optimizer with its own values.
        changes = optimizer_change(self.doc.preset.training, value)
        stack = self.doc.undo_stack
        stack.beginMacro(f"Use optimizer {value}")
        try:
            for setting, new in changes.items():
                self.doc.push(cmd.SetTraining(self.doc, setting, new))
        finally:
            stack.endMacro()

    def _large_lr_taken(self, lr: float) -> bool:
        """Whether a typed learning rate may be taken: one far outside the usual range asks
        first (above the top of the finder's sweep, where `lr_warning` warns), until the student
        has once said Yes in this window."""
        from playground.babysit.lr_find import END_LR   # torch: not at start-up
        if lr <= END_LR or self.large_lr_accepted:
            return True
        answer = QMessageBox.question(
            self, "Unusual learning rate", lr_question(lr),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        self.large_lr_accepted = answer == QMessageBox.StandardButton.Yes
        return self.large_lr_accepted
