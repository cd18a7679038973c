"""A character-level language model writes: sampling text from a network trained on `char_text`.

The network reads a window of k one-hot characters and gives logits z over the alphabet for the
next one, P(x^(t+1) | x^(t), …, x^(t−k+1)) = softmax(z). To write, it is fed a start (the
prompt), one character is drawn from softmax(z / T), appended, and the window slides on by one.
The temperature T sharpens (T < 1) or flattens (T > 1) the distribution; as T → 0 the draw
becomes the most likely character (argmax, "greedy" decoding), which `temperature=0` does exactly.

`TextSampleProbe` is a Trainer helper like `inside.InsideProbes`: at each epoch end, when its
consumer asks for the "text_samples" view, it writes a few lines at fixed temperatures from the
same prompt with the same random numbers, so what changes from one epoch to the next is the
network alone.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from playground.data.chance_loss import chance_loss
from playground.data.sequences import TEXT_SETS, text_prompt
from playground.training.context import TrainingContext
from playground.training.events import TextSampleEvent
from playground.training.views import classifies

TEXT_VIEW = "text_samples"
"""The view's name (in `playground.training.views.VIEWS`)."""
TEMPERATURES = (0.0, 0.5, 1.0)
"""The lines the probe writes: greedy, sharpened, and the model's own distribution."""
N_CHARS = 160
SAMPLE_SEED = 1234
"""The probe draws with this seed at every epoch: the same random numbers each time."""


