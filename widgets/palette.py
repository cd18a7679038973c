"""The palette: every layer of the catalogue, grouped and searchable, ready to drag.

Dragging an entry onto the canvas adds that layer (the drag carries `LAYER_MIME`);
double-clicking it (or pressing Enter) appends it below the end of the chain. Tooltips are the
catalogue's help text, so a student reads what a layer does before using it.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from widgets.canvas import layer_mime
from widgets.theme import group_colour

TYPE_ROLE = Qt.ItemDataRole.UserRole


def swatch(colour: str, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(colour))
    p.setPen(QColor(colour).darker(130))
    p.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    p.end()
    return QIcon(pix)


class LayerTree(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(8)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(False)   # a long group name takes two lines

    def mimeTypes(self) -> list[str]:
        from widgets.canvas import LAYER_MIME
        return [LAYER_MIME]

    def mimeData(self, items):
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        return layer_mime(names[0]) if names else None

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class Palette(QWidget):
    activated = Signal(str)
    """A layer type was double-clicked or chosen with Enter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Filter by name or by what a layer does (e.g. 'conv', 'sparse', 'image')")
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first_visible)
        self.tree = LayerTree(self)
        self.tree.itemActivated.connect(self._on_activated)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.groups: dict[str, QTreeWidgetItem] = {}
        self._loading = QTreeWidgetItem(["Loading layers…"])
        self._loading.setFlags(Qt.ItemFlag.NoItemFlags)
        self.tree.addTopLevelItem(self._loading)

    def populate(self) -> None:
        """Fill the tree from the catalogue (imports torch: call once the window is up)."""
        from playground.layers import CATALOGUE, GROUPS
        self.tree.clear()
        self.items.clear()
        self.groups.clear()
        bold = self.tree.font()
        bold.setBold(True)
        for group in GROUPS:
            g = QTreeWidgetItem([group.replace(" & ", " &\n") if len(group) > 18 else group])   # never "Normaliz…"
            g.setToolTip(0, group)
            g.setFlags(Qt.ItemFlag.ItemIsEnabled)
            g.setFont(0, bold)
            g.setIcon(0, swatch(group_colour(group)))
            self.tree.addTopLevelItem(g)
            self.groups[group] = g
        for name, layer in CATALOGUE.items():
            item = QTreeWidgetItem([name])
            item.setData(0, TYPE_ROLE, name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            item.setToolTip(0, _tooltip(layer))
            item.setStatusTip(0, layer.help)
            parent = self.groups.get(layer.group)
            if parent is None:
                parent = self.groups[layer.group] = QTreeWidgetItem([layer.group])
                self.tree.addTopLevelItem(parent)
            parent.addChild(item)
            self.items[name] = item
        self.tree.expandAll()
        self.filter(self.search.text())

    def filter(self, text: str) -> None:
        needle = text.strip().lower()
        for group, g in self.groups.items():
            shown = 0
            for k in range(g.childCount()):
                item = g.child(k)
                hay = f"{item.text(0)} {group} {item.statusTip(0)}".lower()
                hide = bool(needle) and needle not in hay
                item.setHidden(hide)
                shown += not hide
            g.setHidden(shown == 0)
            if needle:
                g.setExpanded(True)

    def visible_names(self) -> list[str]:
        return [n for n, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        name = item.data(0, TYPE_ROLE)
        if name:
            self.activated.emit(name)

    def _activate_first_visible(self) -> None:
        names = self.visible_names()
        if names:
            self.activated.emit(names[0])


def _tooltip(layer) -> str:
    rows = "".join(f"<tr><td><b>{p.name}</b></td><td>{_esc(p.help)}</td></tr>" for p in layer.params
                   if p.name not in ("init_std",))
    inputs = ("no inputs" if layer.max_inputs == 0 else
              "one input" if layer.max_inputs == 1 else
              f"{layer.min_inputs}+ inputs" if layer.max_inputs is None else
              f"{layer.min_inputs}–{layer.max_inputs} inputs")
    table = f"<table cellspacing=2>{rows}</table>" if rows else ""
    return (f"<p style='white-space:normal'><b>{layer.name}</b> <i>({layer.group}, {inputs})</i><br>"
            f"{_esc(layer.help)}</p>{table}")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
