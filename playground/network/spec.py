"""The spec: a network, its data and its training settings as plain data.

This is the single source of truth. The builder edits it, presets serialize it, the engine
builds a torch module from it and the exporters read it; nothing else keeps a copy of the
architecture. Everything here is JSON-shaped (str, numbers, bools, lists, dicts).
"""
from __future__ import annotations

import copy
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from playground.params import Param, Problem

NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass
class Node:
    """One layer on the canvas: what it is, how it is set, what feeds it and where it sits."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    pos: tuple[float, float] = (0.0, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "params": copy.deepcopy(self.params),
                "inputs": list(self.inputs), "pos": [float(self.pos[0]), float(self.pos[1])]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Node":
        pos = d.get("pos", (0.0, 0.0))
        return cls(id=d["id"], type=d["type"], params=copy.deepcopy(d.get("params", {})),
                   inputs=list(d.get("inputs", [])), pos=(float(pos[0]), float(pos[1])))


@dataclass
class ModelSpec:
    """A network: a DAG of nodes, and which node's output is the network's output.

    `output` may be empty when exactly one node feeds nothing: that node is the output.
    """

    nodes: list[Node] = field(default_factory=list)
    output: str = ""

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    def consumers(self, node_id: str) -> list[str]:
        return [n.id for n in self.nodes if node_id in n.inputs]

    def upstream(self, node_id: str) -> set[str]:
        """Every node `node_id` depends on, itself included."""
        by_id = {n.id: n for n in self.nodes}
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            nid = stack.pop()
            if nid in seen or nid not in by_id:
                continue
            seen.add(nid)
            stack.extend(by_id[nid].inputs)
        return seen

    def sinks(self) -> list[str]:
        fed = {i for n in self.nodes for i in n.inputs}
        return [n.id for n in self.nodes if n.id not in fed]

    def output_id(self) -> str:
        """The output node: the declared one, else the only node that feeds nothing."""
        if self.output:
            return self.output
        sinks = self.sinks()
        return sinks[0] if len(sinks) == 1 else ""

    def fresh_id(self, stem: str) -> str:
        """An unused id such as `conv3` for a new node of a type named `Conv2d`."""
        base = re.sub(r"[^a-z0-9_]", "", stem.lower()) or "node"
        if not base[0].isalpha():
            base = "n" + base
        taken = set(self.ids())
        k = 1
        while f"{base}{k}" in taken:
            k += 1
        return f"{base}{k}"

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [n.to_dict() for n in self.nodes], "output": self.output}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelSpec":
        return cls(nodes=[Node.from_dict(n) for n in d.get("nodes", [])], output=d.get("output", ""))

    @classmethod
    def chain(cls, *layers: tuple[str, dict[str, Any]], spacing: float = 90.0) -> "ModelSpec":
        """A plain chain of layers, laid out top to bottom; handy for tests and presets."""
        spec = cls()
        prev: str | None = None
        for k, (type_name, params) in enumerate(layers):
            nid = spec.fresh_id(type_name)
            spec.nodes.append(Node(nid, type_name, dict(params), [prev] if prev else [], (0.0, k * spacing)))
            prev = nid
        return spec


@dataclass
class DataSpec:
    """Which data set, with which parameters (the data set's own declared Params)."""

    name: str = "xor"
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": copy.deepcopy(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DataSpec":
        return cls(name=d["name"], params=copy.deepcopy(d.get("params", {})))


def setting(default: Any, kind: str, help: str, **kw: Any) -> Any:
    """A training setting: a dataclass field whose metadata declares its Param."""
    return field(default=default, metadata={"param": Param("", kind, default, help, **kw)})


LOSSES = ("cross_entropy", "bce", "mse", "l1", "hinge")
CLASS_LOSSES = ("cross_entropy", "bce", "hinge")
"""Losses that compare outputs with class labels: a classifier's, and none that can train real-valued targets."""
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")

OPTIMIZER_HYPERPARAMETERS: dict[str, dict[str, float]] = {
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "adagrad": {},
    "rmsprop": {"momentum": 0.0, "alpha": 0.99},
    "adam": {"beta1": 0.9, "beta2": 0.999},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "weight_decay": 0.01},
}
"""The one table of which hyper-parameters each optimizer reads, with its own default: PyTorch's
(and the notes' typical ρ = 0.9 for SGD+Momentum, which PyTorch leaves at 0). An optimizer ignores
every hyper-parameter its row does not name."""

OPTIMIZER_SETTINGS = ("momentum", "alpha", "beta1", "beta2", "weight_decay")
"""Every optimizer hyper-parameter among the training settings."""

