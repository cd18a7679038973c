"""Which settings apply to a preset, and why the others do not.

Momentum means nothing to Adam, the autoencoder's penalties nothing to a classifier, σ nothing
to an init that is not Normal(σ). The editors ask here and hide or disable what does not apply,
with the reason as its tooltip, so a student never turns a knob that is not connected.
"""
from __future__ import annotations

from typing import Any

from playground.spec import Preset

MOMENTUM_OPTIMIZERS = ("momentum", "nesterov", "rmsprop")
BETA1_OPTIMIZERS = ("adam", "adamw")
BETA2_OPTIMIZERS = ("adam", "adamw", "rmsprop")
SCHEDULE_SETTINGS = {"step_size": ("step",), "gamma": ("step", "exponential"), "decay": ("inverse_time",),
                     "warmup_steps": ("warmup",), "min_lr": ("cosine",)}
AUTOENCODER_SETTINGS = ("code_node", "sparsity", "sparsity_weight", "sparsity_target", "contractive", "kl_weight")
GRADIENT_ONLY = ("loss", "optimizer", "lr", "momentum", "beta1", "beta2", "weight_decay", "grad_clip", "schedule",
                 "step_size", "gamma", "decay", "warmup_steps", "min_lr", "l1", "l2", "max_norm", "early_stopping")


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
    if ts.optimizer not in BETA1_OPTIMIZERS:
        out.setdefault("beta1", f"only Adam and AdamW use β1, not {ts.optimizer}")
    if ts.optimizer not in BETA2_OPTIMIZERS:
        out.setdefault("beta2", f"only Adam, AdamW and RMSProp use β2, not {ts.optimizer}")
    if ts.optimizer != "adamw":
        out.setdefault("weight_decay", "decoupled weight decay is AdamW's; with other optimizers use l2")
    for name, schedules in SCHEDULE_SETTINGS.items():
        if ts.schedule not in schedules:
            out.setdefault(name, f"the {ts.schedule} schedule does not use it (only {', '.join(schedules)})")
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
