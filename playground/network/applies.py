"""Which settings apply to a preset, and why the others do not.

Momentum means nothing to Adam, the autoencoder's penalties nothing to a classifier, σ nothing
to an init that is not Normal(σ). The editors ask here and hide or disable what does not apply,
with the reason as its tooltip, so a student never turns a knob that is not connected.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any

from playground.params import Problem
from playground.network.spec import OPTIMIZER_HYPERPARAMETERS, OPTIMIZER_SETTINGS, Preset, TrainSpec


def optimizers_using(setting: str) -> tuple[str, ...]:
    """The optimizers that read `setting` (from the one table, OPTIMIZER_HYPERPARAMETERS)."""
    return tuple(o for o, own in OPTIMIZER_HYPERPARAMETERS.items() if setting in own)


MOMENTUM_OPTIMIZERS = optimizers_using("momentum")
BETA1_OPTIMIZERS = optimizers_using("beta1")
BETA2_OPTIMIZERS = optimizers_using("beta2")
ALPHA_OPTIMIZERS = optimizers_using("alpha")
WEIGHT_DECAY_OPTIMIZERS = optimizers_using("weight_decay")
SCHEDULE_SETTINGS = {"step_size": ("step",), "gamma": ("step", "exponential"), "decay": ("inverse_time",),
                     "warmup_steps": ("warmup",), "min_lr": ("cosine",)}
AUTOENCODER_SETTINGS = ("code_node", "sparsity", "sparsity_weight", "sparsity_target", "contractive", "kl_weight")
SEMI_SUPERVISED_SETTINGS = ("entropy_weight", "self_training", "self_training_every")
WARM_START_DETAILS = ("warm_start_layers", "freeze_epochs")
MOMENTUM_SCHEDULE_DETAILS = ("momentum_start", "momentum_warmup_epochs")
GRADIENT_ONLY = ("loss", "optimizer", "lr", "momentum", "momentum_schedule", *MOMENTUM_SCHEDULE_DETAILS, "beta1", "beta2", "alpha", "weight_decay", "grad_clip",
                 "schedule", "step_size", "gamma", "decay", "warmup_steps", "min_lr", "l1", "l2", "max_norm",
                 "early_stopping")


def inapplicable_settings(preset: Preset) -> dict[str, str]:
    """Training setting name → why it has no effect on this preset (absent: it applies)."""
    ts = preset.training
    out: dict[str, str] = {}
    if ts.mode == "perceptron":
        for name in GRADIENT_ONLY:
            out[name] = "the perceptron rule θ ← θ + y·x has no loss, optimizer or learning rate"
    if ts.optimizer not in MOMENTUM_OPTIMIZERS:
        out.setdefault("momentum", f"{ts.optimizer} does not use momentum ρ"
                       + (" (Adam keeps its own running mean of gradients, β1)" if ts.optimizer in BETA1_OPTIMIZERS
                          else "; choose momentum, nesterov or rmsprop"))
    if ts.optimizer not in MOMENTUM_OPTIMIZERS:
        for name in ("momentum_schedule", *MOMENTUM_SCHEDULE_DETAILS):
            out.setdefault(name, f"{ts.optimizer} does not use momentum ρ, so there is no ρ to schedule")
    elif ts.momentum_schedule == "constant":
        for name in MOMENTUM_SCHEDULE_DETAILS:
            out.setdefault(name, "the momentum schedule is constant (choose linear_warmup)")
    if ts.optimizer not in BETA1_OPTIMIZERS:
        out.setdefault("beta1", f"only Adam and AdamW use β1, not {ts.optimizer}")
    if ts.optimizer not in BETA2_OPTIMIZERS:
        out.setdefault("beta2", f"only Adam and AdamW use β2, not {ts.optimizer}"
                       + (" (RMSProp's decay rate is α)" if ts.optimizer in ALPHA_OPTIMIZERS else ""))
    if ts.optimizer not in ALPHA_OPTIMIZERS:
        out.setdefault("alpha", f"only RMSProp uses α, not {ts.optimizer}")
    if ts.optimizer not in WEIGHT_DECAY_OPTIMIZERS:
        out.setdefault("weight_decay", f"decoupled weight decay is AdamW's; {ts.optimizer} ignores it. "
                                       "The notes' weight decay is the L2 term: set l2")
    for name, schedules in SCHEDULE_SETTINGS.items():
        if ts.schedule not in schedules:
            out.setdefault(name, f"the {ts.schedule} schedule does not use it (only {', '.join(schedules)})")
    if not preset.data.params.get("labels_per_class", 0):
        for name in SEMI_SUPERVISED_SETTINGS:
            out.setdefault(name, "a semi-supervised method needs unlabelled points: set the data set's "
                                 "labels_per_class (e.g. 3) to keep only that many labels per class")
    elif ts.self_training <= 0:
        out.setdefault("self_training_every", "self-training is off (self_training 0)")
    if not ts.warm_start.strip():
        for name in WARM_START_DETAILS:
            out.setdefault(name, "no warm start: warm_start names no run or preset to start from")
    if ts.target != "input":
        for name in AUTOENCODER_SETTINGS:
            out.setdefault(name, "an autoencoder term: it applies when target is input")
    else:
        if not any(n.type == "Sampling" for n in preset.model.nodes):
            out.setdefault("kl_weight", "the KL term needs a Sampling node (a VAE)")
        if ts.sparsity == "none":
            out.setdefault("sparsity_weight", "sparsity is none")
        if ts.sparsity != "kl":
            out.setdefault("sparsity_target", "only the KL sparsity penalty has a target ρ")
    return out


def inapplicable_params(params: dict[str, Any]) -> dict[str, str]:
    """A layer's parameter name → why it has no effect with the others as set."""
    out: dict[str, str] = {}
    if "init_std" in params and params.get("init", "default") != "normal":
        out["init_std"] = f"σ is used only by the normal init (init is {params.get('init', 'default')})"
    return out


