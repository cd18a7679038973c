"""The course map (playground/course/chapters.py): every built-in lesson sits in exactly one
chapter, the chapters follow the notes, and what the map shows is read from the lesson files."""
from __future__ import annotations

from playground.core.builtin_data import lessons_dir
from playground.course.chapters import CHAPTERS, course_map, course_order, first_not_done, next_lesson
from playground.network.preset import builtin_names

NOTES_ORDER = ("perceptron", "activation", "loss", "optimi", "initiali", "regulari", "convolution", "recurrent",
               "autoencoder", "beyond supervised", "craft")
"""The course notes' order of topics, as the issue lists them (a word of each chapter's title)."""


def test_every_lesson_preset_is_in_exactly_one_chapter():
    on_disk = {p.stem for p in lessons_dir().glob("*.md")}    # the lesson files themselves
    assert on_disk and on_disk <= set(builtin_names())
    order = course_order()
    assert len(order) == len(set(order))                      # no lesson in two chapters (or twice in one)
    assert set(order) == on_disk                              # a new lesson without a chapter fails here


def test_the_chapters_follow_the_notes_and_none_is_empty():
    assert len(CHAPTERS) == len(NOTES_ORDER)
    for chapter, word in zip(CHAPTERS, NOTES_ORDER):
        assert word in chapter.title.lower() and chapter.lessons, chapter.title


def test_next_lesson_goes_on_across_chapters_and_stops_after_the_last():
    first, second = CHAPTERS[0], CHAPTERS[1]
    assert next_lesson(first.lessons[0]) == first.lessons[1]
    assert next_lesson(first.lessons[-1]) == second.lessons[0]
    assert next_lesson(CHAPTERS[-1].lessons[-1]) is None
    assert next_lesson("not_a_lesson") is None
    assert first_not_done({first.lessons[0]}) == first.lessons[1]
    assert first_not_done(set(course_order())) is None


def test_the_map_shows_each_lesson_title_and_a_sentence_of_its_idea_from_its_file():
    entries = {e.preset: e for _, es in course_map() for e in es}
    for name in course_order():
        text = (lessons_dir() / f"{name}.md").read_text(encoding="utf-8")
        title = next(line[2:].strip() for line in text.splitlines() if line.startswith("# "))
        idea = " ".join(text.split("## Idea", 1)[1].split("\n## ", 1)[0].split())
        assert entries[name].title == title
        assert entries[name].idea and entries[name].idea in idea, name
    decay = [entries[n].idea for n in course_order() if n.startswith("lr_decay_")]
    assert len(decay) == 4 and len(set(decay)) == 4   # their ideas open alike: each shows what sets it apart
