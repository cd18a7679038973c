"""The training script: `train.py` and `data.npz`, to train the preset where the playground is not.

The step where a person outgrows one machine: the script rebuilds the network (the class of
the model.py export), the optimizer, the schedule and every loss term of the preset with plain
PyTorch, and trains on one device or, under torchrun, on many with DistributedDataParallel.
The loss and schedule functions are copied from the playground's own `losses.py` and
`optim.py`, and the pieces of a training step (augmentation, corruption, penalty terms,
evaluation, the perceptron update, the device, early stopping) from `step.py`, the module the
Trainer runs (all three import only torch), so the script computes what the playground
computes; the template keeps only the epoch loop and DDP. The data travel as arrays in
`data.npz`, read with `allow_pickle=False`.
"""
from __future__ import annotations

import inspect
import io
import textwrap
from dataclasses import fields
from pathlib import Path

import numpy as np

from playground.training import losses, optim, step
from playground.training.views import classifies
from playground.export.common import ExportError, ExportJob, data_facts, write_together
from playground.export.python_source import doc_safe, model_code
from playground.export.train_template import HEADER, LOOP
from playground.core.files import FileProblem
from playground.network.spec import TrainSpec

LOSS_FUNCTIONS = ("task_loss", "_binary_target", "_dense_target", "predicted_classes", "weight_tensors",
                  "l1_penalty", "l2_penalty", "sparsity_penalty", "contractive_penalty", "apply_max_norm")
OPTIM_FUNCTIONS = ("make_optimizer", "scheduled_lr", "scheduled_momentum")
SPLITS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def _copied(module: object, names: tuple[str, ...]) -> str:
    return "\n\n\n".join(inspect.getsource(getattr(module, name)).rstrip() for name in names)


def _settings_source(ts: TrainSpec) -> str:
    """The preset's training settings as a dataclass, each with its help as a comment."""
    lines = ["@dataclass", "class Settings:",
             '    """The preset\'s training settings (the playground\'s TrainSpec)."""', ""]
    for f in fields(TrainSpec):
        help_text = " ".join(f.metadata["param"].help.split())
        lines += [f"    # {line}" for line in textwrap.wrap(help_text, 90)]
        lines.append(f"    {f.name}: {f.type} = {getattr(ts, f.name)!r}")
    lines += ["", "", "SETTINGS = Settings()"]
    return "\n".join(lines)


def dataset_arrays(job: ExportJob) -> tuple[dict[str, np.ndarray], dict, int]:
    """The preset's data set split as the playground splits it, its full params, and its classes."""
    from playground.data import DATASETS, make_dataset
    from playground.params import with_defaults
    data = job.preset.data
    try:
        ds = make_dataset(data.name, data.params)
    except ValueError as e:
        raise ExportError(f"cannot make the data set for the training script: {e}") from None
    arrays = {k: np.ascontiguousarray(getattr(ds, k)) for k in SPLITS}
    return arrays, with_defaults(DATASETS[data.name].params, data.params), ds.n_classes


