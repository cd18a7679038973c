"""Heavy lazy imports, each done once per process, by one thread at a time.

The first optimizer a process constructs makes torch import `torch._dynamo` (its constructors are
wrapped to keep torch.compile out), and `torch.use_deterministic_algorithms` imports
`torch._inductor`: ~1.6 s together on a 2 GHz core, 3-4 s in the app beside its other work,
all before a first training's first step. Two threads that start them at once can deadlock inside
torch's circular imports (`_DeadlockError ... _ModuleLock('torch._dynamo')`, met when the app
loaded them in the background while a training started). So whatever builds an optimizer on a
thread calls `load_torch_machinery()` first, and other heavy imports (scikit-learn's models for
the baselines) go through `load_once` too: the first caller imports, the others wait for it, and
later calls cost a look in a set. The app calls them on a background thread once its window is
up, so that a first Start trains at once.
"""
from __future__ import annotations

import threading
from typing import Callable

_lock = threading.Lock()
_loaded: set[str] = set()


def load_once(name: str, load: Callable[[], None]) -> None:
    """Run `load` (imports) the first time `name` is asked for in this process; a caller that
    comes while any such load runs waits for it (one lock for all: no two heavy imports interleave)."""
    if name in _loaded:
        return
    with _lock:
        if name not in _loaded:
            load()
            _loaded.add(name)


def _import_torch_machinery() -> None:
    import torch._dynamo  # noqa: F401
    import torch._inductor.config  # noqa: F401


def load_torch_machinery() -> None:
    """Import what torch loads lazily at a first optimizer and at the deterministic-kernels switch."""
    load_once("torch machinery", _import_torch_machinery)
