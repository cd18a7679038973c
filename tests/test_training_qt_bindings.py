"""The Qt bindings must not leak references to None.

PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a Qt method that
returns nothing (setObjectName, processEvents, QTimer.stop...). A live GUI makes thousands of
those a second, and once None's count reaches zero the interpreter aborts ("Fatal Python
error: none_dealloc"): the app dies within a minute of training, and a long pytest-qt run dies
at exit. 6.11.3 is fine; so is Python >= 3.12, where None is immortal.
"""
import sys

import pytest
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, QObject


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_void_qt_calls_keep_none_alive(qapp):
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("probe")
        QCoreApplication.processEvents()
    drift = before - sys.getrefcount(None)
    assert drift < 100, (
        f"PySide6 {pyside_version} loses a reference to None per void Qt call ({drift} over 4000 calls): "
        "the GUI will abort with 'none_dealloc'. Use PySide6-Essentials != 6.12.0 (6.11.3 works) "
        "or Python >= 3.12.")
