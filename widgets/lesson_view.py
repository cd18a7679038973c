"""The Lesson dock: the guided lesson of the preset that is open, beside the network.

It shows what idea the preset teaches, what to look at, one thing to change and what to predict
before running it, and what the notes say. Each preset it is compared with gets two buttons:
"Compare with …" trains both as twins (same three seeds) and opens the compare view on them, and
"Open" opens it in place of this one (the window asks to save first); a family of more than
FAMILY_ROWS members is one row instead, a list to pick the member from and the same two buttons.
Under them, "Next lesson" opens the lesson that follows in the course (playground/course/chapters.py).
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from playground.course.lessons import Claim

FAMILY_ROWS = 2
"""Families up to this size get a row of buttons per member; a larger one gets a single row (pick
the member, then Compare or Open). Four rows left the lesson's text ~130 px of a 1366x768 screen."""


def lesson_html(lesson) -> str:
    """Rich text for a playground.course.lessons.Lesson: a title, then a heading and a paragraph each.
    A panel the text names ("the Feature-maps panel") is a link that shows it."""
    parts = [f"<h3>{html.escape(lesson.title)}</h3>"]
    for heading, text in lesson.sections():
        if heading == "Compare":
            continue  # shown as buttons
        paras = "".join(f"<p>{link_panels(html.escape(' '.join(p.split())))}</p>" for p in text.split("\n\n"))
        parts.append(f"<p style='margin-bottom:0'><b>{html.escape(heading)}</b></p>{paras}")
    return "".join(parts)


def _panel_names() -> dict[str, str]:
    """How lessons name each panel (lower case, words split by a space or a hyphen) → its title: the
    title itself, the part before '&' ('Loss'), without '/weight' ('Update ratio'), and its first
    word where no other panel starts with it ('Confusion')."""
    from widgets.panel_groups import PANELS
    titles = [k.title for k in PANELS]
    first = [t.split()[0].lower() for t in titles]
    names: dict[str, str] = {}
    for title in titles:
        for name in (title, title.split(" & ")[0], title.replace("/weight", ""),
                     title.split()[0] if first.count(title.split()[0].lower()) == 1 else ""):
            if name:
                names.setdefault(name.lower().replace("-", " "), title)
    return names


def link_panels(text: str) -> str:
    """Each "<name> panel" in (escaped) lesson text as a `panel:<title>` link."""
    import re
    names = _panel_names()
    alternatives = "|".join(r"[ -]".join(map(re.escape, n.split())) for n in sorted(names, key=len, reverse=True))

    def link(m: re.Match) -> str:
        title = names[re.sub(r"[ -]+", " ", m.group(1).lower())]
        return f"<a href='panel:{html.escape(title, quote=True)}'>{m.group(0)}</a>"
    return re.sub(rf"\b({alternatives}) panel\b", link, text, flags=re.IGNORECASE)