SETTING_LABELS = {
    "momentum": "momentum ρ", "alpha": "RMSProp α (decay rate)",
    "beta1": "Adam β1", "beta2": "Adam β2", "weight_decay": "decoupled weight decay (AdamW)",
}
"""How the settings editors name a training setting, in the notes' symbols (others: their name)."""

SCHEDULES = ("constant", "step", "exponential", "inverse_sqrt", "inverse_time", "cosine", "warmup")
MOMENTUM_SCHEDULES = ("constant", "linear_warmup")
USUAL_LR_RANGE = (1e-4, 1.0)
"""Where the learning rates people train with lie: Adam's ~1e-3 and SGD's ~0.01-0.1 (the `lr`
setting's help) with a decade to spare either side. The learning-rate finder's question before a
typed rate far above it, and the grid-versus-random lab's "important" setting, both read it."""


@dataclass
class TrainSpec:
    """Training settings. `HOT_SETTINGS` may change while a Trainer runs; the rest rebuild."""

    mode: str = setting("gradient", "choice", "gradient: backprop with an optimizer; perceptron: "
                        "the rule θ ← θ + y·x on each mistake (single Linear + Sign only)",
                        choices=("gradient", "perceptron"))
    loss: str = setting("cross_entropy", "choice", "What the network minimises: cross-entropy for "
                        "classes, MSE/L1 for values, hinge for ±1 margins", choices=LOSSES)
    target: str = setting("label", "choice", "label: predict the data set's target; input: "
                          "reconstruct the (clean) input, as an autoencoder does",
                          choices=("label", "input"))
    optimizer: str = setting("adam", "choice", "How gradients become updates", choices=OPTIMIZERS)
    lr: float = setting(1e-3, "float", "Learning rate η: the step size (Adam ~1e-3, SGD ~0.01-0.1)",
                        minimum=1e-7, maximum=100.0, log_scale=True)
    momentum: float = setting(0.9, "float", "Momentum ρ: how much of the last update carries on. "
                              "SGD+Momentum and Nesterov: the notes' typical ρ is 0.9 (0.5-0.99). RMSProp: "
                              "momentum on its scaled steps, 0 by default (the notes' plain RMSProp)",
                              minimum=0.0, maximum=0.999)
    momentum_schedule: str = setting("constant", "choice", "Momentum schedule (SGD+Momentum, Nesterov, RMSProp): "
                                     "constant ρ; or linear_warmup, the notes' ramp from a small ρ early in "
                                     "training (e.g. 0.5) up to ρ (e.g. 0.99), linearly over "
                                     "momentum_warmup_epochs epochs, then ρ", choices=MOMENTUM_SCHEDULES)
    momentum_start: float = setting(0.5, "float", "Momentum warm-up: ρ in the first epoch; epoch e "
                                    "(from 0) uses ρ₀ + (ρ − ρ₀)·e / momentum_warmup_epochs",
                                    minimum=0.0, maximum=0.999)
    momentum_warmup_epochs: int = setting(10, "int", "Momentum warm-up: epochs of the linear ramp from "
                                          "momentum_start to ρ", minimum=1, maximum=100000)
    beta1: float = setting(0.9, "float", "Adam β1: decay of the running mean of gradients (m); "
                           "PyTorch's and the notes' 0.9", minimum=0.0, maximum=0.9999)
    beta2: float = setting(0.999, "float", "Adam β2: decay of the running mean of squared gradients "
                           "(v); PyTorch's and the notes' 0.999", minimum=0.0, maximum=0.99999)
    alpha: float = setting(0.99, "float", "RMSProp α (the notes' decay_rate): decay of the running "
                           "mean of squared gradients, σᵗ = √(α(σᵗ⁻¹)² + (1 − α)gᵗ²); PyTorch's 0.99",
                           minimum=0.0, maximum=0.99999)
    weight_decay: float = setting(0.0, "float", "Decoupled weight decay λ (AdamW only): each step also "
                                  "shrinks every weight, biases too, by η·λ outside the gradient (PyTorch's "
                                  "AdamW: 0.01). The notes' weight decay is the L2 term added to the loss: "
                                  "set l2, which every optimizer uses", minimum=0.0, maximum=1.0)
    schedule: str = setting("constant", "choice", "Learning-rate decay over training: step "
                            "η·γ^⌊epoch/step_size⌋; exponential η·γ^epoch; the notes' 1/t decay as "
                            "inverse_sqrt η/√(t+1) or inverse_time η/(1+k·t), k = decay, t in steps; "
                            "cosine down to min_lr; warmup", choices=SCHEDULES)
    step_size: int = setting(10, "int", "Step schedule: epochs between decays", minimum=1, maximum=100000)
    gamma: float = setting(0.5, "float", "Step/exponential schedule: factor per decay",
                           minimum=0.0, maximum=1.0)
    decay: float = setting(0.01, "float", "k of the inverse-time (1/t) schedule: η_t = η / (1 + k·t), t in steps",
                           minimum=0.0, maximum=100.0)
    warmup_steps: int = setting(100, "int", "Warm-up schedule: steps of linear ramp from 0 to η",
                                minimum=0, maximum=10_000_000)
    min_lr: float = setting(0.0, "float", "Cosine schedule: the learning rate at the end",
                            minimum=0.0, maximum=100.0)
    batch_size: int = setting(64, "int", "Examples per step (mini-batch SGD)", minimum=1, maximum=65536)
    epochs: int = setting(20, "int", "Passes over the training split", minimum=1, maximum=100000)
    seed: int = setting(0, "int", "Seed for init, shuffling and dropout: same seed, same numbers on CPU",
                        minimum=0, maximum=2**31 - 1)
    device: str = setting("auto", "str", "auto (CUDA, then MPS, then CPU), or a torch device name")
    grad_clip: float = setting(0.0, "float", "Clip the global gradient norm to this (0: off); "
                               "the cure for exploding gradients", minimum=0.0, maximum=1e6)
    l1: float = setting(0.0, "float", "L1 penalty λ1·Σ|w| on weights (sparse weights)",
                        minimum=0.0, maximum=10.0)
    l2: float = setting(0.0, "float", "L2 penalty: the app adds λ2·Σw² (the notes' R(W) = Σw²) to "
                        "the loss, weights only, no biases. Written ½λ‖w‖² it is λ = 2·λ2, and each "
                        "SGD step shrinks w by the factor (1 − 2ηλ2) = (1 − ηλ): weight decay. L1 "
                        "and L2 together are the elastic net", minimum=0.0, maximum=10.0)
    max_norm: float = setting(0.0, "float", "Max-norm constraint c: rescale each unit's incoming "
                              "weights to norm ≤ c after every step (typical c 3-4; 0: off)", minimum=0.0, maximum=1e3)
    entropy_weight: float = setting(0.0, "float", "Semi-supervised entropy regularization: add λ times the mean "
                                    "entropy −Σ p·log p of the predictions on a batch of unlabelled points, "
                                    "pushing the boundary away from them (needs data labels_per_class; 0: off)",
                                    minimum=0.0, maximum=100.0)
    self_training: float = setting(0.0, "float", "Semi-supervised self-training: every self_training_every epochs, "
                                   "unlabelled points predicted with at least this probability join the "
                                   "training set with the predicted class as their label (needs data "
                                   "labels_per_class; 0: off)", minimum=0.0, maximum=1.0)
    self_training_every: int = setting(20, "int", "Self-training: epochs of training between rounds of "
                                       "pseudo-labels", minimum=1, maximum=100000)
    warm_start: str = setting("", "str", "Pretrain, then fine-tune: start the layers named in warm_start_layers "
                              "from the weights of this source instead of the seed's: a finished run's id (its "
                              "model file), or a built-in preset's name (trained first, with this run's seeds). "
                              "Empty: off")
    warm_start_layers: str = setting("", "str", "Warm start: the node ids (comma-separated) whose weights come "
                                     "from the source; each must be a node of both networks, with the same shapes")
    freeze_epochs: int = setting(0, "int", "Warm start: keep the warm-started layers frozen (no updates) for "
                                 "this many epochs while the rest learns, then fine-tune them too (0: never "
                                 "frozen)", minimum=0, maximum=100000)
    code_node: str = setting("", "str", "The autoencoder's code (bottleneck) node: sparse and "
                             "contractive penalties and the latent plot use it")
    sparsity: str = setting("none", "choice", "Sparse-code penalty on the code node: L1 of the "
                            "activations, or KL(ρ‖ρ_j) of each unit's mean activation ρ_j to a target ρ",
                            choices=("none", "l1", "kl"))
    sparsity_weight: float = setting(1e-3, "float", "Strength of the sparse-code penalty",
                                     minimum=0.0, maximum=100.0)
    sparsity_target: float = setting(0.05, "float", "ρ: the target mean activation for the KL "
                                     "sparsity penalty", minimum=1e-4, maximum=0.9999)
    contractive: float = setting(0.0, "float", "Contractive penalty λ‖J_f(x)‖²_F on the code's "
                                 "Jacobian (0: off)", minimum=0.0, maximum=100.0)
    kl_weight: float = setting(1.0, "float", "β: weight of the VAE's KL term (1 is the plain VAE)",
                               minimum=0.0, maximum=100.0)
    early_stopping: int = setting(0, "int", "Stop after this many epochs without a better "
                                  "validation loss and restore the best weights (0: off)",
                                  minimum=0, maximum=100000)
    probe_every: int = setting(100, "int", "Steps between probes (ratios, histograms, maps); "
                               "probes cost nothing in between", minimum=1, maximum=1_000_000)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainSpec":
        """Settings from a document; an optimizer hyper-parameter it leaves out takes that
        optimizer's own default (a hand-written `"optimizer": "rmsprop"` trains the notes' RMSProp,
        not one with SGD's momentum 0.9). Documents written before α had its own setting kept
        RMSProp's α in beta2, and keep meaning what they trained."""
        d = dict(d)
        optimizer = d.get("optimizer", cls.optimizer)
        own = OPTIMIZER_HYPERPARAMETERS.get(optimizer, {}) if isinstance(optimizer, str) else {}
        if "alpha" in own and "alpha" not in d and "beta2" in d:
            d["alpha"] = d["beta2"]
        for name, value in own.items():
            d.setdefault(name, value)
        return cls(**d)


