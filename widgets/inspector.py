"""The inspector: the selected layer's parameters as proper editors, applied at once, undoable.

With nothing selected it summarises the network (its input and output shapes and every
problem the engine found), so a person always sees why Train is disabled.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QScrollArea, QVBoxLayout,
    QWidget)

from playground.network.applies import inapplicable_params
from playground.network.graph_edits import EditRefused
from widgets import commands as cmd
from widgets.document import Document, problem_text
from widgets.help import layer_anchor
from widgets.param_editors import help_button, labelled, make_editor, tooltip
from widgets.theme import group_colour


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DescriptionEdit(QPlainTextEdit):
    """The preset's description: committed when the person leaves the box."""

    committed = Signal()

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setObjectName("preset_description")
        self.setPlaceholderText("What this preset shows…")
        self.setFixedHeight(72)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.committed.emit()


def _show_link(problem) -> str:
    """A "show" link after a layer's problem: the layer may lie outside the canvas' view."""
    nid = getattr(problem, "node_id", "")
    return f" <a href='node:{_esc(nid)}'>show</a>" if nid else ""


class Inspector(QScrollArea):
    help_requested = Signal(str)
    node_requested = Signal(str)
    """A problem's "show" link was clicked: the window selects that layer and scrolls it into view."""
    """A "?" was pressed: open the concept notes at this anchor."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.live = False
        self.ids: list[str] = []
        self.editors: dict[str, QWidget] = {}
        self._shown: tuple | None = None  # (node id, type) the editors were built for
        self.param_labels: dict[str, QWidget] = {}
        self._body: QWidget | None = None
        self._summary = False
        doc.model_changed.connect(lambda _: self.refresh())
        doc.data_changed.connect(self.refresh)   # whether the output fits follows the data and loss
        doc.data_read.connect(self.refresh)      # ... and a person's file, once read off the GUI thread
        doc.training_changed.connect(lambda _: self.refresh())
        doc.replaced.connect(lambda: self.show_nodes([]))
        doc.meta_changed.connect(self._on_meta)
        self._placeholder("Loading…")

    # ---- what to show
    def show_nodes(self, ids: list[str]) -> None:
        self.ids = list(ids)
        self.refresh()

    def refresh(self) -> None:
        if not self.live:
            return
        present = [i for i in self.ids if i in self.doc.model.ids()]
        self.ids = present
        if len(present) == 1:
            node = self.doc.model.node(present[0])
            if self._shown == (node.id, node.type):
                self._update_node(node)
            else:
                self._build_node(node)
        elif len(present) > 1:
            self._build_many(present)
        else:
            self._build_summary()

    # ---- building
    def _on_meta(self) -> None:
        if self._summary:
            self.name_edit.setText(self.doc.preset.name)
            if self.description_edit.toPlainText().strip() != self.doc.preset.description:
                self.description_edit.setPlainText(self.doc.preset.description)

    def _new_body(self) -> QVBoxLayout:
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()  # may be inside one of its own signals: delete it later
        self._summary = False
        self._body = QWidget()
        self._body.setObjectName("inspectorBody")
        layout = QVBoxLayout(self._body)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        self.setWidget(self._body)
        self.editors = {}
        self.param_labels = {}
        self._shown = None
        return layout

    def _placeholder(self, text: str) -> None:
        layout = self._new_body()
        label = QLabel(text)
        label.setObjectName("hint")
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addStretch(1)

    def _build_summary(self) -> None:
        layout = self._new_body()
        spec, report = self.doc.model, self.doc.report
        meta = QFormLayout()
        meta.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.name_edit = QLineEdit(self.doc.preset.name)
        self.name_edit.setObjectName("preset_name")
        self.name_edit.editingFinished.connect(self._set_meta)
        meta.addRow("preset", self.name_edit)
        self.description_edit = DescriptionEdit(self.doc.preset.description)
        self.description_edit.committed.connect(self._set_meta)
        meta.addRow("about", self.description_edit)
        from playground.network.preset_text import data_note
        note = data_note(self.doc.preset.name, self.doc.preset.data)   # the text describes other data?
        if note:
            stale = QLabel(note)
            stale.setObjectName("description_data_note")
            stale.setWordWrap(True)
            meta.addRow("", stale)
        layout.addLayout(meta)
        self._summary = True
        from playground.layers import fmt_shape
        facts = [f"{len(spec.nodes)} layer{'s' if len(spec.nodes) != 1 else ''}"]
        if report.input_id in report.shapes:
            facts.append(f"input {fmt_shape(report.shapes[report.input_id])}")
        if report.output_id in report.shapes:
            facts.append(f"output {fmt_shape(report.shapes[report.output_id])} from '{report.output_id}'")
        layout.addWidget(self._wrapped(" · ".join(facts)))
        errors = self.doc.problems   # shapes, data and loss: what Train waits for
        if errors:
            box = self._wrapped("<b>Problems</b><ul style='margin-left:-20px'>"
                                + "".join(f"<li>{_esc(problem_text(p))}{_show_link(p)}</li>" for p in errors) + "</ul>")
            box.setObjectName("errorBox")
            box.setTextInteractionFlags(box.textInteractionFlags() | Qt.TextInteractionFlag.LinksAccessibleByMouse)
            box.linkActivated.connect(lambda href: self.node_requested.emit(href.partition(":")[2]))
            layout.addWidget(box)
        else:
            ok = self._wrapped("✓ The network is complete: every shape fits, and it fits the data and loss.")
            ok.setObjectName("okBox")
            layout.addWidget(ok)
        hint = self._wrapped("Select a layer to edit it. Drag layers in from the palette; drag from a "
                             "layer's lower port to another's upper port to connect them.")
        hint.setObjectName("hint")
        layout.addWidget(hint)
        layout.addStretch(1)

    def _build_many(self, ids: list[str]) -> None:
        layout = self._new_body()
        layout.addWidget(QLabel(f"<b>{len(ids)} layers selected</b>"))
        layout.addWidget(self._wrapped(", ".join(ids)))
        hint = self._wrapped("Delete, copy or move them together; select one to edit its parameters.")
        hint.setObjectName("hint")
        layout.addWidget(hint)
        layout.addStretch(1)

    def _build_node(self, node) -> None:
        from playground.layers import CATALOGUE
        layout = self._new_body()
        layer = CATALOGUE.get(node.type)
        head = QLabel(f"<span style='font-size:15px'><b>{_esc(node.type)}</b></span>"
                      f"&nbsp;&nbsp;<span style='color:{group_colour(layer.group if layer else '')}'>"
                      f"{_esc(layer.group) if layer else 'unknown type'}</span>")
        head.setObjectName("inspectorTitle")
        title_row = QHBoxLayout()
        title_row.addWidget(head, 1)
        if layer:
            title_row.addWidget(help_button(layer_anchor(node.type), self.help_requested.emit,
                                            f"the notes on {node.type}"))
        layout.addLayout(title_row)
        if layer:
            layout.addWidget(self._wrapped(_esc(layer.help), "hint"))
        self.error_label = self._wrapped("", "errorBox")
        layout.addWidget(self.error_label)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.id_edit = QLineEdit(node.id)
        self.id_edit.setObjectName("node_id")
        self.id_edit.setToolTip("The layer's name: the built model's attribute and the key of its weights")
        self.id_edit.editingFinished.connect(self._rename)
        form.addRow("id", self.id_edit)
        self.shape_label = QLabel()
        self.shape_label.setObjectName("shapeLabel")
        form.addRow("output", self.shape_label)
        self.inputs_label = QLabel()
        self.inputs_label.setWordWrap(True)
        form.addRow("inputs", self.inputs_label)
        self.output_check = QCheckBox("the network's output")
        self.output_check.setToolTip("Needed when several layers feed nothing: which one the loss reads")
        self.output_check.toggled.connect(self._toggle_output)
        form.addRow("", self.output_check)
        layout.addLayout(form)

        if layer and layer.params:
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            line.setObjectName("separator")
            layout.addWidget(line)
            params = QFormLayout()
            params.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            params.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            for p in layer.params:
                value = node.params.get(p.name, p.default)
                editor = make_editor(p, value)
                editor.edited.connect(lambda v, name=p.name: self._set_param(name, v))
                label = labelled(p.name, tooltip(p), help_button(layer_anchor(node.type, p.name),
                                                                 self.help_requested.emit, f"the notes on {p.name}"))
                params.addRow(label, editor)
                self.editors[p.name] = editor
                self.param_labels[p.name] = label
            layout.addLayout(params)
        layout.addStretch(1)
        self._shown = (node.id, node.type)
        self._update_node(node)

    def _update_node(self, node) -> None:
        from playground.layers import CATALOGUE, fmt_shape
        report = self.doc.report
        layer = CATALOGUE.get(node.type)
        error = self.doc.node_problems().get(node.id, report.node_errors.get(node.id, ""))
        self.error_label.setText(f"⚠ {_esc(error)}")
        self.error_label.setVisible(bool(error))
        shape = report.shapes.get(node.id)
        self.shape_label.setText(fmt_shape(shape) if shape else "—")
        self.inputs_label.setText(", ".join(node.inputs) or "none")
        if self.id_edit.text() != node.id and not self.id_edit.hasFocus():
            self.id_edit.setText(node.id)
        self.output_check.blockSignals(True)
        self.output_check.setChecked(report.output_id == node.id)
        self.output_check.setEnabled(bool(layer) and (self.doc.model.output == node.id
                                                      or node.id in self.doc.model.sinks()))
        self.output_check.blockSignals(False)
        if layer:
            unused = inapplicable_params({p.name: node.params.get(p.name, p.default) for p in layer.params})
            for p in layer.params:
                ed = self.editors.get(p.name)
                if ed is not None:
                    ed.set_value(node.params.get(p.name, p.default))
                    why = unused.get(p.name, "")
                    ed.setEnabled(not why)   # shown, greyed, with the reason
                    ed.setToolTip(f"Not used: {why}" if why else tooltip(p))

    def _wrapped(self, html: str, name: str = "") -> QLabel:
        label = QLabel(html)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if name:
            label.setObjectName(name)
        return label

    # ---- edits
    def _node_id(self) -> str | None:
        return self._shown[0] if self._shown else None

    def _set_param(self, name: str, value) -> None:
        nid = self._node_id()
        if nid is None:
            return
        if self.doc.model.node(nid).params.get(name, object()) == value:
            return
        self.doc.push(cmd.SetParam(self.doc, nid, name, value))

    def _rename(self) -> None:
        nid = self._node_id()
        new = self.id_edit.text().strip()
        if nid is None or new == nid:
            return
        try:
            command = cmd.RenameNode(self.doc, nid, new)
        except EditRefused as e:
            self.error_label.setText(f"⚠ {_esc(str(e))}")
            self.error_label.setVisible(True)
            self.id_edit.setText(nid)
            return
        self.ids = [new]
        self.doc.push(command)

    def _set_meta(self) -> None:
        name = self.name_edit.text().strip() or self.doc.preset.name
        description = self.description_edit.toPlainText().strip()
        if (name, description) != (self.doc.preset.name, self.doc.preset.description):
            self.doc.push(cmd.SetMeta(self.doc, name, description))

    def _toggle_output(self, on: bool) -> None:
        nid = self._node_id()
        if nid is not None:
            self.doc.push(cmd.SetOutput(self.doc, nid if on else ""))
