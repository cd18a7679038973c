"""The `export`, `load` and `sample` commands of the `playground` command line.

    playground export RUN_OR_PRESET --format onnx --out model.onnx
    playground load model.safetensors
    playground sample RUN --chars 300 --temperature 0.7

RUN is a folder written by `playground train --out` (its model.safetensors holds the trained
weights and the preset); a .safetensors export works too, and a preset (file or built-in name)
alone exports its untrained weights with a warning. `load` shows what a model file holds
without running anything in it. Every bad input ends in one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

import torch

from playground.export import FORMATS, export
from playground.core.files import FileProblem, check_write_target
from playground.params import ProblemList
from playground.network.spec import Preset

EXIT_BAD_INPUT = 2
RUN_WEIGHTS = "model.safetensors"


def register(subparsers: Any) -> None:
    """Add `export`, `load` and `sample` to the CLI's subparsers (called by playground.command_line.main)."""
    formats = "\n".join(f"  {f.name:<12} {f.description} (default: {f.default_name})"
                        for f in FORMATS.values())
    p = subparsers.add_parser(  # its one line in `playground --help`: playground.command_line.main.COMMAND_LIST
        "export", description="Export a model to files that PyTorch, ONNX Runtime and other tools load.\n\n"
                    f"formats:\n{formats}", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", metavar="RUN_OR_PRESET",
                   help="a run folder from `playground train --out`, a .safetensors export, or a preset "
                        "(file or built-in name: untrained weights)")
    p.add_argument("--format", "-f", choices=list(FORMATS), default="safetensors", metavar="FORMAT",
                   help="what to write (see above; default: safetensors)")
    p.add_argument("--out", "-o", help="file or folder to write (default: the format's file name here)")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("load")
    p.add_argument("model_file", metavar="MODEL_FILE", help="a .safetensors export or run weights, or a "
                                                            "state_dict .pt file")
    p.add_argument("--json", action="store_true", help="print the whole embedded preset as JSON")
    p.add_argument("--save-preset", metavar="PATH", help="also write the embedded preset to PATH")
    p.set_defaults(func=cmd_load)

    p = subparsers.add_parser("sample", description="Write text with a trained character-level language "
                              "model (a run of char_lstm or char_rnn): it continues a start text one character "
                              "at a time, each drawn from softmax(logits / T).")
    p.add_argument("source", metavar="RUN_OR_MODEL", help="a run folder from `playground train --out` or a "
                                                          ".safetensors export (a preset alone: untrained weights)")
    p.add_argument("--chars", type=int, default=300, help="how many characters to write (default 300)")
    p.add_argument("--temperature", "-t", type=float, default=1.0,
                   help="T: 0 always takes the most likely character; 1 draws from the model's distribution "
                        "(default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws: the same seed writes the same text")
    p.add_argument("--start", help="the text to continue (default: the data's first window)")
    p.set_defaults(func=cmd_sample)


def cmd_sample(args: argparse.Namespace) -> int:
    from playground.training.text_samples import write_text
    try:
        if not 1 <= args.chars <= 100_000:
            raise ValueError("--chars must be between 1 and 100000")
        preset, state_dict, trained = load_source(args.source)
        text = write_text(preset, state_dict, args.chars, args.temperature, args.seed, args.start)
    except (FileProblem, ProblemList, ValueError, OSError) as e:
        return fail("sample", str(e))
    if not trained:
        print(f"warning: {preset.name or 'the preset'} is untrained: expect letter soup", file=sys.stderr)
    print(text)
    return 0


def fail(command: str, message: str) -> int:
    line = " ".join(str(message).split())
    print(f"playground {command}: error: {line}", file=sys.stderr)
    return EXIT_BAD_INPUT


def load_source(source: str) -> tuple[Preset, dict[str, torch.Tensor] | None, bool]:
    """(preset, weights or None, trained) from a run folder, a safetensors file or a preset."""
    from playground.network.preset import resolve_preset
    from playground.network.model_file import load_weights
    p = Path(source)
    if p.is_dir():
        weights = p / RUN_WEIGHTS
        if not weights.is_file():
            raise FileProblem(f"{p} is a folder without {RUN_WEIGHTS}: give a run folder written by "
                              "`playground train PRESET --out DIR`, a .safetensors file or a preset")
        p = weights
    if p.suffix == ".safetensors":
        preset, state_dict, meta = load_weights(p)
        return preset, state_dict, meta.get("trained", "true") == "true"
    if p.suffix in (".pt", ".pth", ".pt2", ".onnx", ".npz"):
        raise FileProblem(f"{p.name} holds no preset, so its network is unknown: export from a run folder "
                          "or a .safetensors file")
    return resolve_preset(source), None, False


