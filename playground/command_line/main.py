"""The command line: `playground train|presets|validate|export|load|data|runs|...|gui`.

Every bad input (missing file, bad JSON, invalid spec, impossible shapes) ends in one clear
line on stderr and exit status 2, never a traceback.

It answers quickly: each command's options are registered by its own module, imported only when
that command runs, so `playground --help`, `presets`, `runs`, `data inspect` and a mistyped
command never import torch, pandas, scipy or optuna (benchmarks/cli_startup.py measures it).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Command:
    """A subcommand as `playground --help` lists it, and the module whose `register(subparsers)`
    adds its options (imported only when the command runs)."""
    name: str
    summary: str
    module: str = __name__


COMMAND_LIST: tuple[Command, ...] = (
    Command("train", "train a preset (file or built-in name) with a progress bar"),
    Command("presets", "list the built-in presets, or show one's guided lesson"),
    Command("validate", "check a preset: exit 0, or 2 with every problem and its path"),
    Command("export", "export a trained run (or a preset's untrained weights) to a file",
            "playground.export.commands"),
    Command("load", "show the preset and summary inside a model file", "playground.export.commands"),
    Command("sample", "write text with a trained character-level language model", "playground.export.commands"),
    Command("data", "look at your own data file or folder before importing it",
            "playground.data.commands"),
    Command("runs", "list recorded runs; delete or rename one", "playground.run_records.commands"),
    Command("twin", "train a recorded run again with settings changed, same three seeds",
            "playground.run_records.commands"),
    Command("repeat", "train a preset over several seeds; mean, std and 95%% interval",
            "playground.run_records.commands"),
    Command("compare", "what differs between runs or repeat groups, and is it noise",
            "playground.run_records.commands"),
    Command("lab", "the labs: activation gallery, optimizer race, initialization explorer, clustering, "
                   "generative against discriminative, backprop step by step, grid against random search, softmax "
                   "and information, conv output size, Hessian eigenvalues, forward against reverse-mode autodiff "
                   "(numbers, JSON or PNG)",
            "playground.labs.commands"),
    Command("check", "the notes' pre-flight checks before training, each named as it runs (exit 1 when "
                     "one is red)", "playground.babysit.commands"),
    Command("lr-find", "learning-rate range test: the loss over a sweep of rising learning rates, with "
                       "suggestions",
            "playground.babysit.commands"),
    Command("search", "random search in log space with Optuna, coarse then fine", "playground.babysit.commands"),
    Command("cv", "k-fold cross-validation: one recorded run per fold, mean and sd, against the single "
                  "split", "playground.selection.commands"),
    Command("curve", "learning curve (metric against training-set size) or complexity curve (against "
                     "a setting), mean and sd over seeds", "playground.selection.commands"),
    Command("bias-variance", "squared bias and variance of a regression model over many training sets, "
                             "against a setting", "playground.selection.commands"),
    Command("install-desktop", "add NN Playground to a Linux desktop's applications menu (entry and icon)",
            "playground.command_line.desktop_entry"),
)
COMMANDS = tuple(c.name for c in COMMAND_LIST)
"""The engine's subcommands; `playground` with none of these opens the app (widgets.launch)."""


