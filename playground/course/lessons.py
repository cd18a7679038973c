"""Guided lessons: what a built-in preset shows, where to look, what to change and predict.

A lesson is a short Markdown file beside the presets, `presets/lessons/NAME.md` (installed with
them as package data: playground/core/builtin_data.py), so a teacher edits prose in prose and the
preset JSON stays a spec. Its sections are fixed, in this order:

    # Title
    ## Idea       the one idea the preset shows
    ## Look at    which panel, which number
    ## Change     one setting to change ...
    ## Predict    ... and what to expect before running it
    ## Notes      what the course notes say (and which section)
    ## Compare    optional: one claim per line against a preset it differs from in named settings,
                  `- OTHER: lower|higher|similar METRIC; differs in PATH[, PATH ...]`
    ## Finding    optional: the finding the preset fails with on purpose (e.g. `vanishing`)

Loading checks every section and names the bad one; nothing in a lesson can run code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playground.core.files import read_bounded
from playground.params import Problem, ProblemList
from playground.core.builtin_data import lessons_dir
from playground.network.preset import builtin_names

LESSONS_DIR = lessons_dir()
DIRECTIONS = ("lower", "higher", "similar")
CLAIM_FORMAT = "- OTHER: lower|higher|similar METRIC; differs in PATH[, PATH ...]"
_CLAIM = re.compile(r"^[-*]\s+(?P<other>[^\s:]+)\s*:\s*(?P<direction>\S+)\s+(?P<metric>[^\s;]+)\s*;"
                    r"\s*differs in\s+(?P<paths>.+?)\s*\.?$")
MAX_LESSON_BYTES = 32_000
SECTIONS = ("Idea", "Look at", "Change", "Predict", "Notes")
OPTIONAL = ("Compare", "Finding")
_HEADING = re.compile(r"^(#{1,2})\s+(.*?)\s*$")


@dataclass(frozen=True)
class Claim:
    """One `## Compare` line: this lesson's preset against `other`, on `metric`, in `direction`
    ("lower": this preset's metric is lower), the two presets differing only in `differs_in`
    (setting paths; a path names everything under it, `*` stands for one list index or name)."""

    other: str
    metric: str
    direction: str
    differs_in: tuple[str, ...]
    line: int = 0

    def text(self) -> str:
        return f"{self.other}: {self.direction} {self.metric}; differs in {', '.join(self.differs_in)}"


def parse_claims(text: str, first_line: int = 1) -> tuple[list[Claim], list[Problem]]:
    """The claims of a `## Compare` section, and a Problem naming each line that is not one."""
    from playground.course.metrics import METRICS
    claims: list[Claim] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), first_line):
        if not line.strip():
            continue
        where = f"Compare line {number}"
        m = _CLAIM.match(line.strip())
        if m is None:
            problems.append(Problem(where, f"expected {CLAIM_FORMAT!r}, got {line.strip()!r}"))
            continue
        direction, metric = m.group("direction"), m.group("metric")
        paths = tuple(p.strip() for p in m.group("paths").split(",") if p.strip())
        if direction not in DIRECTIONS:
            problems.append(Problem(where, f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}"))
        elif metric not in METRICS:
            problems.append(Problem(where, f"unknown metric {metric!r} (known: {', '.join(METRICS)})"))
        elif not paths:
            problems.append(Problem(where, "name the settings the two presets differ in"))
        else:
            claims.append(Claim(m.group("other"), metric, direction, paths, number))
    return claims, problems


class LessonError(ProblemList):
    """A lesson that cannot be shown; every problem names its section."""


@dataclass
class Lesson:
    """One preset's guided lesson."""

    preset: str
    title: str
    idea: str
    look_at: str
    change: str
    predict: str
    notes: str
    compare: list[str] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    finding: str = ""
    """The finding (playground.babysit.findings.NAMES) the preset shows on purpose, from `## Finding`."""

    def sections(self) -> list[tuple[str, str]]:
        """(heading, text) in reading order, for the CLI and the app."""
        out = [("Idea", self.idea), ("Look at", self.look_at), ("Change", self.change),
               ("Predict", self.predict), ("Notes", self.notes)]
        if self.compare:
            out.append(("Compare", "\n\n".join(c.text() for c in self.claims) or ", ".join(self.compare)))
        return out


def parse_lesson(text: str, preset: str, known_presets: list[str] | None = None) -> Lesson:
    """A Lesson from Markdown text, or LessonError listing every missing, empty or unknown part."""
    title = ""
    found: dict[str, list[str]] = {}
    starts: dict[str, int] = {}
    current: str | None = None
    problems: list[Problem] = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _HEADING.match(line)
        if m and m.group(1) == "#":
            if title:
                problems.append(Problem(f"line {number}", "a lesson has one '# Title'"))
            title, current = m.group(2), None
        elif m:
            name = m.group(2)
            if name not in SECTIONS + OPTIONAL:
                problems.append(Problem(f"line {number}", f"unknown section {name!r} (known: "
                                                          f"{', '.join(SECTIONS + OPTIONAL)})"))
                current = None
            elif name in found:
                problems.append(Problem(name, "appears twice"))
                current = None
            else:
                current = name
                found[name] = []
                starts[name] = number + 1
        elif current is not None:
            found[current].append(line)
        elif line.strip() and not title:
            problems.append(Problem(f"line {number}", "text before the '# Title'"))
    body = {k: "\n".join(v).strip() for k, v in found.items()}
    if not title:
        problems.append(Problem("title", "missing: start with '# Title'"))
    for name in SECTIONS:
        if not body.get(name):
            problems.append(Problem(name, "missing or empty"))
    order = [s for s in found if s in SECTIONS]
    if not problems and order != list(SECTIONS):
        problems.append(Problem("sections", f"must come in the order {', '.join(SECTIONS)}"))
    claims, claim_problems = parse_claims("\n".join(found.get("Compare", [])), starts.get("Compare", 1))
    problems += claim_problems
    compare = [c.other for c in claims]
    for c in claims:
        where = f"Compare line {c.line}"
        if known_presets is not None and c.other not in known_presets:
            problems.append(Problem(where, f"no built-in preset named {c.other!r}"))
        elif c.other == preset:
            problems.append(Problem(where, "a lesson cannot compare a preset with itself"))
        elif compare.count(c.other) > 1:
            problems.append(Problem(where, f"{c.other!r} is compared twice"))
    finding = body.get("Finding", "")
    problems += _finding_problems(finding) if "Finding" in body else []
    if problems:
        raise LessonError(problems, f"lesson {preset!r}")
    return Lesson(preset, title, body["Idea"], body["Look at"], body["Change"], body["Predict"],
                  body["Notes"], compare, claims, finding)


def _finding_problems(finding: str) -> list[Problem]:
    """`## Finding` names one finding the preset fails with on purpose (the outcome then says so)."""
    from playground.babysit.findings import NAMES
    if finding not in NAMES:
        return [Problem("Finding", f"unknown finding {finding!r} (known: {', '.join(NAMES)})")]
    return []


def lesson_path(name: str) -> Path:
    return LESSONS_DIR / f"{name}.md"


def has_lesson(name: str) -> bool:
    return lesson_path(name).is_file()


def load_lesson(name: str) -> Lesson:
    """The lesson of a built-in preset; FileProblem when it has none, LessonError when it is bad."""
    raw = read_bounded(lesson_path(name), MAX_LESSON_BYTES, f"lesson for {name!r}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LessonError([Problem("", "not UTF-8 text")], f"lesson {name!r}") from None
    return parse_lesson(text, name, builtin_names())


def format_lesson(lesson: Lesson, width: int = 88) -> str:
    """Plain text for a terminal: the title, then each section as a heading and wrapped text."""
    import textwrap
    lines = [lesson.title, "=" * min(width, len(lesson.title))]
    for heading, text in lesson.sections():
        lines += ["", heading.upper()]
        for para in text.split("\n\n"):
            lines += textwrap.wrap(" ".join(para.split()), width, initial_indent="  ",
                                   subsequent_indent="  ") or [""]
    return "\n".join(lines) + "\n"


def lesson_finding_of(preset_name: str) -> str:
    """The finding a built-in preset's lesson shows on purpose ('' when none or no lesson)."""
    try:
        return load_lesson(preset_name).finding if preset_name and has_lesson(preset_name) else ""
    except (OSError, ProblemList):  # a bad lesson names no finding; the lesson view reports it
        return ""