def train_script_source(job: ExportJob, data_params: dict, n_classes: int) -> str:
    ts = job.preset.training
    code = model_code(job)
    output_type = job.types[job.model.output_id]
    classifier = classifies(n_classes, ts.target)
    penalties = bool(ts.l1 > 0 or ts.l2 > 0 or ts.sparsity != "none" or ts.contractive > 0
                     or "Sampling" in job.types.values())
    description = textwrap.fill(doc_safe(" ".join(job.preset.description.split())), 96) or "(no description)"
    data_text = "\n".join(textwrap.fill(doc_safe(line), 96, subsequent_indent="  ", break_on_hyphens=False)
                          for line in data_facts(job.preset).lines())
    header = HEADER.replace("@@PRESET@@", doc_safe(job.preset.name).replace('"', "'")).replace(
        "@@DESCRIPTION@@", f"{description}\n\n{data_text}")
    constants = "\n".join([
        f"PRESET_NAME = {job.preset.name!r}",
        f"INPUT_ID = {job.model.input_id!r}",
        f"INPUT_SHAPE = {tuple(job.input_shape)!r}",
        f"OUTPUT_KIND = {losses.output_kind(output_type)!r}  # the output node is {output_type}",
        f"CLASSIFIER = {classifier!r}",
        f"N_CLASSES = {n_classes!r}",
        f"CLASSES = {list(data_facts(job.preset).class_names)!r}  # output index i is the class CLASSES[i]",
        f"INPUT_NAMES = {list(data_facts(job.preset).input_names)!r}",
        f"PENALTIES = {penalties!r}  # any penalty term (L1, L2, sparsity, contractive, a VAE's KL)?",
        f"EVAL_CHUNK = {step.EVAL_CHUNK!r}",
        f"GRADIENT_STOPS = {'Sign' in job.types.values()!r}  # a Sign layer stops gradients: DDP must know",
        "DATA = {\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in data_params.items()) + "}",
        "\"\"\"The data set's parameters; training uses its augmentation and corruption settings.\"\"\"",
    ])
    parts = [header.rstrip(), constants, "# ---------------------------------------------------------------- "
             "the network (as in the model.py export)"]
    if code.support:
        parts.append(code.support.rstrip())
    parts += [
        code.class_source.rstrip(),
        "# ---------------------------------------------------------------- settings of the preset",
        _settings_source(ts),
        "# ---------------------------------------------------------------- loss terms (the playground's "
        "losses.py)",
        f"EPS = {losses.EPS!r}",
        _copied(losses, LOSS_FUNCTIONS),
        "# ---------------------------------------------------------------- optimizer and schedule (the "
        "playground's optim.py)",
        _copied(optim, OPTIM_FUNCTIONS),
        "# ---------------------------------------------------------------- the step's pieces (the "
        "playground's step.py)",
        _copied(step, step.STEP_FUNCTIONS),
        LOOP.replace("@@CLASS@@", code.class_name).strip(),
    ]
    return "\n\n\n".join(parts) + "\n"


def script_paths(folder: Path) -> list[Path]:
    """The two files `write_script` writes into its folder: the data, then the script."""
    return [folder / "data.npz", folder / "train.py"]


def write_script(job: ExportJob, folder: Path) -> list[Path]:
    """train.py and data.npz in `folder` (created if its parent exists), both or neither."""
    ts = job.preset.training
    semi = [name for name in ("entropy_weight", "self_training") if getattr(ts, name) > 0]
    if semi:
        raise ExportError(f"train.py trains on labelled data only and has no semi-supervised training "
                          f"({', '.join(semi)}): set {' and '.join(semi)} to 0 to export the supervised part")
    if ts.warm_start.strip():
        raise ExportError(f"train.py starts every layer from its seed and cannot fetch the warm-start weights of "
                          f"{ts.warm_start!r} (warm_start_layers {ts.warm_start_layers}): set warm_start to empty "
                          "to export training from scratch; model.py, the weights and ONNX carry a fine-tuned run")
    arrays, params, n_classes = dataset_arrays(job)
    source = train_script_source(job, params, n_classes).encode("utf-8")
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    created = False
    if not folder.is_dir():
        if folder.exists():
            raise FileProblem(f"cannot write the training script into {folder}: it is a file, not a folder")
        if not folder.parent.is_dir():
            raise FileProblem(f"cannot write the training script into {folder}: the folder "
                              f"{folder.parent} does not exist")
        try:
            folder.mkdir()
        except OSError as e:
            raise FileProblem(f"cannot create the folder {folder}: {e.strerror or e}") from None
        created = True
    try:
        data_file, script_file = script_paths(folder)
        return write_together([(data_file, buf.getvalue()), (script_file, source)])
    except BaseException:
        if created:
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
