"""The canvas: a QGraphicsScene that shows the document's network and turns what a person does
(drop a layer, drag a connection, move, delete, paste) into undo commands.

The scene never changes the spec itself: it pushes a command, the document emits
`model_changed`, and `sync` brings the items in line with the spec. Dropping follows two rules
that keep a plain chain as quick to build as a list: a layer dropped on a connection is
inserted into it, and a layer dropped below the last layer of a chain is connected to it.
"""
from __future__ import annotations

import json
import math

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QGraphicsView, QMenu, QWidget

from widgets import commands as cmd
from widgets.canvas_items import NODE_H, NODE_W, EdgeItem, NodeItem, PortItem, edge_path
from widgets.document import Document
from playground.network.graph_edits import EditRefused
from playground.network.layout import ROW, auto_layout
from playground.network.spec import warm_start_layer_ids
from widgets.theme import LIGHT, Theme

LAYER_MIME = "application/x-nn-playground-layer"
"""A palette drag: the layer type's name, UTF-8."""
NODES_MIME = "application/x-nn-playground-nodes"
"""Copied layers: JSON {"nodes": [Node.to_dict(), ...]}."""


def layer_mime(type_name: str) -> QMimeData:
    """What a palette drag carries (the palette and the tests both make it here)."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_name.encode("utf-8"))
    mime.setText(type_name)
    return mime


class BuilderScene(QGraphicsScene):
    message = Signal(str)
    """Something to tell the person in the status bar (a refused connection, a hint)."""
    selection_ids_changed = Signal(list)

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.theme: Theme = LIGHT
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self._port: PortItem | None = None
        self._wire: QGraphicsPathItem | None = None
        self._hot: list = []
        self._pressed_at: dict[str, QPointF] = {}
        self._syncing = False
        self.live = False
        """False until the layer catalogue is loaded (after the window is shown)."""
        doc.model_changed.connect(self._on_model_changed)
        doc.replaced.connect(self.rebuild)
        # the data set and the loss decide whether the output fits: the marks follow them live
        doc.data_changed.connect(self._on_fit_changed)
        doc.data_read.connect(self._on_fit_changed)   # a person's file read off the GUI thread
        doc.training_changed.connect(lambda _name: self._on_fit_changed())
        self.selectionChanged.connect(self._on_selection)

    # ---------------------------------------------------------------- following the spec
    def rebuild(self) -> None:
        if not self.live:
            return
        self.clearSelection()
        for item in list(self.nodes.values()):
            self.removeItem(item)
        for e in list(self.edges.values()):
            self.removeItem(e)
        self.nodes.clear()
        self.edges.clear()
        self.sync()
        self.selection_ids_changed.emit([])

    def _on_model_changed(self, select) -> None:
        if not self.live:
            return
        self.sync()
        if select is not None:
            self.select_ids(select)
        else:
            self._on_selection()

    def _on_fit_changed(self) -> None:
        if self.live:
            self.sync()

    def sync(self) -> None:
        """Make the items show the spec: add, update and remove nodes and edges."""
        from playground.layers import CATALOGUE, fmt_shape
        self._syncing = True
        try:
            spec, report = self.doc.model, self.doc.report
            marks = self.doc.node_problems()   # shape errors, and where the network does not fit the data
            ids = set(spec.ids())
            for nid in [n for n in self.nodes if n not in ids]:
                item = self.nodes.pop(nid)
                for e in list(item.edges):
                    self._remove_edge(e)
                self.removeItem(item)
            output = report.output_id if len(spec.nodes) > 1 else ""
            ts = self.doc.preset.training
            warm = set(warm_start_layer_ids(ts)) if ts.warm_start.strip() else set()
            for node in spec.nodes:
                item = self.nodes.get(node.id)
                if item is None:
                    item = NodeItem(node.id, self.theme)
                    self.nodes[node.id] = item
                    self.addItem(item)
                target = QPointF(*node.pos)
                if item.pos() != target:
                    item.setPos(target)
                shape = report.shapes.get(node.id)
                item.set_state(node, CATALOGUE.get(node.type), fmt_shape(shape) if shape else "",
                               marks.get(node.id, report.node_errors.get(node.id, "")), node.id == output)
                item.set_warm(ts.warm_start.strip() if node.id in warm else "", ts.freeze_epochs)
            wanted: dict[tuple[str, str], tuple[int, int]] = {}
            for node in spec.nodes:
                slots = self.nodes[node.id].in_port.slots
                for k, src in enumerate(node.inputs):
                    if src in self.nodes and (src, node.id) not in wanted:
                        wanted[(src, node.id)] = (k, slots)
            for key in [k for k in self.edges if k not in wanted]:
                self._remove_edge(self.edges[key])
            for key, (slot, slots) in wanted.items():
                edge = self.edges.get(key)
                if edge is None:
                    edge = EdgeItem(self.nodes[key[0]], self.nodes[key[1]], slot, slots, self.theme)
                    self.edges[key] = edge
                    self.addItem(edge)
                else:
                    edge.set_slot(slot, slots)
                    edge.update_path()
            self._grow_scene_rect()
        finally:
            self._syncing = False

    def _remove_edge(self, edge: EdgeItem) -> None:
        edge.detach()
        self.edges.pop(edge.key, None)
        self.removeItem(edge)

    def _grow_scene_rect(self) -> None:
        bounds = self.itemsBoundingRect()
        if bounds.isNull():
            bounds = QRectF(-200, -200, 400, 400)
        self.setSceneRect(bounds.adjusted(-1500, -1200, 1500, 1200))

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for item in self.nodes.values():
            item.theme = theme
            item.update()
        for e in self.edges.values():
            e.theme = theme
            e.update()
        self.update()

    # ---------------------------------------------------------------- selection
    def selected_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[tuple[str, str]]:
        return [i.key for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_ids(self, ids) -> None:
        self.blockSignals(True)
        try:
            self.clearSelection()
            for nid in ids:
                if nid in self.nodes:
                    self.nodes[nid].setSelected(True)
        finally:
            self.blockSignals(False)
        self._on_selection()

    def select_all(self) -> None:
        self.select_ids(list(self.nodes))

    def _on_selection(self) -> None:
        if not self._syncing:
            self.selection_ids_changed.emit(self.selected_ids())

    # ---------------------------------------------------------------- edits
    def push(self, make) -> bool:
        """Push the command `make()` builds; a refused edit becomes a status message."""
        try:
            command = make()
        except EditRefused as e:
            self.message.emit(str(e))
            return False
        self.doc.push(command)
        return True

    def delete_selection(self) -> None:
        nodes, edges = self.selected_ids(), self.selected_edges()
        if nodes or edges:
            self.push(lambda: cmd.DeleteItems(self.doc, nodes, edges))

    def copy_selection(self) -> bool:
        ids = set(self.selected_ids())
        if not ids:
            return False
        nodes = [n.to_dict() for n in self.doc.model.nodes if n.id in ids]
        mime = QMimeData()
        text = json.dumps({"nodes": nodes}, indent=1)
        mime.setData(NODES_MIME, text.encode("utf-8"))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        return True

    def paste(self, at: QPointF | None = None) -> list[str]:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(NODES_MIME):
            self.message.emit("Nothing to paste: copy some layers first")
            return []
        try:
            nodes = json.loads(bytes(mime.data(NODES_MIME)).decode("utf-8"))["nodes"]
        except (ValueError, KeyError, TypeError):
            self.message.emit("The clipboard does not hold layers the playground can paste")
            return []
        from playground.layers import CATALOGUE
        nodes = [n for n in nodes if isinstance(n, dict) and n.get("type") in CATALOGUE and "id" in n]
        if not nodes:
            return []
        if at is None:
            offset = (40.0, 40.0)
        else:
            cx = sum(n.get("pos", (0, 0))[0] for n in nodes) / len(nodes)
            cy = min(n.get("pos", (0, 0))[1] for n in nodes)
            offset = (at.x() - cx, at.y() - cy)
        command = cmd.PasteNodes(self.doc, nodes, offset)
        self.doc.push(command)
        return command.node_ids

    def auto_layout(self) -> None:
        positions = auto_layout(self.doc.model)
        changed = {nid: p for nid, p in positions.items() if tuple(self.doc.model.node(nid).pos) != p}
        if changed:
            self.doc.push(cmd.MoveNodes(self.doc, changed, "Auto-layout"))

    # ---------------------------------------------------------------- moving nodes
    def mousePressEvent(self, event) -> None:
        super().mousePressEvent(event)
        self._pressed_at = {i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        moved = {}
        for nid, before in self._pressed_at.items():
            item = self.nodes.get(nid)
            if item is not None and item.pos() != before:
                moved[nid] = (round(item.pos().x(), 1), round(item.pos().y(), 1))
        self._pressed_at = {}
        if moved:
            self.doc.push(cmd.MoveNodes(self.doc, moved))

    # ---------------------------------------------------------------- connecting
    def begin_connection(self, port: PortItem, pos: QPointF) -> None:
        self._port = port
        self._wire = QGraphicsPathItem()
        self._wire.setPen(QPen(QColor(self.theme.accent), 2, Qt.PenStyle.DashLine))
        self._wire.setZValue(3)
        self.addItem(self._wire)
        self.update_connection(pos)

    def update_connection(self, pos: QPointF) -> None:
        if self._port is None or self._wire is None:
            return
        target = self._connection_target(pos)
        self._set_hot([target] if target else [])
        if self._port.kind == "out":
            start = self._port.node.output_point()
            end = target.input_point(0, 1) if target else pos
        else:
            start = target.output_point() if target else pos
            end = self._port.node.input_point(0, 1)
        self._wire.setPath(edge_path(start, end))

    def finish_connection(self, pos: QPointF) -> None:
        port, self._port = self._port, None
        if self._wire is not None:
            self.removeItem(self._wire)
            self._wire = None
        self._set_hot([])
        if port is None:
            return
        target = self._connection_target(pos, port)
        if target is None:
            return
        if port.kind == "out":
            src, dst = port.node_id, target.node_id
        else:
            src, dst = target.node_id, port.node_id
        self.push(lambda: cmd.Connect(self.doc, src, dst))

    def _connection_target(self, pos: QPointF, port: PortItem | None = None) -> NodeItem | None:
        port = port or self._port
        near = self.items(QRectF(pos.x() - 6, pos.y() - 6, 12, 12))
        for item in near:
            node = item.node if isinstance(item, PortItem) else item if isinstance(item, NodeItem) else None
            if node is not None and port is not None and node is not port.node:
                return node
        return None

    # ---------------------------------------------------------------- dropping layers
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            type_name = bytes(event.mimeData().data(LAYER_MIME)).decode("utf-8")
            plan = self.drop_plan(type_name, event.scenePos())
            self._set_hot([plan[1]] if plan[0] in ("edge", "below") else [])
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event) -> None:
        self._set_hot([])
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(LAYER_MIME):
            super().dropEvent(event)
            return
        self._set_hot([])
        type_name = bytes(event.mimeData().data(LAYER_MIME)).decode("utf-8")
        if self.drop_layer(type_name, event.scenePos()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop_plan(self, type_name: str, pos: QPointF) -> tuple:
        """What dropping `type_name` at `pos` does: ("edge", EdgeItem) inserts into that
        connection, ("below", NodeItem, QPointF) appends to that layer's chain, ("free", QPointF)
        just places it."""
        from playground.layers import CATALOGUE
        layer = CATALOGUE[type_name]
        takes_one = layer.max_inputs != 0 and layer.min_inputs <= 1
        if takes_one:
            for item in self.items(QRectF(pos.x() - 5, pos.y() - 5, 10, 10)):
                if isinstance(item, EdgeItem):
                    return ("edge", item)
        if layer.max_inputs != 0:
            parent = self._chain_end_above(pos)
            if parent is not None:
                p = parent.pos()
                x = p.x() if abs(pos.x() - p.x()) < NODE_W * 0.6 else pos.x()
                return ("below", parent, QPointF(x, max(pos.y(), p.y() + ROW)))
        return ("free", pos)

    def _chain_end_above(self, pos: QPointF) -> NodeItem | None:
        """The layer feeding nothing that `pos` lies just below (or on), if any."""
        fed = {i for n in self.doc.model.nodes for i in n.inputs}
        best, best_d = None, math.inf
        for nid, item in self.nodes.items():
            if nid in fed:
                continue
            p = item.pos()
            dx, dy = abs(pos.x() - p.x()), pos.y() - p.y()
            on_it = dx <= NODE_W / 2 and abs(dy) <= NODE_H / 2
            below = dx < NODE_W * 0.9 and NODE_H / 2 < dy <= 3.5 * ROW
            if on_it or below:
                d = dx + abs(dy)
                if d < best_d:
                    best, best_d = item, d
        return best

    def drop_layer(self, type_name: str, pos: QPointF) -> str | None:
        """Add a layer where it was dropped; returns its id."""
        from playground.layers import CATALOGUE
        if type_name not in CATALOGUE:
            self.message.emit(f"Unknown layer type {type_name!r}")
            return None
        plan = self.drop_plan(type_name, pos)
        if plan[0] == "edge":
            src, dst = plan[1].key
            command = cmd.InsertOnEdge(self.doc, type_name, (pos.x(), pos.y()), src, dst)
            self.doc.push(command)
            self.message.emit(f"Inserted {command.node_id} between {src} and {dst}")
        elif plan[0] == "below":
            p = plan[2]
            command = cmd.AddNode(self.doc, type_name, (round(p.x(), 1), round(p.y(), 1)), [plan[1].node_id])
            self.doc.push(command)
        else:
            command = cmd.AddNode(self.doc, type_name, (round(pos.x(), 1), round(pos.y(), 1)))
            self.doc.push(command)
        self.show_node(command.node_id)
        return command.node_id

    def show_node(self, node_id: str) -> None:
        """Scroll every view so that this layer is in it (a layer added below the chain's end may
        land below the visible part of the canvas)."""
        item = self.nodes.get(node_id)
        if item is not None:
            for view in self.views():
                view.ensureVisible(item, 30, 30)

    def all_in_view(self) -> bool:
        """Every layer is inside every view showing the canvas."""
        bounds = self.itemsBoundingRect()
        return all(v.mapToScene(v.viewport().rect()).boundingRect().contains(bounds) for v in self.views())

    def append_layer(self, type_name: str) -> str | None:
        """Add a layer below the end of the chain (palette double-click or Enter)."""
        spec = self.doc.model
        if not spec.nodes:
            return self.drop_layer(type_name, QPointF(0, 0))
        end = spec.output_id() or (spec.sinks()[-1] if spec.sinks() else spec.nodes[-1].id)
        p = self.nodes[end].pos() if end in self.nodes else QPointF(*spec.node(end).pos)
        return self.drop_layer(type_name, QPointF(p.x(), p.y() + ROW))

    def _set_hot(self, items: list) -> None:
        for item in self._hot:
            if isinstance(item, EdgeItem):
                item.set_hot(False)
            elif isinstance(item, NodeItem):
                item.drop_hot = False
                item.update()
        self._hot = [i for i in items if i is not None]
        for item in self._hot:
            if isinstance(item, EdgeItem):
                item.set_hot(True)
            elif isinstance(item, NodeItem):
                item.drop_hot = True
                item.update()

    # ---------------------------------------------------------------- context menu
    def contextMenuEvent(self, event) -> None:
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() else None
        if isinstance(item, PortItem):
            item = item.node
        menu = QMenu()
        if isinstance(item, NodeItem):
            if not item.isSelected():
                self.select_ids([item.node_id])
            nid = item.node_id
            menu.addAction("Make this the network output",
                           lambda: self.push(lambda: cmd.SetOutput(self.doc, nid)))
            menu.addAction("Copy", self.copy_selection)
            menu.addAction("Delete", self.delete_selection)
        elif isinstance(item, EdgeItem):
            src, dst = item.key
            menu.addAction(f"Disconnect {src} → {dst}",
                           lambda: self.push(lambda: cmd.Disconnect(self.doc, src, dst)))
        else:
            pos = event.scenePos()
            menu.addAction("Paste here", lambda: self.paste(pos))
            menu.addAction("Auto-layout", self.auto_layout)
        menu.exec(event.screenPos())


class BuilderView(QGraphicsView):
    """The canvas widget: wheel to zoom, middle button or Space+drag to pan, drag on empty
    space to select several layers."""

    MIN_SCALE, MAX_SCALE = 0.1, 3.0

    def __init__(self, scene: BuilderScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from = None
        self._space = False

    def builder(self) -> BuilderScene:
        return self.scene()  # type: ignore[return-value]

    # ---- zoom
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(self.MAX_SCALE, max(self.MIN_SCALE, self.zoom() * factor))
        f = target / self.zoom()
        self.scale(f, f)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def zoom_reset(self) -> None:
        self.zoom_by(1.0 / self.zoom())

    def fit(self) -> None:
        """Show the whole network, never larger than actual size."""
        bounds = self.scene().itemsBoundingRect()
        if bounds.isNull():
            return
        self.fitInView(bounds.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.zoom_reset()
        elif self.zoom() < self.MIN_SCALE:
            self.zoom_by(1.0)
        self.centerOn(bounds.center())

    READABLE = 0.75
    """The smallest zoom at which a node's text is still easy to read."""

    def show_network(self) -> None:
        """How a freshly opened network is shown: whole if it fits at a readable size, else
        readable and from the top (the Input), so a person can scroll down the layers."""
        bounds = self.scene().itemsBoundingRect()
        if bounds.isNull():
            return
        self.fit()
        if self.zoom() >= self.READABLE:
            return
        self.zoom_by(self.READABLE / self.zoom())
        view_h = self.viewport().height() / self.zoom()
        self.centerOn(bounds.center().x(), bounds.top() - 30 + view_h / 2)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(1.0015 ** delta)
            event.accept()
        else:
            super().wheelEvent(event)

    # ---- pan
    def _start_pan(self, event) -> None:
        self._pan_from = event.position()
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._start_pan(event)
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def dropEvent(self, event) -> None:
        super().dropEvent(event)
        self.setFocus()  # so that Delete, Ctrl+C… act on the layer just dropped

    # ---- background
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        theme = self.builder().theme
        painter.fillRect(rect, QColor(theme.canvas))
        if self.zoom() < 0.45:
            return
        step = 24
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        painter.setPen(QPen(QColor(theme.grid), 2.0 / max(self.zoom(), 0.5)))
        points = []
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += step
            y += step
        painter.drawPoints(points)
