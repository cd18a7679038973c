"""Per-batch random transforms, in torch so they run wherever the batch lives (CPU or GPU).

`augment` makes each training batch a little different (regularization by data);
`corrupt` damages inputs for a denoising autoencoder, which then learns to restore them.
Neither changes its input in place; with everything switched off they return it as is.
They live in `playground.step`, the one training-step module the exported train.py copies,
so the script transforms its batches exactly as the playground does.
"""
from __future__ import annotations

from playground.step import augment, corrupt, shift_images

__all__ = ["augment", "corrupt", "shift_images"]
