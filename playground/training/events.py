"""What a Trainer tells the world: plain dataclasses holding numbers and numpy arrays.

Events never hold tensors, so they cross threads safely and a GUI can draw them while the
model trains on. The GUI worker coalesces them; the CLI prints some; tests read them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Any

import numpy as np


ZERO_WEIGHT_SCALE = 1e-3
"""A weight counts as zero at or below this fraction of the largest |w|. L1 optimised by gradient
steps (Adam above all) leaves weights hovering about 0, within a step's size, never at exactly 0,
so "zero" is judged against the weights that carry the function."""


@dataclass
class LossEvent:
    """Training losses of the steps since the last LossEvent (read back in one go, so a GPU
    is not synchronised every step)."""

    steps: np.ndarray   # int64 (n,)
    losses: np.ndarray  # float64 (n,), the batch loss including every penalty term
    epoch: int
    lr: float
    lrs: np.ndarray | None = None        # float64 (n,), the learning rate each step used (schedules)
    momenta: np.ndarray | None = None    # float64 (n,), momentum ρ (SGD+momentum, Nesterov) or Adam's β1; 0 without
    penalties: np.ndarray | None = None  # float64 (n,), the penalty part of `losses` (L1, L2, sparsity,
    # contractive, β·KL): the data loss is `losses - penalties`; None when no step had a penalty term
    data_losses: np.ndarray | None = None  # float64 (n,), the task (data) loss alone: `losses` without
    # its penalty part, worked out by the Trainer; None when no step had a penalty term (it is `losses`)

    def data_loss(self) -> np.ndarray:
        """Each step's data loss: the series the curves compare with the validation loss."""
        return self.losses if self.data_losses is None else self.data_losses

    @staticmethod
    def join(events: "list[LossEvent]") -> "LossEvent":
        """Consecutive LossEvents as one (a GUI coalescing them keeps every field)."""
        def cat(name: str) -> np.ndarray | None:
            parts = [getattr(e, name) for e in events]
            if all(p is None for p in parts):
                return None
            return np.concatenate([p if p is not None else np.zeros(len(e.steps)) for p, e in zip(parts, events)])
        data = None if all(e.data_losses is None for e in events) else \
            np.concatenate([e.data_loss() for e in events])
        return LossEvent(np.concatenate([e.steps for e in events]), np.concatenate([e.losses for e in events]),
                         events[-1].epoch, events[-1].lr, cat("lrs"), cat("momenta"), cat("penalties"), data)


@dataclass
class EpochEvent:
    """Metrics at the end of an epoch."""

    epoch: int
    step: int
    train_loss: float
    val_loss: float
    train_accuracy: float | None  # classifiers only
    val_accuracy: float | None
    lr: float
    seconds: float  # wall time since training started
    train_data_loss: float | None = None
    """The training loss without its penalty terms (L1/L2, sparsity, KL, ...), None where it has
    none: what the per-step curve and the validation loss measure. `train_loss` includes them."""

    def data_loss(self) -> float:
        """The training loss to set beside the validation loss: without any penalty terms."""
        return self.train_loss if self.train_data_loss is None else self.train_data_loss


@dataclass
class LayerProbe:
    """One layer's health at a probe step."""

    node_id: str
    layer_type: str
    update_ratio: float | None  # ||ΔW|| / ||W|| since the previous probe step's update (~1e-3 is healthy)
    grad_norm: float | None     # ||∂L/∂W|| of the last step
    weight_norm: float | None
    hist_counts: np.ndarray     # activation histogram counts (bins,)
    hist_edges: np.ndarray      # (bins + 1,)
    act_mean: float
    act_std: float
    dead_fraction: float | None  # activations that can die: share of units with |f'(x)| < DEAD_SLOPE on every probe input


@dataclass
class ProbeEvent:
    step: int
    epoch: int
    layers: list[LayerProbe]


@dataclass
class FeatureMapEvent:
    """Feature maps of every conv-shaped node for one probe image, and the first conv's filters."""

    step: int
    image: np.ndarray                 # (C, H, W) the probe input
    label: int | None
    maps: dict[str, np.ndarray]       # node id -> (C, H, W)
    filters: np.ndarray | None        # first conv layer's weights (C_out, C_in, k, k)
    filters_node: str = ""
    predicted: int | None = None      # the class the network predicts for the probe input (classifiers)


@dataclass
class ReconstructionEvent:
    """Autoencoder probes: inputs beside reconstructions, and the latent code of validation samples."""

    step: int
    inputs: np.ndarray          # (n, *input_shape) as fed (corrupted for a denoising AE)
    targets: np.ndarray         # (n, *input_shape) the clean inputs
    outputs: np.ndarray         # (n, *input_shape) reconstructions
    codes: np.ndarray | None    # (m, D) code-node outputs of validation samples
    code_labels: np.ndarray | None  # (m,) their labels, for colouring
    latent_walk: np.ndarray | None = None  # VAE: (k, *input_shape) decoded along a line in latent space


@dataclass
class BoundaryEvent:
    """2-D inputs: the model's prediction on a grid over the data (decision regions)."""

    step: int
    xs: np.ndarray      # (W,) grid x coordinates, in the data's (standardized) units
    ys: np.ndarray      # (H,)
    values: np.ndarray  # (H, W): P(class 1) for 2 classes, else the predicted class index
    n_classes: int
    points: np.ndarray  # (n, 2) training points shown over it
    labels: np.ndarray  # (n,)
    axis_names: tuple[str, str] = ("x₁", "x₂")
    """What the axes are: the two inputs, or (more inputs) their first two principal components."""
    note: str = ""
    """What else a person must know to read the picture (a slice through more inputs), or ""."""
    class_names: tuple[str, ...] = ()
    """The data set's names of the classes (the legend), or () for regression."""
    unlabelled: np.ndarray | None = None
    """Semi-supervised data (labels_per_class): (m, 2) training points whose labels were set
    aside, at most N_POINTS of them, drawn faintly under the labelled ones; None otherwise."""