def _err(message: str) -> int:
    print(f"playground: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


class ProgressBar:
    """A one-line progress bar on stderr (a line per epoch when stderr is not a terminal)."""

    def __init__(self, total_steps: int, epochs: int, stream=sys.stderr) -> None:
        self.total, self.epochs, self.stream = max(1, total_steps), epochs, stream
        self.tty = stream.isatty()
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.text = ""

    def __call__(self, event) -> None:
        from playground.training.events import EpochEvent, LossEvent, PerceptronEvent, ProblemEvent
        if isinstance(event, LossEvent) and self.tty and len(event.steps):
            now = time.perf_counter()
            if now - self.last_draw > 0.1:
                self.last_draw = now
                self._draw(int(event.steps[-1]) + 1, f"loss {event.losses[-1]:.4f}")
        elif isinstance(event, EpochEvent):
            acc = f" val_acc {event.val_accuracy:.3f}" if event.val_accuracy is not None else ""
            self.text = f"epoch {event.epoch}/{self.epochs} val_loss {event.val_loss:.4f}{acc}"
            if self.tty:
                self._draw(event.step, self.text)
            else:
                print(self.text, file=self.stream, flush=True)
        elif isinstance(event, PerceptronEvent) and not self.tty:
            print(f"  {event.mistakes} mistakes this epoch; {event.message}", file=self.stream)
        elif isinstance(event, ProblemEvent):
            self._end()
            print(f"problem: {event.message}\n  what to try: {event.advice}" if event.advice
                  else f"problem: {event.message}", file=self.stream)

    def _draw(self, step: int, text: str) -> None:
        frac = min(1.0, step / self.total)
        bar = "#" * int(frac * 30)
        elapsed = time.perf_counter() - self.start
        rate = step / elapsed if elapsed > 0 else 0.0
        eta = (self.total - step) / rate if rate > 0 else 0.0
        self.stream.write(f"\r[{bar:<30}] {frac:5.1%} {rate:7.0f} steps/s eta {eta:4.0f}s  {text:<45}")
        self.stream.flush()

    def _end(self) -> None:
        if self.tty:
            self.stream.write("\n")


def cmd_train(args: argparse.Namespace) -> int:
    from playground.network.preset import resolve_preset
    from playground.run_records.run_to_end import train_run
    from playground.training.trainer import Trainer

    base = preset = resolve_preset(args.preset)
    if getattr(args, "set", None):
        from playground.network.overrides import apply_overrides
        preset = apply_overrides(preset, args.set)
    out = Path(args.out) if args.out else None
    from playground.run_records.store import RunRecorder
    recorder = RunRecorder(args.runs_dir, changed=_changed_settings(base, preset), source="cli")
    epochs = args.epochs or preset.training.epochs
    bar = ProgressBar(0, epochs, stream=sys.stderr)  # steps known once the Trainer has built the data;
    # the stream is today's sys.stderr, not the one the class was defined with

    def on_event(event) -> None:
        bar(event)

    def start_bar(trainer: Trainer) -> None:
        bar.total = trainer.total_steps
        print(trainer.device_choice.line(), file=sys.stderr)  # which device, and why (auto times both)

    result = train_run(preset, out, epochs=args.epochs, seed=args.seed, device=args.device,
                       on_event=on_event, on_start=start_bar, recorder=recorder)
    bar._end()
    s = result.summary
    parts = [f"{s['preset']}: {s['finish_reason']} after {s['epochs']} epochs ({s['seconds']:.1f}s on {s['device']})"]
    for key in ("test_accuracy", "test_loss", "test_mse", "pca_mse", "mistakes", "mistake_bound"):
        if s.get(key) is not None:
            parts.append(f"{key} {s[key]:.4g}" if isinstance(s[key], float) else f"{key} {s[key]}")
    print("; ".join(parts) + (f" -> {out}" if out is not None else ""))
    for finding in recorder.findings.ranked if recorder.findings is not None else []:
        print(finding.line())  # the app's Diagnoses and outcome, in rank order (findings.json)
    print(recorder.id)  # the last line: the new run's id, for scripts
    return 0 if s["finish_reason"] != "problem" else 1


def _changed_settings(base, preset) -> dict:
    """The settings --set changed, by path, with their new values: the run record's `changed`."""
    from playground.network.overrides import describe_changes
    from playground.network.preset import preset_to_dict
    return describe_changes(preset_to_dict(base), preset_to_dict(preset)) if base is not preset else {}


def cmd_presets(args: argparse.Namespace) -> int:
    from playground.network.preset import builtin_names
    if args.verify is not None:
        return cmd_verify(args)
    if args.lesson:
        from playground.course.lessons import format_lesson, load_lesson
        if args.lesson not in builtin_names():
            return _err(f"no built-in preset named {args.lesson!r} (see `playground presets`)")
        print(format_lesson(load_lesson(args.lesson)), end="")
        return 0
    from playground.course.examples import builtin_examples  # their descriptions, read without building anything
    for example in builtin_examples():
        first = example.description.split(". ")[0].rstrip(".")
        print(f"{example.name:<26} {first}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """`presets --verify [NAME ...]`: each lesson claim over seeds; exit 1 when one does not hold."""
    import json

    from playground.run_records.experiments import parse_seeds
    from playground.run_records.lesson_claims import lesson_claims, verify
    seeds = parse_seeds(args.seeds)
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}")
    claims = lesson_claims(args.verify)
    if not claims:
        print("no lesson claims to verify", file=sys.stderr)
        return 0
    names = len({n for c in claims for n in (c.lesson, c.claim.other)})
    print(f"verifying {len(claims)} claims: {names} presets x {len(seeds)} seeds", file=sys.stderr, flush=True)
    checks = verify(claims, seeds, jobs=args.jobs,
                    on_done=lambda name, seed: print(f"  trained {name} seed {seed}", file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps([c.to_json() for c in checks], indent=2))
    else:
        for c in checks:
            print(c.line())
    failed = [c for c in checks if not c.holds]
    print(f"{len(checks) - len(failed)} of {len(checks)} claims hold", file=sys.stderr)
    return 1 if failed else 0


def cmd_validate(args: argparse.Namespace) -> int:
    from playground.params import ProblemList
    from playground.network.preset import resolve_preset
    preset = resolve_preset(args.preset)  # a missing, unreadable or invalid file is refused before torch loads
    from playground.training.trainer import Trainer  # the shape rules live in the layer catalogue, with torch
    try:
        Trainer(preset, device="cpu")  # builds the data and the model: every check a run makes
    except ProblemList as e:
        print(f"{args.preset}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.preset}: valid ({len(preset.model.nodes)} nodes, data '{preset.data.name}')")
    return 0


def register(sub: Any) -> None:
    """Add this module's commands (train, presets, validate) to the CLI's subcommands."""
    from playground.network.cli_values import MAX_JOBS, bounded, training_value
    p = sub.add_parser("train")
    p.add_argument("preset")
    p.add_argument("--epochs", type=training_value("epochs"), help="override the preset's number of epochs")
    p.add_argument("--seed", type=training_value("seed"), help="override the preset's seed")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--out", help="also write metrics.csv, summary.json and model.safetensors here")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a preset field by its path, e.g. training.lr=0.01 (repeatable)")
    p.add_argument("--runs-dir", help="where the run is recorded (default: PLAYGROUND_RUNS_DIR or "
                   "the per-user data folder)")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("presets")
    p.add_argument("--lesson", metavar="NAME", help="print the guided lesson of built-in preset NAME")
    p.add_argument("--verify", nargs="*", metavar="NAME", help="train each named lesson's compared pairs "
                   "(all lessons without a name) over seeds and check its claims; exit 1 if one fails")
    p.add_argument("--seeds", default="5", help="with --verify: N (seeds 0..N-1) or A-B (default 5)")
    p.add_argument("--jobs", type=bounded(int, 1, MAX_JOBS), help="with --verify: parallel training processes (default: cores - 1)")
    p.add_argument("--json", action="store_true", help="with --verify: a JSON list of the checked claims")
    p.set_defaults(func=cmd_presets)
    p = sub.add_parser("validate")
    p.add_argument("preset")
    p.set_defaults(func=cmd_validate)


class _Subcommands:
    """The subparsers as a command's module sees them: each top-level command's one line (and
    the description of its own --help) comes from COMMAND_LIST, the one list of commands."""

    def __init__(self, action: Any) -> None:
        self.action = action

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        summary = next((c.summary for c in COMMAND_LIST if c.name == name), None)
        if summary is None:
            raise LookupError(f"command {name!r} is registered but not in playground.command_line.main.COMMAND_LIST")
        kwargs.setdefault("help", summary)
        kwargs.setdefault("description", summary[:1].upper() + summary[1:].replace("%%", "%") + ".")
        return self.action.add_parser(name, **kwargs)


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the options of `commands` (of every command when None). The others are
    listed by name and summary only, so their modules (and torch) are not imported."""
    import importlib

    from playground.network.cli_values import OneLineParser
    wanted = set(COMMANDS if commands is None else commands)
    parser = OneLineParser(prog="playground", description="NN Playground: build, train and "
                                     "look inside neural networks. `playground` with no command, or "
                                     "`playground gui [PRESET]`, opens the desktop app.")
    action = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub = _Subcommands(action)
    for module in dict.fromkeys(c.module for c in COMMAND_LIST if c.name in wanted):
        importlib.import_module(module).register(sub)
    for command in COMMAND_LIST:
        if command.name not in action.choices:  # listed, not registered: its module stays unimported
            action.add_parser(command.name, help=command.summary, add_help=False)
    return parser


def split_command(argv: Sequence[str]) -> str | None:
    """The command word of a command line: its first argument that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def is_preset_word(word: str) -> bool:
    """Whether `playground WORD` names a preset for the app to open: a .json file (even a
    missing one, which the app explains) or a built-in preset's name."""
    from playground.network.preset import builtin_names
    path = Path(word)
    return path.suffix == ".json" or path.is_file() or word in builtin_names()


def unknown_word_message(word: str) -> str:
    """One line for a word that is no command (and, for the app, no preset): the nearest command
    or built-in preset, and the list of commands."""
    import difflib

    from playground.network.preset import builtin_names
    listing = f"commands: {', '.join(COMMANDS)}"
    near = difflib.get_close_matches(word, COMMANDS, n=1)
    if near:
        return f"unknown command {word!r} — did you mean {near[0]!r}? ({listing})"
    if word in builtin_names():
        return (f"{word!r} is a built-in preset, not a command: `playground gui {word}` opens it, "
                f"`playground train {word}` trains it")
    near = difflib.get_close_matches(word, builtin_names(), n=1)
    if near:
        return (f"no command, preset file or built-in preset named {word!r} — did you mean the preset "
                f"{near[0]!r}? (`playground presets` lists them; {listing})")
    return (f"unknown command {word!r}, and no preset file or built-in preset has that name "
            f"({listing}; `playground presets` lists the presets)")


def main(argv: Sequence[str] | None = None) -> int:
    from playground.core.files import FileProblem
    from playground.params import ProblemList
    argv = list(sys.argv[1:] if argv is None else argv)
    command = split_command(argv)
    if command is not None and command not in COMMANDS:
        return _err(unknown_word_message(command))
    parser = build_parser([command] if command else [])
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ProblemList as e:
        return _err(str(e).replace("\n", " "))
    except BrokenPipeError:  # `playground presets | head`: the reader has all it wanted
        sys.stderr.close()
        return 0
    except FileProblem as e:
        return _err(str(e))
    except (ValueError, OSError) as e:
        return _err(str(e))
    except (RuntimeError, MemoryError) as e:  # torch's own failures, e.g. out of memory
        return _err(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM (workers.StopSignal): what was trained is kept
        print(f"\n{e}" if str(e) else "\ninterrupted", file=sys.stderr)
        return getattr(e, "exit_status", 130)  # 128 + the signal: 130 for Ctrl-C, 143 for SIGTERM


if __name__ == "__main__":
    sys.exit(main())