def _training_params() -> tuple[Param, ...]:
    out = []
    for f in fields(TrainSpec):
        p: Param = f.metadata["param"]
        out.append(Param(f.name, p.kind, p.default, p.help, p.minimum, p.maximum, p.choices, p.log_scale))
    return tuple(out)


TRAINING_PARAMS: tuple[Param, ...] = _training_params()
"""The declared training settings: the GUI's editors and preset validation read these."""

HOT_SETTINGS = frozenset({
    "lr", "momentum", "beta1", "beta2", "alpha", "weight_decay", "batch_size", "grad_clip", "l1", "l2",
    "max_norm", "entropy_weight", "sparsity_weight", "sparsity_target", "contractive", "kl_weight", "probe_every",
    "epochs", "early_stopping",
})
"""Settings that take effect at the next step of a running Trainer (no rebuild)."""


MAX_WARM_START_CHARS = 300
"""A run id, a run's folder or a preset name: longer text is no source."""


def warm_start_layer_ids(ts: TrainSpec) -> list[str]:
    """The node ids of `warm_start_layers`, in the order given (empty entries dropped)."""
    return [part.strip() for part in ts.warm_start_layers.split(",") if part.strip()]


def warm_start_problems(model: ModelSpec, ts: TrainSpec, path: str = "training") -> list[Problem]:
    """Why the warm-start settings cannot start this network (empty when they can, or are off):
    a source without layers, layers that are no node of the network, a name given twice. Whether
    the source has the layers, with the same shapes, is known only once its weights are read."""
    if len(ts.warm_start) > MAX_WARM_START_CHARS:
        return [Problem(f"{path}.warm_start", f"is {len(ts.warm_start)} characters long; a run id or a preset "
                                             f"name is at most {MAX_WARM_START_CHARS}")]
    if not ts.warm_start.strip():
        return []
    layers = warm_start_layer_ids(ts)
    if not layers:
        return [Problem(f"{path}.warm_start_layers", f"name the layers to take from {ts.warm_start!r} "
                                                    "(node ids, comma-separated, e.g. enc, code_fc)")]
    problems = []
    ids = model.ids()
    for k, nid in enumerate(layers):
        if nid in layers[:k]:
            problems.append(Problem(f"{path}.warm_start_layers", f"names {nid!r} twice"))
        elif nid not in ids:
            problems.append(Problem(f"{path}.warm_start_layers", f"{nid!r} is no node of this network "
                                                                f"(its nodes: {', '.join(ids) or 'none'})"))
    return problems


@dataclass
class Expectation:
    """What a preset promises, checked by its tests: `metric` `op` `value` (a number or a metric)."""

    metric: str
    op: str  # ">=" or "<="
    value: float | str

    def holds(self, summary: dict[str, Any]) -> bool:
        actual = summary[self.metric]
        bound = summary[self.value] if isinstance(self.value, str) else self.value
        return actual >= bound if self.op == ">=" else actual <= bound

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value}"


@dataclass
class Preset:
    """A whole experiment: network, data and training, with a description of what it shows."""

    name: str
    description: str
    model: ModelSpec
    data: DataSpec
    training: TrainSpec
    expect: list[Expectation] = field(default_factory=list)

    def copy(self) -> "Preset":
        return copy.deepcopy(self)
