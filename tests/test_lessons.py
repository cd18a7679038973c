"""Guided lessons: every section present and in order, bad ones named, shown by the CLI."""
import pytest

from playground.cli import main
from playground.lessons import LessonError, parse_lesson

GOOD = """# Title
## Idea
one idea
## Look at
the loss panel
## Change
L2 to 1e-3
## Predict
a lower validation loss
## Notes
Regularization
## Compare
overfit_moons
"""


def test_a_lesson_reads_back_section_by_section():
    lesson = parse_lesson(GOOD, "overfit_moons_l2", ["overfit_moons", "overfit_moons_l2"])
    assert lesson.title == "Title" and lesson.look_at == "the loss panel"
    assert lesson.compare == ["overfit_moons"]


@pytest.mark.parametrize("broken, where", [
    (GOOD.replace("## Predict\na lower validation loss\n", ""), "Predict: missing"),
    (GOOD.replace("## Notes", "## Remarks"), "unknown section 'Remarks'"),
    (GOOD.replace("overfit_moons\n", "no_such_preset\n"), "no built-in preset named 'no_such_preset'"),
    (GOOD.replace("# Title\n", ""), "title: missing"),
])
def test_a_bad_lesson_names_its_bad_section(broken, where):
    with pytest.raises(LessonError) as e:
        parse_lesson(broken, "overfit_moons_l2", ["overfit_moons", "overfit_moons_l2"])
    assert where in str(e.value)


def test_cli_prints_a_lesson_and_refuses_an_unknown_preset(capsys):
    assert main(["presets", "--lesson", "deep_sigmoid"]) == 0
    out = capsys.readouterr().out
    assert "Vanishing gradients" in out and "LOOK AT" in out and "deep_relu" in out
    assert main(["presets", "--lesson", "nope"]) == 2
    assert capsys.readouterr().err.startswith("playground: error: no built-in preset named 'nope'")
