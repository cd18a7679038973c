"""What the canvas draws: a node per layer, its ports, and the edges between them.

Items are views: they hold a node's id and what to show, and report what the person did to
the scene (`BuilderScene`), which turns it into an undo command. Positions in the spec are
node centres; data flows top to bottom (input port on top, output port below).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen, QPolygonF)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from widgets.theme import LIGHT, Theme, group_colour

WARM_FILL, WARM_BORDER, WARM_TEXT = "#fff4d6", "#c98a00", "#5c3d00"
"""The warm-start tag's colours (amber: weights brought from elsewhere), readable in both themes."""
NODE_W = 196.0
NODE_H = 60.0
PORT_R = 6.0
SLOT = 26.0
"""Horizontal distance between the input slots of a layer that takes several inputs."""


_FONTS: dict[str, QFont] = {}
_SIZES = {"title": (14, True), "text": (12, False), "small": (11, False)}


def font(kind: str) -> QFont:
    """Scene fonts in pixels, so a node looks the same on every screen (made once a
    QGuiApplication exists)."""
    if kind not in _FONTS:
        px, bold = _SIZES[kind]
        f = QFont()
        f.setPixelSize(px)
        f.setBold(bold)
        _FONTS[kind] = f
    return _FONTS[kind]


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "×".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def key_params_text(params: dict[str, Any], names: tuple[str, ...], width: float) -> str:
    """The catalogue's key parameters in the space there is: `name=value`, else shorter names."""
    if not names:
        return ""
    fm = QFontMetricsF(font('text'))
    full = "  ".join(f"{n}={format_value(params.get(n))}" for n in names)
    if fm.horizontalAdvance(full) <= width:
        return full
    short = "  ".join(f"{n.split('_')[0]}={format_value(params.get(n))}" for n in names)
    return fm.elidedText(short, Qt.TextElideMode.ElideRight, width)


class PortItem(QGraphicsItem):
    """Where connections start and end: below a node (its output) or above it (its inputs)."""

    def __init__(self, node: "NodeItem", kind: str) -> None:
        super().__init__(node)
        self.node = node
        self.kind = kind  # "in" | "out"
        self.slots = 1
        self.hot = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        self.setToolTip("Drag to an input port to connect" if kind == "out"
                        else "Drag from here to a layer's output port to connect")
        self.setPos(0, NODE_H / 2 if kind == "out" else -NODE_H / 2)

    @property
    def node_id(self) -> str:
        return self.node.node_id

    def set_slots(self, n: int) -> None:
        if n != self.slots:
            self.prepareGeometryChange()
            self.slots = n

    def half_width(self) -> float:
        return PORT_R if self.slots <= 1 else (self.slots - 1) * SLOT / 2 + PORT_R

    def boundingRect(self) -> QRectF:
        w = self.half_width() + 4
        return QRectF(-w, -PORT_R - 4, 2 * w, 2 * PORT_R + 8)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.boundingRect())
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        t = self.node.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = PORT_R + (1.5 if self.hot else 0)
        colour = QColor(t.accent if self.hot else t.node_border)
        painter.setPen(QPen(colour.darker(130), 1.2))
        painter.setBrush(QBrush(QColor(t.base) if self.kind == "in" else colour))
        w = self.half_width() - PORT_R
        painter.drawRoundedRect(QRectF(-w - r, -r, 2 * (w + r), 2 * r), r, r)

    def hoverEnterEvent(self, event) -> None:
        self.hot = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hot = False
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.scene().begin_connection(self, event.scenePos())
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event) -> None:
        self.scene().update_connection(event.scenePos())

    def mouseReleaseEvent(self, event) -> None:
        self.scene().finish_connection(event.scenePos())


