"""The Lesson dock: every built-in example shows its lesson, and a compared preset opens from it."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from playground.course.lessons import load_lesson
from playground.network.preset import builtin_names
from widgets.testing import close_window, make_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError(a[1:3])))
    w = make_window(tmp_path)
    yield w
    close_window(w)


def test_every_example_opens_with_its_lesson_beside_it(window):
    for name in builtin_names():
        assert window.open_example(name)
        view = window.lesson_view
        lesson = load_lesson(name)
        assert view.lesson is not None and view.lesson.preset == name
        text = view.text.toPlainText()
        assert lesson.title in text and "Look at" in text and "Predict" in text
        assert [b.objectName() for b in view.buttons if b.text() == "Open"] == [f"open:{n}" for n in lesson.compare]
        assert [b.text() for b in view.buttons if b.text() != "Open"] == [f"Compare with {n}" for n in lesson.compare]


def test_a_compare_button_opens_the_twin_and_its_lesson(window):
    assert window.open_example("overfit_moons")
    assert not window.lesson_dock.visibleRegion().isEmpty()  # raised beside the settings
    [button] = [b for b in window.lesson_view.buttons if b.objectName() == "open:overfit_moons_l2"]
    button.click()
    assert window.doc.preset.name == "overfit_moons_l2" and window.doc.preset.training.l2 == 1e-3
    assert window.lesson_view.lesson.preset == "overfit_moons_l2"


def test_a_network_without_a_lesson_says_where_lessons_are(window):
    window.new_preset()
    assert window.lesson_view.lesson is None and not window.lesson_view.buttons
    assert "File ▸ Examples" in window.lesson_view.text.toPlainText()


def test_a_panel_the_lesson_names_is_a_link_that_shows_it(window):
    """digits_cnn's lesson says to look at the Feature-maps panel, which lives in the "Inside the
    network" group, not in the Training tabs shown by default: the name is a link that shows it."""
    from PySide6.QtCore import QUrl
    from widgets.panel_groups import INSIDE, TRAINING
    window.show_panel_group(TRAINING)
    assert window.open_example("digits_cnn")
    doc = window.lesson_view.text.document()
    hrefs = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isAnchor():
                hrefs.append((fmt.anchorHref(), it.fragment().text()))
            it += 1
        block = block.next()
    assert ("panel:Feature maps", "Feature-maps panel") in hrefs
    window.lesson_view.text.anchorClicked.emit(QUrl("panel:Feature maps"))
    assert window.panel_group == INSIDE and window.panel_docks["Feature maps"].isVisible()
    from widgets.lesson_view import link_panels   # the names lessons use for the others
    assert link_panels("the Loss panel") == "the <a href='panel:Loss &amp; accuracy'>Loss panel</a>"
    assert "href='panel:Update/weight ratio'" in link_panels("The Update ratio panel")
    assert "href='panel:Confusion matrix'" in link_panels("see the Confusion panel")
    window.lesson_view.text.anchorClicked.emit(QUrl("panel:Loss & accuracy"))
    assert window.panel_group == TRAINING and window.panel_docks["Loss & accuracy"].isVisible()
