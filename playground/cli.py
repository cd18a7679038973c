"""The command line: `playground train|presets|validate|export|load|gui`.

Every bad input (missing file, bad JSON, invalid spec, impossible shapes) ends in one clear
line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

EXIT_BAD_INPUT = 2
COMMANDS = ("train", "presets", "validate", "export", "load", "data", "runs", "twin", "repeat", "compare", "lab", "check", "lr-find", "search")
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
        from playground.events import EpochEvent, LossEvent, PerceptronEvent, ProblemEvent
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
    from playground.preset import resolve_preset
    from playground.runs import train_run
    from playground.trainer import Trainer

    base = preset = resolve_preset(args.preset)
    if getattr(args, "set", None):
        from playground.overrides import apply_overrides
        preset = apply_overrides(preset, args.set)
    out = Path(args.out) if args.out else None
    from playground.records import RunRecorder
    recorder = RunRecorder(args.runs_dir, changed=_changed_settings(base, preset), source="cli")
    epochs = args.epochs or preset.training.epochs
    bar = ProgressBar(0, epochs)  # its step count is known once the Trainer has built the data

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
    from playground.overrides import describe_changes
    from playground.preset import preset_to_dict
    return describe_changes(preset_to_dict(base), preset_to_dict(preset)) if base is not preset else {}


def cmd_presets(args: argparse.Namespace) -> int:
    from playground.preset import PRESETS_DIR, builtin_names, load_preset
    if args.verify is not None:
        return cmd_verify(args)
    if args.lesson:
        from playground.lessons import format_lesson, load_lesson
        if args.lesson not in builtin_names():
            return _err(f"no built-in preset named {args.lesson!r} (see `playground presets`)")
        print(format_lesson(load_lesson(args.lesson)), end="")
        return 0
    for name in builtin_names():
        p = load_preset(PRESETS_DIR / f"{name}.json")
        first = p.description.split(". ")[0].rstrip(".")
        print(f"{name:<26} {first}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """`presets --verify [NAME ...]`: each lesson claim over seeds; exit 1 when one does not hold."""
    import json

    from playground.experiments import parse_seeds
    from playground.lesson_claims import lesson_claims, verify
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
    from playground.preset import resolve_preset
    from playground.trainer import Trainer
    preset = resolve_preset(args.preset)
    try:
        Trainer(preset, device="cpu")  # builds the data and the model: every check a run makes
    except ProblemList as e:
        print(f"{args.preset}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{args.preset}: valid ({len(preset.model.nodes)} nodes, data '{preset.data.name}')")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from playground.cli_args import MAX_JOBS, OneLineParser, bounded, training_value
    parser = OneLineParser(prog="playground", description="NN Playground: build, train and "
                                     "look inside neural networks. `playground` with no command, or "
                                     "`playground gui [PRESET]`, opens the desktop app.")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("train", help="train a preset (file or built-in name) with a progress bar")
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
    p = sub.add_parser("presets", help="list the built-in presets, or show one's guided lesson")
    p.add_argument("--lesson", metavar="NAME", help="print the guided lesson of built-in preset NAME")
    p.add_argument("--verify", nargs="*", metavar="NAME", help="train each named lesson's compared pairs "
                   "(all lessons without a name) over seeds and check its claims; exit 1 if one fails")
    p.add_argument("--seeds", default="5", help="with --verify: N (seeds 0..N-1) or A-B (default 5)")
    p.add_argument("--jobs", type=bounded(int, 1, MAX_JOBS), help="with --verify: parallel training processes (default: cores - 1)")
    p.add_argument("--json", action="store_true", help="with --verify: a JSON list of the checked claims")
    p.set_defaults(func=cmd_presets)
    p = sub.add_parser("validate", help="check a preset: exit 0, or 2 with every problem and its path")
    p.add_argument("preset")
    p.set_defaults(func=cmd_validate)
    try:
        from playground.export.commands import register
    except ImportError:
        pass
    else:
        register(sub)
    from playground.data_commands import register as register_data
    register_data(sub)
    from playground.experiments_cli import register as register_experiments
    register_experiments(sub)
    from playground.labs.commands import register as register_labs
    register_labs(sub)
    from playground.babysit.commands import register as register_babysit
    register_babysit(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from playground.files import FileProblem
    from playground.params import ProblemList
    parser = build_parser()
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
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