class NodeItem(QGraphicsItem):
    """One layer: its type, id, key parameters and live output shape, or its error in red."""

    def __init__(self, node_id: str, theme: Theme = LIGHT) -> None:
        super().__init__()
        self.node_id = node_id
        self.theme = theme
        self.type_name = ""
        self.group = ""
        self.params_text = ""
        self.shape_text = ""
        self.error = ""
        self.is_output = False
        self.is_input = False
        self.drop_hot = False
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.in_port = PortItem(self, "in")
        self.out_port = PortItem(self, "out")
        self.edges: list[EdgeItem] = []
        self.warm = WarmBadge(self)
        """Beside the node when its weights start from another network's (training.warm_start)."""
        self._base_tooltip = ""

    def set_warm(self, source: str, freeze_epochs: int) -> None:
        """Mark the layer as warm-started from `source` (a run id or a preset; "" clears the mark),
        frozen for the first `freeze_epochs` epochs."""
        self.warm.set_source(source, freeze_epochs)
        self._show_tooltip()

    def _show_tooltip(self) -> None:
        extra = ""
        if self.warm.isVisible():
            frozen = (f", frozen (not trained) for the first {self.warm.freeze_epochs} epochs"
                      if self.warm.freeze_epochs > 0 else "")
            extra = f"<br><i>weights start from {_html(self.warm.source)}{frozen}</i>"
        self.setToolTip(self._base_tooltip + extra)

    # ---- state from the spec
    def set_state(self, node, layer, shape_text: str, error: str, is_output: bool) -> None:
        self.type_name = node.type
        self.group = layer.group if layer else ""
        self.is_input = bool(layer) and layer.max_inputs == 0
        self.is_output = is_output
        self.params_text = key_params_text(self._full_params(node, layer), layer.key_params if layer else (),
                                           NODE_W - 24)
        self.shape_text = shape_text
        self.error = error
        self.in_port.setVisible(not self.is_input)
        many = layer is not None and (layer.max_inputs is None or layer.max_inputs > 1)
        self.in_port.set_slots(max(len(node.inputs), 2) if many else 1)
        self._base_tooltip = self._tooltip(node, layer)
        self._show_tooltip()
        self.update()

    @staticmethod
    def _full_params(node, layer) -> dict[str, Any]:
        if layer is None:
            return dict(node.params)
        full = {p.name: p.default for p in layer.params}
        full.update(node.params)
        return full

    def _tooltip(self, node, layer) -> str:
        if self.error:
            return f"<b>{node.type} '{node.id}'</b><br><span style='color:{self.theme.error}'>{_html(self.error)}</span>"
        lines = [f"<b>{node.type} '{node.id}'</b>"]
        if layer:
            lines.append(_html(layer.help))
        if self.shape_text:
            lines.append(f"output shape: {self.shape_text}")
        return "<br>".join(lines)

    def input_point(self, slot: int, slots: int) -> QPointF:
        offset = (slot - (slots - 1) / 2) * SLOT if slots > 1 else 0.0
        return self.scenePos() + QPointF(offset, -NODE_H / 2)

    def output_point(self) -> QPointF:
        return self.scenePos() + QPointF(0, NODE_H / 2)

    # ---- drawing
    def boundingRect(self) -> QRectF:
        return QRectF(-NODE_W / 2 - 3, -NODE_H / 2 - 3, NODE_W + 6, NODE_H + 6)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H), 7, 7)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        t = self.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H)
        body = QPainterPath()
        body.addRoundedRect(rect, 7, 7)
        painter.fillPath(body, QColor(t.error_fill if self.error else t.node))
        # the group's colour strip along the left edge
        strip = QPainterPath()
        strip.addRect(QRectF(rect.left(), rect.top(), 6, rect.height()))
        painter.fillPath(body.intersected(strip), QColor(group_colour(self.group)))
        if self.isSelected():
            pen = QPen(QColor(t.selection), 2.5)
        elif self.error:
            pen = QPen(QColor(t.error), 2.0)
        elif self.drop_hot:
            pen = QPen(QColor(t.accent), 2.0, Qt.PenStyle.DashLine)
        else:
            pen = QPen(QColor(t.node_border), 1.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(body)

        left, width = rect.left() + 14, NODE_W - 24
        top = rect.top() + 3
        painter.setFont(font('title'))
        painter.setPen(QColor(t.node_text))
        title_w = QFontMetricsF(font('title')).horizontalAdvance(self.type_name)
        painter.drawText(QRectF(left, top, width, 19), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.type_name)
        painter.setFont(font('small'))
        painter.setPen(QColor(t.muted))
        id_w = max(0.0, width - title_w - 8)
        painter.drawText(QRectF(left + width - id_w, top, id_w, 19),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetricsF(font('small')).elidedText(self.node_id, Qt.TextElideMode.ElideLeft, id_w))
        painter.setFont(font('text'))
        painter.drawText(QRectF(left, top + 19, width, 17), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         self.params_text)
        line3 = QRectF(left, top + 36, width, 18)
        badge = "output" if self.is_output else ("input" if self.is_input else "")
        badge_w = QFontMetricsF(font('small')).horizontalAdvance(badge) + 10 if badge else 0.0
        if self.error:
            painter.setPen(QColor(t.error))
            painter.setFont(font('text'))
            text = "⚠ " + self.error.split(": ", 1)[-1]
            painter.drawText(line3, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             QFontMetricsF(font('text')).elidedText(text, Qt.TextElideMode.ElideRight, width))
            return
        painter.setPen(QColor(t.shape))
        painter.setFont(font('text'))
        painter.drawText(line3, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"→ {self.shape_text}" if self.shape_text else "")
        if badge:
            r = QRectF(line3.right() - badge_w, line3.top() + 1, badge_w, line3.height() - 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(t.accent))
            painter.drawRoundedRect(r, 4, 4)
            painter.setPen(QColor(t.accent_text))
            painter.setFont(font('small'))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, badge)

    # ---- moving
    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for e in self.edges:
                e.update_path()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setZValue(1.5 if value else 1)
        return super().itemChange(change, value)