class LessonView(QWidget):
    """Shows one preset's lesson; `open_requested(name)` asks the window to open a compared preset
    or the next lesson, `compare_requested(name)` to train the open preset and that one as twins
    and compare them."""

    open_requested = Signal(str)
    compare_requested = Signal(str)
    panel_requested = Signal(str)
    """A panel named in the lesson was clicked: the window shows it (switching its group)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonView")
        self.preset_name = ""
        self.lesson = None
        self.text = QTextBrowser()
        self.text.setObjectName("lessonText")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._on_link)
        self.compare_label = QLabel("Its family (each differs only in the settings its claim names):")
        self.compare_label.setWordWrap(True)   # never widens the dock at 1366x768
        self.compare_box = QGridLayout()   # one row per member: train both as twins, or open it
        self.compare_box.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.compare_label)
        layout.addLayout(self.compare_box)
        self.next_button = QPushButton()
        self.next_button.setObjectName("nextLesson")
        self.next_button.clicked.connect(lambda: self.open_requested.emit(self.next_name))
        layout.addWidget(self.next_button)
        self.next_name = ""
        self.buttons: list[QPushButton] = []
        self.family: QComboBox | None = None
        """The list of a large family's members (None for a family of FAMILY_ROWS or fewer)."""
        self.show_preset("")

    def show_preset(self, name: str, data=None) -> bool:
        """Show the lesson of built-in preset `name`; False (and a hint) when it has none. With the
        data in use (a playground.network.spec.DataSpec), a lesson written for other data says so first."""
        from playground.core.files import FileProblem
        from playground.course.lessons import has_lesson, load_lesson
        from playground.params import ProblemList
        self.preset_name, self.lesson = name, None
        message = ("This network has no guided lesson. Every example under File ▸ Examples has one: "
                   "open one to see what it shows, what to look at and what to try.")
        if name and has_lesson(name):
            try:
                self.lesson = load_lesson(name)
            except (ProblemList, FileProblem) as e:
                message = f"The lesson of {name} cannot be shown: {e}"
        from playground.network.preset_text import data_note
        note = data_note(name, data, "lesson") if self.lesson and data is not None else ""
        self.text.setHtml((f"<p><i>{html.escape(note)}</i></p>" if note else "") + self._place_html(name)
                          + (lesson_html(self.lesson) if self.lesson else f"<p>{html.escape(message)}</p>"))
        self._set_buttons(self.lesson.claims if self.lesson else [])
        self._set_next(name if self.lesson else "")
        return self.lesson is not None

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == "panel":
            self.panel_requested.emit(url.path())

    @staticmethod
    def _place_html(name: str) -> str:
        """Where the lesson sits in the course: its chapter and its number there."""
        from playground.course.chapters import CHAPTERS, chapter_of
        chapter = chapter_of(name)
        if chapter is None:
            return ""
        return (f"<p style='color:#777; margin-bottom:0'>Chapter {CHAPTERS.index(chapter) + 1} · "
                f"{html.escape(chapter.title)} · lesson {chapter.lessons.index(name) + 1} of "
                f"{len(chapter.lessons)}</p>")

    def _set_next(self, name: str) -> None:
        """"Next lesson" opens the lesson after this one in the course (hidden after the last)."""
        from playground.course.chapters import chapter_of, next_lesson
        self.next_name = (next_lesson(name) or "") if name else ""
        self.next_button.setVisible(bool(self.next_name))
        if self.next_name:
            chapter = chapter_of(self.next_name)
            new_chapter = chapter is not None and chapter is not chapter_of(name)
            self.next_button.setText(f"Next lesson: {self.next_name} ▸")
            self.next_button.setToolTip(f"Open {self.next_name} and its lesson in place of this network"
                                        + (f" (the next chapter: {chapter.title})" if new_chapter else ""))

    @staticmethod
    def _claim_tip(claim: Claim) -> str:
        relation = (f"about the same {claim.metric} as" if claim.direction == "similar"
                    else f"{claim.direction} {claim.metric} than")
        return (f"The lesson claims: this network has {relation} {claim.other} "
                f"(they differ in {', '.join(claim.differs_in)}; checked over 5 seeds by "
                "`playground presets --verify`). Train both with the same three seeds in the "
                "background, then show both in Train ▸ Compare Runs")

    def _set_buttons(self, claims: list[Claim]) -> None:
        """A row per claim (playground.course.lessons.Claim): train both as twins, or open the other;
        one row with a list of the members for a family larger than FAMILY_ROWS."""
        for b in self.buttons + ([self.family] if self.family is not None else []):
            self.compare_box.removeWidget(b)
            b.hide()   # at once: deleteLater waits for the event loop
            b.deleteLater()
        self.buttons, self.family = [], None
        if len(claims) > FAMILY_ROWS:
            self._set_family_row(claims)
        for k, claim in enumerate(claims if len(claims) <= FAMILY_ROWS else []):
            name = claim.other
            twins = QPushButton(f"Compare with {name}")
            twins.setObjectName(f"compare:{name}")
            twins.setToolTip(self._claim_tip(claim))
            twins.clicked.connect(lambda _=False, n=name: self.compare_requested.emit(n))
            opener = QPushButton("Open")
            opener.setObjectName(f"open:{name}")
            opener.setToolTip(f"Open the built-in preset {name} in place of this one")
            opener.clicked.connect(lambda _=False, n=name: self.open_requested.emit(n))
            self.compare_box.addWidget(twins, k, 0)
            self.compare_box.addWidget(opener, k, 1)
            self.buttons += [twins, opener]
        self.compare_label.setVisible(bool(claims))

    def _set_family_row(self, claims: list[Claim]) -> None:
        """The member list, then "Compare" and "Open" for the member picked in it."""
        family = self.family = QComboBox()
        family.setObjectName("family")
        for k, claim in enumerate(claims):
            family.addItem(claim.other, claim.other)
            family.setItemData(k, self._claim_tip(claim), Qt.ItemDataRole.ToolTipRole)
        twins, opener = QPushButton("Compare"), QPushButton("Open")
        twins.setObjectName("compare")
        opener.setObjectName("open")

        def picked(k: int) -> None:
            name = family.itemData(k)
            family.setToolTip(self._claim_tip(claims[k]))
            twins.setToolTip(f"Compare with {name}: " + self._claim_tip(claims[k]))
            opener.setToolTip(f"Open the built-in preset {name} in place of this one")
        family.currentIndexChanged.connect(picked)
        picked(0)
        twins.clicked.connect(lambda: self.compare_requested.emit(family.currentData()))
        opener.clicked.connect(lambda: self.open_requested.emit(family.currentData()))
        self.compare_box.addWidget(family, 0, 0)
        self.compare_box.addWidget(twins, 0, 1)
        self.compare_box.addWidget(opener, 0, 2)
        self.buttons += [twins, opener]
