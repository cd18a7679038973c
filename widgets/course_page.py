"""The course map: the chapters of the course in the notes' order, each lesson with its idea and
a tick once the student has run it to its end, and the next lesson to take.

Shown when the app opens with nothing asked for (no file, no recovered work) and from Help ▸
Course. The chapters come from playground/course/chapters.py, the titles and ideas from the
lesson files; which lessons a student has run is kept in the app's settings (QSettings), so the
ticks are there the next time the app opens.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QSettings, QUrl, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from playground.course.chapters import CourseMap, course_map, first_not_done

DONE_KEY = "course/done"
SHOW_AT_START_KEY = "course/show_at_start"
TICK, OPEN = "✓", "○"
WIDE_PX = 1500
"""From this width on the chapters are laid out in three columns, below it in two."""


class CourseProgress:
    """Which lesson presets the student has run to their end, kept in the app's settings."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def done(self) -> set[str]:
        value = self.settings.value(DONE_KEY, [])
        if isinstance(value, str):   # an INI file gives a one-item list back as its item
            value = [value] if value else []
        return {str(v) for v in value or []}

    def mark(self, preset: str) -> bool:
        """Tick `preset`; True when it was not ticked before."""
        done = self.done()
        if preset in done:
            return False
        self.settings.setValue(DONE_KEY, sorted(done | {preset}))
        self.settings.sync()
        return True


def _columns(blocks: list[tuple[int, str]], n: int) -> list[list[str]]:
    """Chapters (their line counts and HTML) split into `n` columns of about equal height, each
    read top to bottom, the course order kept."""
    total = sum(lines for lines, _ in blocks)
    columns: list[list[str]] = [[] for _ in range(n)]
    filled, col = 0, 0
    for lines, block in blocks:
        if col < n - 1 and columns[col] and filled + lines / 2 > total * (col + 1) / n:
            col += 1
        columns[col].append(block)
        filled += lines
    return columns


class CoursePage(QDialog):
    """The course map. `open_requested(preset)` asks the window to open a lesson's preset,
    `lab_requested(name)` to show a lab."""

    open_requested = Signal(str)
    lab_requested = Signal(str)

    def __init__(self, settings: QSettings, lab_titles: dict[str, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("coursePage")
        self.setWindowTitle("The course — NN Playground")
        self.settings = settings
        self.progress = CourseProgress(settings)
        self.lab_titles = lab_titles or {}
        self.chapters: CourseMap = course_map()
        self.header = QLabel()
        self.header.setObjectName("courseHeader")
        self.header.setWordWrap(True)
        self.continue_button = QPushButton()
        self.continue_button.setObjectName("courseContinue")
        self.continue_button.clicked.connect(self._continue)
        self.browser = QTextBrowser()
        self.browser.setObjectName("courseMap")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._on_link)
        self.show_at_start = QCheckBox("Show the course when NN Playground opens")
        self.show_at_start.setChecked(shows_at_start(settings))
        self.show_at_start.toggled.connect(self._remember_show_at_start)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.continue_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.show_at_start)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.browser, 1)
        layout.addLayout(bottom)
        self._n_columns = 0
        self.resize(*_first_size(self))
        self.refresh()

    # ------------------------------------------------------------------ what it shows
    def refresh(self) -> None:
        """Draw the map again (a lesson was run, the window was resized)."""
        done = self.progress.done()
        lessons = [e for _, entries in self.chapters for e in entries]
        ran = sum(e.preset in done for e in lessons)
        self.header.setText(f"<b>The course</b>, in the order of the notes: {len(self.chapters)} chapters, "
                            f"{len(lessons)} lessons. {TICK} marks a lesson you have trained to its end "
                            f"({ran} so far). Click a lesson to open it; its guided lesson opens beside it.")
        upcoming = first_not_done(done)
        title = next((e.title for e in lessons if e.preset == upcoming), "")
        self.continue_button.setVisible(upcoming is not None)
        self.continue_button.setText(f"{'Start' if not ran else 'Continue'}: {_short(title)}")
        self.continue_button.setToolTip(f"Open {upcoming}: the first lesson you have not run yet")
        self._n_columns = 3 if self.width() >= WIDE_PX else 2
        blocks = [self._chapter_html(k, chapter, entries, done)
                  for k, (chapter, entries) in enumerate(self.chapters, 1)]
        columns = _columns(blocks, self._n_columns)
        width = 100 // self._n_columns
        cells = "".join(f"<td width='{width}%' valign='top' style='padding-right:14px'>{''.join(c)}</td>"
                        for c in columns)
        self.browser.setHtml(f"<table width='100%' cellspacing='0'><tr>{cells}</tr></table>")

    def _chapter_html(self, number: int, chapter, entries, done: set[str]) -> tuple[int, str]:
        ran = sum(e.preset in done for e in entries)
        rows = []
        for e in entries:
            mark = (f"<span style='color:#2ca02c'>{TICK}</span>" if e.preset in done
                    else f"<span style='color:#999'>{OPEN}</span>")
            rows.append(f"<tr><td width='18' valign='top'>{mark}</td><td><a href='lesson:{e.preset}'>"
                        f"{html.escape(e.title)}</a> <span style='color:#888'>{e.preset}</span><br>"
                        f"<span style='color:#666'>{html.escape(e.idea)}</span></td></tr>")
        labs = ", ".join(f"<a href='lab:{name}'>{html.escape(self.lab_titles.get(name, name))}</a>"
                         for name in chapter.labs)
        lab_line = f"<p style='margin-top:2px'>Lab: {labs}</p>" if labs else ""
        block = (f"<h3 style='margin-bottom:2px'>{number} · {html.escape(chapter.title)} "
                 f"<span style='color:#888; font-weight:normal'>({ran}/{len(entries)})</span></h3>"
                 f"<table cellspacing='2'>{''.join(rows)}</table>{lab_line}")
        return 2 * len(entries) + 2 + bool(labs), block

    def ticked(self) -> set[str]:
        """The lessons the map shows ticked (read back from what it draws)."""
        text = self.browser.toPlainText()
        return {e.preset for _, entries in self.chapters for e in entries if f"{TICK}\n{e.title}" in text}

    # ------------------------------------------------------------------ reactions
    def _on_link(self, url: QUrl) -> None:
        kind, _, name = url.toString().partition(":")
        if kind == "lesson":
            self.open_requested.emit(name)
        elif kind == "lab":
            self.lab_requested.emit(name)

    def _remember_show_at_start(self, on: bool) -> None:
        self.settings.setValue(SHOW_AT_START_KEY, bool(on))

    def _continue(self) -> None:
        upcoming = first_not_done(self.progress.done())
        if upcoming is not None:
            self.open_requested.emit(upcoming)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if (3 if self.width() >= WIDE_PX else 2) != self._n_columns:
            self.refresh()


def _first_size(widget: QWidget) -> tuple[int, int]:
    """The map's first size: most of the screen it opens on, so a wide screen (1920 px) gets the
    three columns (WIDE_PX) without a resize, and a 1366×768 one still sees the window around it."""
    screen = widget.screen().availableGeometry() if widget.screen() is not None else None
    if screen is None:
        return 1100, 700
    return min(int(screen.width() * 0.82), WIDE_PX + 120), min(int(screen.height() * 0.88), 900)


def shows_at_start(settings: QSettings) -> bool:
    value = settings.value(SHOW_AT_START_KEY, True)
    return value not in (False, "false", "0", 0)


def _short(title: str, limit: int = 40) -> str:
    return title if len(title) <= limit else title[:limit - 1].rstrip() + "…"
