"""Why the pre-flight checks, the learning-rate range test and the search refuse a warm-started
preset: each trains the network from its seed alone, so on a preset whose first layers start from
another network's weights (training.warm_start) it would test a different network than Train
runs: random encoder layers, not the pretrained ones, and never frozen as they would be. Fetching
the source's weights can mean training it first, so these tools say so in one line instead; the
same network without warm_start can be checked, range-tested and searched as usual.
"""
from __future__ import annotations

from playground.network.spec import Preset, warm_start_layer_ids


def seed_only_refusal(preset: Preset, what: str) -> str:
    """One line saying why `what` (e.g. "Pre-flight check") cannot run on `preset`; "" when it can."""
    ts = preset.training
    source = ts.warm_start.strip()
    if not source:
        return ""
    layers = ", ".join(warm_start_layer_ids(ts)) or "its first layers"
    return (f"{what} cannot run on this preset: it trains the network from its seed only, but this preset "
            f"starts {layers} from {source!r} (training.warm_start); clear warm_start to run it on the same "
            "network from scratch.")