class WarmBadge(QGraphicsItem):
    """A tag to the right of a warm-started layer: where its weights come from, and how long they
    stay frozen ("frozen, then unfrozen"). A child of the node, so it moves with it."""

    PAD = 5.0

    def __init__(self, node: NodeItem) -> None:
        super().__init__(node)
        self.source = ""
        self.freeze_epochs = 0
        self.lines: list[str] = []
        self.setPos(NODE_W / 2 + 8, -NODE_H / 2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setVisible(False)

    def set_source(self, source: str, freeze_epochs: int) -> None:
        self.prepareGeometryChange()
        self.source, self.freeze_epochs = source, max(0, int(freeze_epochs))
        self.lines = ([f"warm: {source}"] + ([f"frozen {self.freeze_epochs} epochs"] if self.freeze_epochs else [])
                      if source else [])
        self.setVisible(bool(source))
        self.setToolTip(f"This layer's weights start from {source}" + (
            f"; they stay frozen (not trained) for the first {self.freeze_epochs} epochs, then train with the "
            "rest" if self.freeze_epochs else "") if source else "")
        self.update()

    def text(self) -> str:
        return "\n".join(self.lines)

    def boundingRect(self) -> QRectF:
        metrics = QFontMetricsF(font('small'))
        width = max((metrics.horizontalAdvance(line) for line in self.lines), default=0.0)
        return QRectF(0, 0, width + 2 * self.PAD, len(self.lines) * (metrics.height() + 1) + 2 * self.PAD - 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.lines:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.boundingRect()
        painter.setPen(QPen(QColor(WARM_BORDER), 1.2))
        painter.setBrush(QColor(WARM_FILL))
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        painter.setFont(font('small'))
        painter.setPen(QColor(WARM_TEXT))
        metrics = QFontMetricsF(font('small'))
        for k, line in enumerate(self.lines):
            painter.drawText(QRectF(self.PAD, self.PAD + k * (metrics.height() + 1), rect.width() - 2 * self.PAD,
                                    metrics.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)


class EdgeItem(QGraphicsPathItem):
    """A connection: the output of `src` feeds input slot `slot` of `dst`."""

    def __init__(self, src: NodeItem, dst: NodeItem, slot: int, slots: int, theme: Theme = LIGHT) -> None:
        super().__init__()
        self.src, self.dst, self.slot, self.slots = src, dst, slot, slots
        self.theme = theme
        self.hot = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.setToolTip(f"{src.node_id} → {dst.node_id} (select and press Delete to disconnect)")
        src.edges.append(self)
        dst.edges.append(self)
        self.update_path()

    @property
    def key(self) -> tuple[str, str]:
        return (self.src.node_id, self.dst.node_id)

    def detach(self) -> None:
        for n in (self.src, self.dst):
            if self in n.edges:
                n.edges.remove(self)

    def set_slot(self, slot: int, slots: int) -> None:
        if (slot, slots) != (self.slot, self.slots):
            self.slot, self.slots = slot, slots
            self.update_path()

    def update_path(self) -> None:
        self.setPath(edge_path(self.src.output_point(), self.dst.input_point(self.slot, self.slots),
                               skip_side=-1 if (self.slots > 1 and self.slot < (self.slots - 1) / 2) else
                               (1 if self.slots > 1 else -1)))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(14)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-8, -8, 8, 8)

    def set_hot(self, hot: bool) -> None:
        if hot != self.hot:
            self.hot = hot
            self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        t = self.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(t.selection if (self.isSelected() or self.hot) else t.edge)
        width = 3.0 if (self.isSelected() or self.hot) else 1.8
        painter.setPen(QPen(colour, width, Qt.PenStyle.DashLine if self.hot else Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if self.path().length() < 48:  # a short hop between stacked layers: the ports show the way
            return
        end = self.path().pointAtPercent(1.0)
        tip = end + QPointF(0, -PORT_R + 1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawPolygon(QPolygonF([tip, tip + QPointF(-5, -9), tip + QPointF(5, -9)]))


def edge_path(p0: QPointF, p3: QPointF, skip_side: int = -1) -> QPainterPath:
    """A smooth connection from an output port down to an input port. A connection that skips
    over layers in the same column (a residual connection) runs beside the column instead of
    through the layers it skips: out along the gap below its source, down, and back in along
    the gap above its target."""
    path = QPainterPath(p0)
    dy = p3.y() - p0.y()
    dx = p3.x() - p0.x()
    if dy > NODE_H * 2.2 and abs(dx) < NODE_W * 0.9:
        side = skip_side
        xs = (min(p0.x(), p3.x()) if side < 0 else max(p0.x(), p3.x())) + side * (NODE_W / 2 + 22)
        r = 8.0
        y1, y2 = p0.y() + PORT_R + 5, p3.y() - PORT_R - 5
        path.lineTo(p0.x(), y1 - r)
        path.quadTo(p0.x(), y1, p0.x() + side * r, y1)
        path.lineTo(xs - side * r, y1)
        path.quadTo(xs, y1, xs, y1 + r)
        path.lineTo(xs, y2 - r)
        path.quadTo(xs, y2, xs - side * r, y2)
        path.lineTo(p3.x() + side * r, y2)
        path.quadTo(p3.x(), y2, p3.x(), y2 + r)
        path.lineTo(p3)
        return path
    pull = max(30.0, abs(dy) / 2) if dy > 0 else 60.0 + abs(dy) / 4
    path.cubicTo(QPointF(p0.x(), p0.y() + pull), QPointF(p3.x(), p3.y() - pull), p3)
    return path


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
