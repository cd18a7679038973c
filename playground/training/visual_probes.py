"""The probes that draw pictures: feature maps, reconstructions, decision regions, the fitted
curve and the confusion matrix. Each runs only at probe steps or epoch ends, in no-grad eval
mode, and returns numpy arrays in events for the Trainer to emit."""
from __future__ import annotations

import numpy as np
import torch

from playground.training import losses
from playground.training.context import TrainingContext
from playground.training.step import corrupt
from playground.training.events import (
    BoundaryEvent, ConfusionEvent, CurveEvent, Event, FeatureMapEvent, ReconstructionEvent)
from playground.training.views import classifies
from playground.layers.modules import Sampling
from playground.training.probes import decision_grid
from playground.training.projection import PrincipalPlane, principal_plane

MAX_MAPS = 32
N_RECON = 8
N_CODES = 400
N_POINTS = 400
WALK_STEPS = 10
PLANE_ROWS = 20_000
"""The principal plane of a larger training split is found from this many of its rows."""


class VisualProbes:
    """Builds the picture events for one Trainer; knows which ones its network and data allow."""

    def __init__(self, trainer: TrainingContext) -> None:
        self.t = trainer
        model, data = trainer.model, trainer.dataset
        self.conv_nodes = [nid for nid, _ in model.plan if trainer.node_types[nid] == "Conv2d"]
        self.image_input = data.kind == "image"
        self.autoencoder = trainer.ts.target == "input"
        self.points = tuple(data.input_shape) == (2,) and trainer.ts.target == "label"
        self.on_plane = (data.kind == "points" and len(data.input_shape) == 1 and data.input_shape[0] > 2
                         and classifies(data.n_classes, trainer.ts.target) and len(data.x_train) > 2)
        """More than two inputs: the boundary is drawn on their first two principal components."""
        self._plane: PrincipalPlane | None = None
        self.curve = tuple(data.input_shape) == (1,) and data.n_classes == 0
        self.sampling = next((nid for nid, _ in model.plan if isinstance(getattr(model, nid), Sampling)), "")
        self.mu_node = dict(model.plan)[self.sampling][0] if self.sampling else ""
        """A VAE's latent scatter shows μ, the Sampling node's first input."""
        self.probe_index = 0
        self._fixed_noise = torch.Generator(device=trainer.device).manual_seed(1234) \
            if trainer.device.type != "mps" else None
        src_x = trainer.x_val if len(trainer.x_val) else trainer.x_train
        src_y = trainer.y_val if len(trainer.y_val) else trainer.y_train
        self.recon_targets = src_x[:N_RECON]
        self.recon_inputs = corrupt(self.recon_targets, trainer.preset.data.params, self._fixed_noise) \
            if self.autoencoder else self.recon_targets
        self.code_x, self.code_y = src_x[:N_CODES], src_y[:N_CODES]

    def set_probe_image(self, index: int) -> None:
        """Which validation image the feature maps show."""
        self.probe_index = max(0, min(int(index), len(self.t.x_probe) - 1))

    @torch.no_grad()
    def step_views(self, values: dict[str, torch.Tensor]) -> list[Event]:
        """Probe-step pictures; `values` is forward_all over the probe batch. The caller has put
        the model in eval mode."""
        t = self.t
        out: list[Event] = []
        if self.image_input and self.conv_nodes:
            out.append(self._feature_maps(values))
        if self.autoencoder:
            out.append(self._reconstructions())
        if self.points:
            out.append(self._boundary())
        elif self.on_plane:
            out.append(self._boundary_on_plane(self.plane()))
        elif tuple(t.dataset.input_shape) == (2,) and t.dataset.n_classes == 0:
            out.append(self._surface())
        if self.curve:
            out.append(self._curve())
        return out

    def _feature_maps(self, values: dict[str, torch.Tensor]) -> FeatureMapEvent:
        t, k = self.t, self.probe_index
        maps = {nid: v[k, :MAX_MAPS].float().cpu().numpy() for nid, v in values.items()
                if nid != t.model.input_id and v.dim() == 4}
        first = self.conv_nodes[0]
        filters = getattr(t.model, first).weight.detach()[:MAX_MAPS].float().cpu().numpy()
        label = int(t.y_val[k]) if len(t.y_val) > k and t.dataset.n_classes > 0 else None
        out = values.get(t.model.output_id)
        predicted = (int(losses.predicted_classes(out[k:k + 1], t.kind)[0])
                     if out is not None and t.dataset.n_classes > 0 else None)
        return FeatureMapEvent(t.step_count, t.x_probe[k].float().cpu().numpy(), label, maps, filters, first,
                               predicted)

    def _reconstructions(self) -> ReconstructionEvent:
        t = self.t
        outputs = t.model(self.recon_inputs).reshape(self.recon_targets.shape)
        codes = labels = walk = None
        code_node = self.mu_node or t.ts.code_node
        if code_node:
            c = t.model.forward_all(self.code_x)[code_node]
            codes = c.reshape(len(c), -1).float().cpu().numpy()
            if t.dataset.n_classes > 0:
                labels = self.code_y.cpu().numpy()
            if self.sampling:
                walk = self._latent_walk(c)
        return ReconstructionEvent(
            t.step_count, self.recon_inputs.float().cpu().numpy(), self.recon_targets.float().cpu().numpy(),
            outputs.float().cpu().numpy(), codes, labels, walk)

    def _latent_walk(self, mu: torch.Tensor) -> np.ndarray:
        """Decode points on the line between the codes (μ) of the first two samples of different labels."""
        t = self.t
        a = 0
        b = next((i for i in range(1, len(self.code_y)) if self.code_y[i] != self.code_y[0]), min(1, len(mu) - 1))
        w = torch.linspace(0, 1, WALK_STEPS, device=mu.device)[:, None]
        z = (1 - w) * mu[a] + w * mu[b]
        dummy = torch.zeros((WALK_STEPS,) + tuple(t.dataset.input_shape), device=mu.device)
        values = {t.model.input_id: dummy}
        for nid, inputs in t.model.plan:
            values[nid] = z if nid == self.sampling else getattr(t.model, nid)(*[values[i] for i in inputs])
        return values[t.model.output_id].float().cpu().numpy()

    def unlabelled_points(self) -> np.ndarray | None:
        """The first N_POINTS training inputs whose labels were set aside (semi-supervised data;
        the split is shuffled), or None when every training point keeps its label."""
        x = self.t.dataset.x_unlabelled
        return None if x is None or not len(x) else np.asarray(x[:N_POINTS])

    def _boundary(self) -> BoundaryEvent:
        t = self.t
        pts, unlabelled = t.dataset.x_train[:N_POINTS], self.unlabelled_points()
        # the regions cover the unlabelled points too (a few labels alone would span a small box)
        xs, ys, grid = decision_grid(pts if unlabelled is None else np.concatenate([pts, unlabelled]))
        values = self._class_values(grid)
        return BoundaryEvent(t.step_count, xs, ys, values.reshape(len(ys), len(xs)).float().cpu().numpy(),
                             t.dataset.n_classes, pts, t.dataset.y_train[:N_POINTS],
                             class_names=tuple(t.dataset.class_names), unlabelled=unlabelled)

    def plane(self) -> PrincipalPlane:
        """The training split's principal plane, found at the first probe that needs it (not when
        the Trainer is made) from at most PLANE_ROWS evenly spaced rows (the split is shuffled)."""
        if self._plane is None:
            x = self.t.dataset.x_train
            self._plane = principal_plane(x[::max(1, -(-len(x) // PLANE_ROWS))])
        return self._plane

    def _class_values(self, x: np.ndarray) -> torch.Tensor:
        """What the regions show at inputs `x`: P(class 1) for two classes, else the predicted class."""
        t = self.t
        out = t.model(torch.as_tensor(x, device=t.device))
        return losses.class_scores(out, t.kind) if t.dataset.n_classes == 2 \
            else losses.predicted_classes(out, t.kind).float()

    def _boundary_on_plane(self, plane: PrincipalPlane) -> BoundaryEvent:
        """The regions on the plane of PC1 and PC2 (the other components at their mean) under the
        training points projected onto it, with how often that slice predicts what the network
        predicts for the points themselves: the caption's measure of how far to trust it."""
        t = self.t
        x, unlabelled = t.dataset.x_train[:N_POINTS], self.unlabelled_points()
        pts = plane.project(x)
        if unlabelled is not None:
            unlabelled = plane.project(unlabelled)
        xs, ys, grid = decision_grid(pts if unlabelled is None else np.concatenate([pts, unlabelled]))
        values = self._class_values(plane.lift(grid))
        on_slice = losses.predicted_classes(t.model(torch.as_tensor(plane.lift(pts), device=t.device)), t.kind)
        own = losses.predicted_classes(t.model(torch.as_tensor(x, device=t.device)), t.kind)
        agree = float((on_slice == own).float().mean()) if len(x) else float("nan")
        others = plane.n_inputs - 2
        note = (f"{plane.n_inputs} inputs, drawn on their first two principal components "
                f"({sum(plane.variance_share):.0%} of the variance). The regions are a slice through the "
                f"mean of the other {others} component{'s' if others != 1 else ''}; the points lie off it: "
                f"at {agree:.0%} of them the slice predicts the class the network gives the point itself.")
        return BoundaryEvent(t.step_count, xs, ys, values.reshape(len(ys), len(xs)).float().cpu().numpy(),
                             t.dataset.n_classes, pts, t.dataset.y_train[:N_POINTS], plane.axis_names(), note,
                             tuple(t.dataset.class_names), unlabelled)

    def _surface(self) -> BoundaryEvent:
        t = self.t
        pts = t.dataset.x_train[:N_POINTS]
        xs, ys, grid = decision_grid(pts)
        out = t.model(torch.as_tensor(grid, device=t.device))
        return BoundaryEvent(t.step_count, xs, ys, out.reshape(len(ys), len(xs)).float().cpu().numpy(), 0,
                             pts, t.dataset.y_train[:N_POINTS].reshape(-1))

    def _curve(self) -> CurveEvent:
        t = self.t
        x = t.dataset.x_train[:, 0]
        xs = np.linspace(x.min(), x.max(), 200, dtype=np.float32)
        out = t.model(torch.as_tensor(xs[:, None], device=t.device))
        return CurveEvent(t.step_count, xs, out.reshape(-1).float().cpu().numpy(),
                          x[:N_POINTS * 2], t.dataset.y_train[:N_POINTS * 2, 0])

    def epoch_views(self, matrix: np.ndarray | None) -> list[Event]:
        """Epoch-end pictures from the validation confusion counts the epoch's metrics already made."""
        t = self.t
        if not t.is_classifier or matrix is None:
            return []
        return [ConfusionEvent(t.epoch, matrix, list(t.dataset.class_names))]


def confusion_counts(y: np.ndarray, pred: torch.Tensor | np.ndarray, n_classes: int) -> np.ndarray:
    """(true class, predicted class) counts of labels `y` (host integers, known before training)
    and predicted classes `pred` (host integers, or a tensor read back in one transfer); its trace
    is the number of correct predictions, so the accuracy and the confusion matrix cost one pass.
    Counted in numpy: at each epoch's end, one torch op fewer than counting on the device is ~30 µs saved."""
    c = n_classes
    classes = pred if isinstance(pred, np.ndarray) else pred.detach().cpu().numpy()
    return np.bincount(y * c + classes, minlength=c * c).reshape(c, c)
