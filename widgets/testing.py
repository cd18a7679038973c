"""Helpers for driving the window the way a person does, in pytest-qt tests (offscreen).

They send real events: a palette drag is the palette's own QMimeData delivered to the canvas
as drag-enter, drag-move and drop events; a connection is a mouse press on a port, a move and
a release over another layer.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from widgets import file_actions
from widgets.canvas import BuilderView
from widgets.main_window import MainWindow


class Dialogs:
    """Stands in for the window's message boxes: records what was shown, as (kind, title, text),
    and answers questions from `answers` in order. With none left it answers `unanswered`, or
    fails the test when that is None (a question nobody expected)."""

    def __init__(self, monkeypatch, unanswered: QMessageBox.StandardButton | None = None) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.answers: list = []
        self.unanswered = unanswered
        for kind in ("critical", "warning", "information"):
            monkeypatch.setattr(QMessageBox, kind, self._show(kind))
        monkeypatch.setattr(QMessageBox, "question", self._ask)
        monkeypatch.setattr(file_actions, "ask", lambda box: self._ask(None, box.windowTitle(), box.text()))

    def _show(self, kind: str):
        def show(parent, title, text, *rest, **kw):
            self.shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok
        return show

    def _ask(self, parent, title, text, *rest, **kw):
        self.shown.append(("question", title, text))
        if self.answers:
            return self.answers.pop(0)
        if self.unanswered is None:
            raise AssertionError(f"unexpected question: {title}: {text}")
        return self.unanswered


def make_window(tmp_path: Path, preset: str | None = None, settings_file: str = "settings.ini") -> MainWindow:
    """A window whose settings and recovery files live under `tmp_path`, started up and showing
    `preset` (a built-in name or a file; None: the default)."""
    settings = QSettings(str(tmp_path / settings_file), QSettings.Format.IniFormat)
    window = MainWindow(settings, tmp_path / "state")
    if not settings.contains("window/geometry"):
        window.resize(1400, 900)
    window.show()
    window.finish_startup(preset)
    return window


def close_window(window: MainWindow) -> None:
    """Close without the unsaved-changes question (pytest-qt's own closing would ask it)."""
    window.doc.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def view_point(view: BuilderView, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def drop_layer(window: MainWindow, type_name: str, scene_pos: QPointF) -> bool:
    """Drag `type_name` from the palette and drop it on the canvas at `scene_pos`."""
    tree = window.palette.tree
    item = window.palette.items[type_name]
    mime = tree.mimeData([item])  # what QAbstractItemView.startDrag puts in the QDrag
    view, viewport = window.view, window.view.viewport()
    view.ensureVisible(scene_pos.x() - 1, scene_pos.y() - 1, 2, 2, 60, 60)
    pos = QPointF(view_point(view, scene_pos))
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    try:
        enter = QDragEnterEvent(pos, actions, mime, buttons, mods)
    except TypeError:  # PySide6 before 6.12 takes a QPoint only
        pos = QPointF(pos.toPoint())
        enter = QDragEnterEvent(pos.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False
    try:
        move = QDragMoveEvent(pos, actions, mime, buttons, mods)
    except TypeError:
        move = QDragMoveEvent(pos.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(pos, actions, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def drag_mouse(window: MainWindow, start: QPointF, end: QPointF, steps: int = 4,
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Press the left button at scene point `start`, move to `end`, release."""
    view, viewport = window.view, window.view.viewport()
    a, b = view_point(view, start), view_point(view, end)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, modifiers, a)
    for k in range(1, steps + 1):
        p = a + (b - a) * (k / steps)
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifiers, b)


def connect_ports(window: MainWindow, src: str, dst: str) -> None:
    """Drag from `src`'s output port to `dst`'s input port."""
    scene = window.scene
    start = scene.nodes[src].out_port.scenePos()
    end = scene.nodes[dst].in_port.scenePos()
    drag_mouse(window, start, end)


def click_node(window: MainWindow, node_id: str,
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    item = window.scene.nodes[node_id]
    p = view_point(window.view, item.scenePos() + QPointF(-40, -8))
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, modifiers, p)


def type_into(widget, text: str) -> None:
    """Select what the field holds, type `text`, press Enter."""
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, Qt.Key.Key_Return)