def cmd_export(args: argparse.Namespace) -> int:
    from playground.export.common import ExportError
    try:
        preset, state_dict, trained = load_source(args.source)
        fmt = FORMATS[args.format]
        out = args.out or fmt.default_name
        if not Path(out).is_dir():   # a device or FIFO is refused before the model is traced
            check_write_target(out)
        Path(out).parent.mkdir(parents=True, exist_ok=True)   # --out new_folder/model.py makes the folder
        written = export(preset, state_dict, args.format, out, trained=trained)
    except (ExportError, FileProblem, ProblemList, ValueError, OSError) as e:
        return fail("export", str(e))
    for warning in written.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    state = "trained" if written.trained else "untrained"
    print(f"exported {preset.name} ({state}) as {fmt.title}: " + ", ".join(str(p) for p in written))
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from playground.network.model_file import load_state_dict_file, load_weights, read_metadata
    path = Path(args.model_file)
    try:
        if not path.is_file():
            raise FileProblem(f"no such model file: {path}")
        try:
            read_metadata(path)
            is_safetensors = True
        except FileProblem:
            is_safetensors = False
        if not is_safetensors:
            from playground.export.weights_formats import foreign_model_format
            other = foreign_model_format(path)
            if other is not None:
                raise FileProblem(other.refusal(path))
            with warnings.catch_warnings():  # torch warns about pickle protocols; the verdict is enough
                warnings.simplefilter("ignore")
                state_dict = load_state_dict_file(path)  # weights_only: pickled objects are refused
            print(describe_state_dict(path, state_dict), end="")
            return 0
        preset, state_dict, meta = load_weights(path)
        text = describe_model(path, preset, state_dict, meta.get("trained", "true") == "true")
        if args.save_preset:
            from playground.network.preset import save_preset
            save_preset(preset, args.save_preset)
    except (FileProblem, ProblemList, ValueError, OSError) as e:
        return fail("load", str(e))
    print(text, end="")
    if args.json:
        from playground.network.preset import preset_to_json
        print(preset_to_json(preset), end="")
    if args.save_preset:
        print(f"preset written to {args.save_preset}")
    return 0


def describe_model(path: Path, preset: Preset, state_dict: dict[str, torch.Tensor], trained: bool) -> str:
    """What a playground model file holds: the preset's story and the network's summary table."""
    from playground.export.common import prepare
    from playground.export.summary import summarize
    job = prepare(preset, state_dict, trained)
    ts = preset.training
    lines = [f"{path.name}: NN Playground model, {'trained' if trained else 'untrained'} weights",
             f"preset: {preset.name}"]
    if preset.description:
        lines.append(f"  {' '.join(preset.description.split())}")
    params = ", ".join(f"{k}={v}" for k, v in preset.data.params.items())
    lines.append(f"data: {preset.data.name}" + (f" ({params})" if params else ""))
    train = f"training: {ts.mode}, loss {ts.loss}, {ts.optimizer} lr {ts.lr:g}, {ts.schedule} schedule, " \
            f"batch {ts.batch_size}, {ts.epochs} epochs, seed {ts.seed}"
    extras = [f"{k} {getattr(ts, k):g}" for k in ("l1", "l2", "max_norm", "contractive", "grad_clip")
              if getattr(ts, k)]
    if ts.sparsity != "none":
        extras.append(f"sparsity {ts.sparsity} on {ts.code_node}")
    lines.append(train + ("; " + ", ".join(extras) if extras else ""))
    lines.append("")
    return "\n".join(lines) + "\n" + summarize(job).text()


def describe_state_dict(path: Path, state_dict: dict[str, torch.Tensor]) -> str:
    total = sum(v.numel() for v in state_dict.values())
    lines = [f"{path.name}: a plain state_dict (no preset inside), {len(state_dict)} tensors, "
             f"{total:,} values"]
    width = max((len(k) for k in state_dict), default=0)
    lines += [f"  {k:<{width}}  {tuple(v.shape)}  {str(v.dtype).replace('torch.', '')}"
              for k, v in state_dict.items()]
    return "\n".join(lines) + "\n"