@dataclass
class CurveEvent:
    """1-D regression: the fitted curve over the data."""

    step: int
    xs: np.ndarray     # (M,)
    ys: np.ndarray     # (M,) prediction
    data_x: np.ndarray
    data_y: np.ndarray


@dataclass
class ConfusionEvent:
    epoch: int
    matrix: np.ndarray  # (C, C) rows = true class, columns = predicted, validation split
    class_names: list[str]


@dataclass
class PerceptronEvent:
    """The perceptron rule's progress and the convergence theorem's bound (R/γ)²."""

    epoch: int
    mistakes: int              # mistakes during this epoch
    total_mistakes: int
    radius: float              # R: the largest input norm
    margin: float | None       # γ: the data's margin, when it is separable (None otherwise)
    bound: float | None        # (R/γ)², the most mistakes the theorem allows
    separable: bool
    message: str


@dataclass
class ProblemEvent:
    """Training hit something it cannot go on with; the run pauses, the model and curves stay."""

    kind: str             # "non_finite" | "error"
    step: int
    epoch: int
    node_id: str          # first layer affected ("" when unknown)
    message: str          # what happened, in plain words
    advice: str = ""      # what to try


@dataclass
class SettingAppliedEvent:
    """A live setting took effect: steps from `step` on train with `value` (the Trainer applied
    it just before that step; the curves mark the change there)."""

    step: int
    name: str
    value: Any
    old: Any

    def describe(self) -> str:
        """'lr 0.01 → 0.001': the change in a few characters (the curves' mark, the status bar)."""
        def text(v: Any) -> str:
            return f"{v:g}" if isinstance(v, float) else str(v)
        return f"{self.name} {text(self.old)} → {text(self.value)}"


@dataclass
class FinishedEvent:
    """Training ended: `reason` is finished, stopped, early_stopping or problem."""

    reason: str
    step: int
    epoch: int
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    history: Sequence[EpochEvent] = field(default=(), repr=False, compare=False)
    """Every epoch of the run (the Trainer's own history, complete once it has finished): what
    the end of a run is judged on, handed over rather than kept twice (a long run has many)."""


Event = (LossEvent | EpochEvent | ProbeEvent | FeatureMapEvent | ReconstructionEvent | BoundaryEvent
         | CurveEvent | ConfusionEvent | PerceptronEvent | ProblemEvent | FinishedEvent | SettingAppliedEvent)


@dataclass
class WeightsEvent:
    """Every layer's weights at a probe step: quantile bands (drawn over time), histograms of
    the weights and of their last gradients, weights at zero (L1) and the largest row norm (max-norm);
    the first Linear layer's weight rows as images when its input is an image."""

    step: int
    nodes: list[str]
    layer_types: list[str]
    weight_hists: list[tuple[np.ndarray, np.ndarray]]          # per node (counts, edges)
    grad_hists: list[tuple[np.ndarray, np.ndarray] | None]     # None: no gradient yet (perceptron)
    quantiles: np.ndarray        # (nodes, 9) at playground.training.inside.QUANTILES
    zero_fraction: list[float]   # share of weights at 0 (playground.training.inside.zero_share)
    max_row_norm: list[float]    # largest ‖w‖ of one unit's incoming weights
    templates: np.ndarray | None = None   # (units, H, W) first Linear's weights as images
    templates_node: str = ""


@dataclass
class NeuronMapEvent:
    """2-D inputs: each unit's output over the input plane, nodes in columns by depth."""

    step: int
    xs: np.ndarray                  # (W,)
    ys: np.ndarray                  # (H,)
    maps: dict[str, np.ndarray]     # node id -> (units, H, W) (the first MAX_UNITS units)
    columns: list[list[str]]        # node ids by depth, input first
    node_types: dict[str, str]
    input_id: str
    output_id: str
    widths: dict[str, int]          # every node's true number of units


@dataclass
class HiddenSpaceEvent:
    """Classifiers: each vector-valued hidden node's representation of probe samples in 2-D."""

    step: int
    points: dict[str, np.ndarray]   # node id -> (n, 2)
    method: dict[str, str]          # "units" (its own two units) or "pca"
    kept: dict[str, float]          # share of the variance the two axes keep
    labels: np.ndarray              # (n,)
    n_classes: int
    node_types: dict[str, str]


@dataclass
class RecurrentEvent:
    """An RNN/LSTM/GRU's inside over the time steps of probe sequences."""

    step: int
    node_id: str
    cell: str                         # "LSTM" | "GRU" | "RNN"
    gates: dict[str, np.ndarray]      # name -> (sequences, T, H): LSTM input/forget/output/cell
    saturated: float | None           # share of sigmoid gate values < 0.1 or > 0.9
    grad_norm: np.ndarray             # (T,) ‖∂L/∂h_t‖ of the first layer, mean over sequences
    grad_norm_backward: np.ndarray | None = None
    """A bidirectional layer's backward direction: (T,) ‖∂L/∂h_t‖ in time order (its gates and
    `grad_norm` are the forward direction's); None for a one-way layer."""


@dataclass
class TextSampleEvent:
    """Text written by a character-level language model at an epoch end, one line per temperature
    (`playground.training.text_samples`)."""

    step: int
    epoch: int
    prompt: str
    temperatures: tuple[float, ...]
    samples: list[str]           # the characters written after the prompt, one per temperature
    unigram_entropy: float       # nats/character: the loss of always predicting the character frequencies
    uniform_entropy: float       # nats/character: ln(alphabet size), the loss of a uniform guess
