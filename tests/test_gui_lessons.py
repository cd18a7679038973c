"""The Lesson dock: every built-in example shows its lesson, and a compared preset opens from it."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from playground.course.lessons import load_lesson
from playground.network.preset import builtin_names
from widgets.lesson_view import FAMILY_ROWS
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
        if len(lesson.compare) > FAMILY_ROWS:   # one row: the members in a list, Compare and Open
            assert [view.family.itemData(k) for k in range(view.family.count())] == list(lesson.compare)
            assert [b.objectName() for b in view.buttons] == ["compare", "open"]
            continue
        assert view.family is None
        assert [b.objectName() for b in view.buttons if b.text() == "Open"] == [f"open:{n}" for n in lesson.compare]
        assert [b.text() for b in view.buttons if b.text() != "Open"] == [f"Compare with {n}" for n in lesson.compare]


def test_a_compare_button_opens_the_twin_and_its_lesson(window):
    assert window.open_example("overfit_moons")
    assert not window.lesson_dock.visibleRegion().isEmpty()  # raised beside the settings
    family = window.lesson_view.family   # (a large family: picked from its list)
    family.setCurrentIndex(family.findData("overfit_moons_l2"))
    [button] = [b for b in window.lesson_view.buttons if b.objectName() == "open"]
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


def test_a_large_family_is_one_row_that_compares_and_opens_the_member_picked(window, monkeypatch):
    """Four rows of buttons left overfit_moons' lesson text ~130 px at 1366x768: a family larger
    than FAMILY_ROWS is a list and two buttons on one line."""
    asked: list[str] = []
    monkeypatch.setattr(window, "compare_lesson_twins", asked.append)
    view = window.lesson_view
    view.compare_requested.disconnect()
    view.compare_requested.connect(window.compare_lesson_twins)
    assert window.open_example("overfit_moons")
    members = list(load_lesson("overfit_moons").compare)
    assert len(members) > FAMILY_ROWS and view.family is not None
    rows = {view.compare_box.getItemPosition(view.compare_box.indexOf(w))[0] for w in [view.family, *view.buttons]}
    assert rows == {0}
    view.family.setCurrentIndex(2)
    compare, opener = view.buttons
    assert members[2] in compare.toolTip() and members[2] in opener.toolTip()
    compare.click()
    assert asked == [members[2]] and window.doc.preset.name == "overfit_moons"
    opener.click()
    assert window.doc.preset.name == members[2]
    assert window.open_example("deep_sigmoid")   # a small family: its rows of buttons again
    assert view.family is None and "compare:deep_relu" in {b.objectName() for b in view.buttons}
