"""Per-batch random transforms, in torch so they run wherever the batch lives (CPU or GPU).

`augment` makes each training batch a little different (regularization by data);
`corrupt` damages inputs for a denoising autoencoder, which then learns to restore them.
Neither changes its input in place; with everything switched off they return it as is.
"""
from __future__ import annotations

from typing import Any

import torch

from playground.data.base import AUGMENT_FLIP, AUGMENT_NOISE, AUGMENT_SHIFT, CORRUPTION, \
    CORRUPTION_AMOUNT


def _get(params: dict, name: str, default: Any) -> Any:
    return params.get(name, default)


def _rand(shape: tuple[int, ...], x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Uniform [0, 1) numbers on x's device, drawn from `generator` wherever that lives."""
    device = generator.device if generator is not None else x.device
    return torch.rand(shape, generator=generator, device=device).to(x.device)


def _randn_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else x.device
    return torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)


def _randint(high: int, n: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else x.device
    return torch.randint(0, high, (n,), generator=generator, device=device).to(x.device)


def shift_images(x: torch.Tensor, max_shift: int, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
    """Move each image (N, C, H, W) by its own random (dy, dx) in [-max_shift, max_shift]; the
    uncovered border is zero."""
    n, _, h, w = x.shape
    s = max_shift
    dy = _randint(2 * s + 1, n, x, generator) - s
    dx = _randint(2 * s + 1, n, x, generator) - s
    padded = torch.nn.functional.pad(x, (s, s, s, s))
    # out[i, :, r, c] = padded[i, :, r + s - dy_i, c + s - dx_i]: gather rows, then columns.
    rows = (torch.arange(h, device=x.device)[None, :] + s - dy[:, None])  # (N, H)
    cols = (torch.arange(w, device=x.device)[None, :] + s - dx[:, None])  # (N, W)
    c = x.shape[1]
    rows = rows[:, None, :, None].expand(n, c, h, w + 2 * s)
    picked = torch.gather(padded, 2, rows)  # (N, C, H, W + 2s)
    cols = cols[:, None, None, :].expand(n, c, h, w)
    return torch.gather(picked, 3, cols)


def augment(x: torch.Tensor, params: dict, generator: torch.Generator | None = None
            ) -> torch.Tensor:
    """Randomly shift, flip and add noise to a training batch of images (N, C, H, W).

    Anything that is not an image batch (points, sequences) is returned unchanged, as is the
    batch when every augmentation is off.
    """
    shift = int(_get(params, "augment_shift", AUGMENT_SHIFT.default))
    flip = bool(_get(params, "augment_flip", AUGMENT_FLIP.default))
    noise = float(_get(params, "augment_noise", AUGMENT_NOISE.default))
    if x.dim() != 4 or (shift <= 0 and not flip and noise <= 0):
        return x
    if shift > 0:
        x = shift_images(x, shift, generator)
    if flip:
        mirror = _rand((x.shape[0],), x, generator) < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
    if noise > 0:
        x = x + noise * _randn_like(x, generator)
    return x


def corrupt(x: torch.Tensor, params: dict, generator: torch.Generator | None = None
            ) -> torch.Tensor:
    """Damage inputs for a denoising autoencoder: add Gaussian noise, or zero a random share
    of the values ("mask"). The clean x stays the reconstruction target."""
    how = _get(params, "corruption", CORRUPTION.default)
    amount = float(_get(params, "corruption_amount", CORRUPTION_AMOUNT.default))
    if how == "none" or amount <= 0:
        return x
    if how == "gaussian":
        return x + amount * _randn_like(x, generator)
    if how == "mask":
        keep = _rand(tuple(x.shape), x, generator) >= amount
        return x * keep.to(x.dtype)
    raise ValueError(f"unknown corruption {how!r} (known: {', '.join(CORRUPTION.choices)})")