def optimizer_change(ts: TrainSpec, optimizer: str) -> dict[str, Any]:
    """The settings to set when a person chooses `optimizer`: the optimizer itself and each of its
    hyper-parameters at the new optimizer's own default, as PyTorch's (RMSProp: ρ 0, α 0.99;
    Adam: β 0.9/0.999), so nothing of the last optimizer carries over. A value the old optimizer
    read in the same role (the same default: ρ from SGD+Momentum to Nesterov, β from Adam to AdamW)
    is kept; a hyper-parameter the new one ignores goes back to its declared default, so no ignored
    weight decay is left behind. Only settings that change are returned."""
    if optimizer not in OPTIMIZER_HYPERPARAMETERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZER_HYPERPARAMETERS)}")
    before = OPTIMIZER_HYPERPARAMETERS.get(ts.optimizer, {})
    own = OPTIMIZER_HYPERPARAMETERS[optimizer]
    declared = {f.name: f.default for f in fields(TrainSpec)}
    target: dict[str, Any] = {"optimizer": optimizer}
    for name in OPTIMIZER_SETTINGS:
        if name in own:
            same_role = name in before and before[name] == own[name]
            target[name] = getattr(ts, name) if same_role else own[name]
        else:
            target[name] = declared[name]
    return {name: value for name, value in target.items() if getattr(ts, name) != value}


def optimizer_problems(ts: TrainSpec, path: str = "training") -> list[Problem]:
    """Settings given a value the chosen optimizer would silently ignore (a weight decay with an
    optimizer other than AdamW), each with what to do instead."""
    if ts.momentum_schedule != "constant" and ts.optimizer not in MOMENTUM_OPTIMIZERS:
        return [Problem(f"{path}.momentum_schedule",
                        f"{ts.momentum_schedule} would be ignored: it schedules momentum ρ, which only "
                        f"{', '.join(MOMENTUM_OPTIMIZERS)} use, and the optimizer is {ts.optimizer}. "
                        "Choose momentum or nesterov, or set momentum_schedule to constant")]
    if ts.weight_decay > 0 and ts.optimizer not in WEIGHT_DECAY_OPTIMIZERS:
        return [Problem(f"{path}.weight_decay",
                        f"{ts.weight_decay:g} would be ignored: weight_decay is decoupled weight decay, which only "
                        f"{' and '.join(WEIGHT_DECAY_OPTIMIZERS)} applies, and the optimizer is {ts.optimizer}. "
                        "For the notes' weight decay (the L2 term in the loss, any optimizer) set l2 instead; "
                        "or choose adamw; or set weight_decay to 0")]
    return []