def entropy_nats(labels: np.ndarray, n_classes: int) -> float:
    """−Σ p ln p of the labels' frequencies: the cross-entropy of the best context-free guess."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64).reshape(-1), minlength=n_classes).astype(float)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def encode(text: str, alphabet: Sequence[str], window: int) -> np.ndarray:
    """The last `window` characters of `text` as codes; a shorter text is padded on the left with
    spaces (or the alphabet's first character when it has no space)."""
    index = {c: i for i, c in enumerate(alphabet)}
    unknown = sorted({c for c in text if c not in index})
    if unknown:
        raise ValueError(f"the start text has characters the network never saw: {''.join(unknown)!r}")
    pad = " " if " " in index else alphabet[0]
    text = (pad * max(0, window - len(text)) + text)[-window:]
    return np.array([index[c] for c in text], dtype=np.int64)


def next_codes(logits: torch.Tensor, temperatures: Sequence[float], generator: torch.Generator) -> torch.Tensor:
    """One code per row of logits (rows, V): argmax where the row's temperature is 0, else a draw
    from softmax(logits / T). Every row draws one number, so the rows never shift each other's
    random stream."""
    logits = logits.detach().float().cpu()
    t = torch.tensor([max(float(x), 1e-12) for x in temperatures]).unsqueeze(1)
    probs = torch.softmax(logits / t, dim=1)
    drawn = torch.multinomial(probs, 1, generator=generator).squeeze(1)
    greedy = logits.argmax(dim=1)
    cold = torch.tensor([float(x) <= 0 for x in temperatures])
    return torch.where(cold, greedy, drawn)


def sample_text(forward: Callable[[torch.Tensor], torch.Tensor], alphabet: Sequence[str], window: int,
                prompt: str, n_chars: int, temperatures: Sequence[float] | float, seed: int = 0, *,
                standardize: Callable[[np.ndarray], np.ndarray] | None = None,
                device: torch.device | str = "cpu") -> list[str]:
    """Write `n_chars` characters after `prompt`, once per temperature (a float: one line).

    `forward` maps a batch of one-hot windows (B, window, V) to next-character logits (B, V);
    `standardize` maps one-hot windows onto the network's input scale (the data set's, when it
    was standardized). The draws come from a torch Generator seeded with `seed`: the same seed,
    network and prompt always write the same text."""
    temps = [temperatures] if isinstance(temperatures, (int, float)) else list(temperatures)
    if any(t < 0 for t in temps):
        raise ValueError("a temperature must be >= 0 (0: always the most likely character)")
    v = len(alphabet)
    codes = np.tile(encode(prompt, alphabet, window), (len(temps), 1))
    generator = torch.Generator().manual_seed(int(seed))
    written: list[list[int]] = [[] for _ in temps]
    eye = np.eye(v, dtype=np.float32)
    with torch.no_grad():
        for _ in range(n_chars):
            x = eye[codes]
            if standardize is not None:
                x = standardize(x)
            logits = forward(torch.as_tensor(x, device=device))
            if logits.dim() != 2 or logits.shape[1] != v:
                raise ValueError(f"the network gives {tuple(logits.shape[1:])} values per window, not one logit "
                                 f"per character of the {v}-character alphabet")
            nxt = next_codes(logits, temps, generator).numpy()
            for row, c in enumerate(nxt):
                written[row].append(int(c))
            codes = np.concatenate([codes[:, 1:], nxt[:, None]], axis=1)
    return ["".join(alphabet[c] for c in row) for row in written]


def can_write(dataset_name: str, input_shape: Sequence[int], n_classes: int, target: str,
              output_shape: Sequence[int]) -> bool:
    """A network trained on this data reads one-hot character windows and gives one logit per
    character of the alphabet: it can write."""
    return (dataset_name in TEXT_SETS and classifies(n_classes, target) and len(input_shape) == 2
            and input_shape[1] == n_classes and tuple(output_shape) == (n_classes,))


class TextSampleProbe:
    """Writes the epoch-end text samples for one Trainer."""

    def __init__(self, trainer: TrainingContext) -> None:
        self.t = trainer
        data = trainer.dataset
        self.window = int(data.input_shape[0])
        self.prompt = text_prompt(trainer.preset.data.params)[-self.window:]
        self.unigram = entropy_nats(data.y_train, data.n_classes)
        self.uniform = chance_loss("cross_entropy", data.n_classes)[0]   # ln of the alphabet size: a uniform guess

    def event(self) -> TextSampleEvent:
        """The samples now; the caller has put the model in eval mode."""
        t, data = self.t, self.t.dataset
        samples = sample_text(t.model, data.class_names, self.window, self.prompt, N_CHARS, TEMPERATURES,
                              SAMPLE_SEED, standardize=data.standardize, device=t.device)
        return TextSampleEvent(t.step_count, t.epoch, self.prompt, TEMPERATURES, samples, self.unigram, self.uniform)


def write_text(preset, state_dict: dict[str, torch.Tensor] | None, n_chars: int, temperature: float,
               seed: int = 0, start: str | None = None) -> str:
    """`start` (default: the text's first window) and `n_chars` characters a network of `preset`
    with weights `state_dict` writes after it (None: the preset's untrained, seeded weights)."""
    from playground.data import DATASETS, make_dataset
    from playground.network.build import build_model
    from playground.params import with_defaults
    data = make_dataset(preset.data.name, preset.data.params)
    model = build_model(preset.model, seed=preset.training.seed)
    if not can_write(data.name, data.input_shape, data.n_classes, preset.training.target,
                     model.shapes.get(model.output_id, ())):
        raise ValueError(f"{preset.name or 'this preset'} is not a character-level language model: it must "
                         f"read one-hot character windows of a text data set ({', '.join(TEXT_SETS)}) and give "
                         f"one logit per character")
    if state_dict is not None:
        model.load_state_dict(state_dict)
    model.eval()
    window = int(data.input_shape[0])
    if start is None:
        start = text_prompt(preset.data.params)[-window:]
    elif with_defaults(DATASETS[data.name].params, preset.data.params).get("lowercase"):
        start = start.lower()   # the network only knows the lower-cased text
    if not start:
        raise ValueError("the start text is empty: give at least one character")
    return start + sample_text(model, data.class_names, window, start, n_chars, temperature, seed,
                               standardize=data.standardize)[0]
