"""The course map: the built-in lessons as chapters, in the order of the course notes.

The notes go from the perceptron to MLPs, then activations, losses and softmax, optimization,
initialization and normalization, regularization, CNNs, RNNs, autoencoders, learning beyond
labels, and the craft of training a network. This file is the one place that order lives: the
app's start page, the Examples menu's submenus and the Lesson dock's "Next lesson" all read it,
and a test checks that every built-in lesson preset sits in exactly one chapter (a new lesson
without a chapter fails it). What a lesson says (its title, its idea) stays in its lesson file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Collection

if TYPE_CHECKING:
    from playground.network.spec import Preset


@dataclass(frozen=True)
class Chapter:
    """One chapter of the course: its title and its lesson presets, in the order to take them."""

    key: str
    title: str
    lessons: tuple[str, ...]
    labs: tuple[str, ...] = ()
    """The labs (`playground lab NAME`, Help ▸ Labs) that go with the chapter."""


@dataclass(frozen=True)
class LessonEntry:
    """A lesson as the course map shows it: its preset, its title and the first sentence of its
    idea, both read from the lesson file."""

    preset: str
    title: str
    idea: str


CourseMap = list[tuple["Chapter", list["LessonEntry"]]]
"""Each chapter with its lessons, as the start page lays them out."""

CHAPTERS: tuple[Chapter, ...] = (
    Chapter("perceptron", "From the perceptron to the MLP",
            ("perceptron_linear", "perceptron_xor", "linear_regression", "xor_linear", "xor_mlp", "spiral_tanh",
             "spiral_shallow", "regression_sine")),
    Chapter("activations", "Activations", ("circle_relu", "spiral_sigmoid", "deep_sigmoid", "deep_relu",
                                           "deep_relu_high_lr", "deep_leaky_relu_high_lr", "deep_prelu_high_lr",
                                           "deep_elu_high_lr", "deep_gelu_high_lr", "deep_swish_high_lr",
                                           "deep_maxout_high_lr"),
            ("activations",)),
    Chapter("losses", "Losses and softmax", ("logistic_regression", "logistic_large_init_bce", "logistic_large_init_mse",
                                            "digits_mlp"), ("softmax", "backprop", "autodiff")),
    Chapter("optimization", "Optimization",
            ("sgd_vs_momentum_sgd", "sgd_vs_momentum_momentum", "sgd_vs_momentum_nesterov",
             "sgd_vs_momentum_adagrad", "sgd_vs_momentum_rmsprop", "sgd_vs_momentum_adam",
             "lr_decay_step", "lr_decay_exponential", "lr_decay_inverse_time", "lr_decay_inverse_sqrt",
             "momentum_low_spiral", "momentum_high_spiral", "momentum_warmup_spiral"),
            ("optimizers", "hessian")),
    Chapter("initialization", "Initialization and normalization",
            ("logistic_scaled_standardized", "logistic_scaled_raw", "deep_init_small", "deep_init_kaiming",
             "selu_lecun", "deep_plain", "deep_batchnorm"), ("init",)),
    Chapter("regularization", "Regularization",
            ("overfit_moons", "overfit_moons_l2", "overfit_moons_l1", "overfit_moons_elastic",
             "overfit_moons_max_norm", "overfit_moons_dropout")),
    Chapter("cnn", "Convolutional networks", ("digits_cnn", "digits_cnn_strided", "digits_cnn_avgpool", "shapes_cnn",
                                             "resnet_shapes", "plain_cnn_deep",
                                             "degradation_shallow", "degradation_plain", "degradation_residual"), ("conv-size",)),
    Chapter("rnn", "Recurrent networks", ("sine_lstm", "adding_rnn", "adding_lstm", "lstm_forget_gate", "adding_gru",
                                          "adding_irnn", "rnn_exploding", "rnn_clipped", "recall_first_rnn",
                                          "recall_first_birnn", "char_rnn", "char_lstm")),
    Chapter("autoencoders", "Autoencoders",
            ("digits_autoencoder", "sparse_autoencoder", "denoising_autoencoder", "contractive_autoencoder",
             "vae_digits")),
    Chapter("beyond", "Beyond supervised learning",
            ("linear_autoencoder", "semi_moons_supervised", "semi_moons_self_training", "semi_moons_entropy",
             "semi_moons_noisy_supervised", "semi_moons_noisy_self_training", "semi_moons_noisy_entropy",
             "digits_pretrain_autoencoder", "digits_scratch", "digits_finetune"), ("cluster", "generative")),
    Chapter("craft", "The craft of training",
            ("lr_too_low_circle", "lr_good_circle", "lr_too_high_circle", "batch_small_circle", "batch_large_circle",
             "batch_one_circle", "batch_mini_circle", "batch_full_circle",
             "underfit_circle", "overfit_moons_early_stop", "overfit_moons_more_data"), ("grid-random",)),
)


LESSON_NEUTRAL = ("training.seed", "training.device", "training.probe_every")
"""Settings a run may change and still be its lesson's run: a lesson's claims hold over seeds and
on any device, and how often the panels probe changes no weight."""


def lesson_run_changes(preset: Preset) -> dict[str, Any]:
    """What `preset` changes from its lesson's own settings, `{path: new value}` ({} for a run of
    the lesson as written, or a preset outside the course): a run with changes shows something else
    than the lesson says, and does not tick it on the course map."""
    if chapter_of(preset.name) is None:
        return {}
    from playground.network.overrides import changes_from_builtin
    return {path: value for path, value in changes_from_builtin(preset).items() if path not in LESSON_NEUTRAL}


def course_order() -> tuple[str, ...]:
    """Every lesson preset in the order of the course."""
    return tuple(name for chapter in CHAPTERS for name in chapter.lessons)


def chapter_of(preset: str) -> Chapter | None:
    """The chapter that holds `preset`, or None for a preset outside the course."""
    return next((c for c in CHAPTERS if preset in c.lessons), None)


def next_lesson(preset: str) -> str | None:
    """The lesson after `preset` in the course (across chapters); None after the last, or for a
    preset outside the course."""
    order = course_order()
    if preset not in order:
        return None
    k = order.index(preset)
    return order[k + 1] if k + 1 < len(order) else None


def first_not_done(done: Collection[str]) -> str | None:
    """Where a student picks the course up: the first lesson not yet run, None when all are."""
    return next((name for name in course_order() if name not in done), None)


def sentences(text: str) -> list[str]:
    """A paragraph's sentences: a full stop, then a space and a capital, a digit, a Greek letter
    or a bracket ends one ("η = 0.5" and "≈ 0.9)" do not)."""
    flat = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(flat) if s]


_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z0-9(\"“α-ωΑ-Ω])")


def _idea_line(idea: str, shared: Collection[str]) -> str:
    """The sentence of an idea that tells its lesson apart: the first one no other lesson opens
    with (the four learning-rate decay lessons open alike, then each names its schedule)."""
    parts = sentences(idea)
    return next((s for s in parts if s not in shared), parts[0] if parts else "")


def _read_lesson(preset: str) -> tuple[str, str]:
    """A lesson's title and idea; a lesson that cannot be read gives its preset name and the
    reason, so one bad file never breaks the map."""
    from playground.core.files import FileProblem
    from playground.course.lessons import load_lesson
    from playground.params import ProblemList
    try:
        lesson = load_lesson(preset)
    except (ProblemList, FileProblem) as e:
        return preset, f"(its lesson cannot be read: {str(e).splitlines()[0]})"
    return lesson.title, lesson.idea


def course_map() -> CourseMap:
    """Each chapter with its lessons' entries, in the order of the course."""
    read = {name: _read_lesson(name) for name in course_order()}
    openings = [sentences(idea)[:1] for _, idea in read.values()]
    firsts = [o[0] for o in openings if o]
    shared = {s for s in firsts if firsts.count(s) > 1}
    return [(chapter, [LessonEntry(name, read[name][0], _idea_line(read[name][1], shared))
                       for name in chapter.lessons]) for chapter in CHAPTERS]
