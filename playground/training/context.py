"""What a Trainer's helpers may read of it: a narrow, read-only view.

The probes (`visual_probes`, `inside`) and the perceptron rule are built once per Trainer and
called at probe steps or epoch ends; they read the model, the data on the device and a few
facts through this protocol and return events for the Trainer to emit. They never hold the
Trainer itself, so none of them imports it (no import cycle), and a test can hand them any
object with these attributes.
"""
from __future__ import annotations

from typing import Any, Protocol

import torch


class TrainingContext(Protocol):
    """The Trainer as its helpers see it."""

    model: Any            # playground.network.build.GraphModel
    dataset: Any          # playground.data.Dataset
    preset: Any           # playground.network.spec.Preset (its data params: corruption for the probe inputs)
    ts: Any               # playground.network.spec.TrainSpec
    node_types: dict[str, str]
    kind: str             # the output's kind (LayerType.output_kind of the output node)
    device: torch.device
    is_classifier: bool
    step_count: int
    epoch: int
    n_train: int
    x_probe: torch.Tensor
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
