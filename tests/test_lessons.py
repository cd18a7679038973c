"""Guided lessons: every section present and in order, bad ones named, shown by the CLI."""
import pytest

from playground.command_line.main import main
from playground.course.lessons import LessonError, parse_lesson

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
- overfit_moons: lower val_loss; differs in training.l2
"""


def test_a_lesson_reads_back_section_by_section():
    lesson = parse_lesson(GOOD, "overfit_moons_l2", ["overfit_moons", "overfit_moons_l2"])
    assert lesson.title == "Title" and lesson.look_at == "the loss panel"
    assert lesson.compare == ["overfit_moons"]
    claim = lesson.claims[0]
    assert (claim.other, claim.direction, claim.metric, claim.differs_in) == (
        "overfit_moons", "lower", "val_loss", ("training.l2",))
    assert claim.line == 13   # the line of the file, for a teacher to find


@pytest.mark.parametrize("broken, where", [
    (GOOD.replace("## Predict\na lower validation loss\n", ""), "Predict: missing"),
    (GOOD.replace("## Notes", "## Remarks"), "unknown section 'Remarks'"),
    (GOOD.replace("- overfit_moons:", "- no_such_preset:"), "Compare line 13: no built-in preset named 'no_such_preset'"),
    (GOOD.replace("lower val_loss", "smaller val_loss"), "Compare line 13: direction 'smaller' is not one of"),
    (GOOD.replace("lower val_loss", "lower val_los"), "Compare line 13: unknown metric 'val_los'"),
    (GOOD.replace("; differs in training.l2", ""), "Compare line 13: expected '- OTHER: lower|higher"),
    (GOOD.replace("- overfit_moons:", "- overfit_moons_l2:"), "Compare line 13: a lesson cannot compare a preset with itself"),
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
