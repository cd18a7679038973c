"""torch's heavy lazy imports are loaded once, by one thread at a time, and the app loads them while
the person looks at the window: torch imports torch._dynamo (~1.6 s) the first time a process
constructs an optimizer, the window's first Start waited 3-4 s for its first step on a small MLP,
and two threads importing it at once deadlocked inside torch's circular imports."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch._dynamo", "torch._inductor", "sympy")

PROBE = f"""
import json, sys
import torch
before = [m for m in {HEAVY!r} if m in sys.modules]
from playground.core.heavy_imports import load_torch_machinery
load_torch_machinery()
after_load = [m for m in {HEAVY!r} if m in sys.modules]
loaded = set(sys.modules)
from playground.network.preset import resolve_preset
from playground.training.trainer import Trainer
trainer = Trainer(resolve_preset("overfit_moons"), device="cpu")
trainer.step()
print(json.dumps([before, after_load, sorted(m for m in set(sys.modules) - loaded if m.startswith(("torch.", "sympy")))]))
"""

RACE = """
import threading
import torch
from playground.core.heavy_imports import load_torch_machinery
from playground.network.preset import resolve_preset
from playground.training.trainer import Trainer
errors = []
def train():
    try:
        Trainer(resolve_preset("overfit_moons"), device="cpu").step()
    except Exception as e:
        errors.append(repr(e))
def load():
    try:
        load_torch_machinery()
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=load), threading.Thread(target=train), threading.Thread(target=train)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors)
"""


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          check=True).stdout.strip().splitlines()[-1]


def test_after_the_load_a_first_training_imports_nothing_heavy():
    before, after, new = json.loads(_run(PROBE))
    assert before == []   # a fresh `import torch` leaves them for later: what the warm-up is for
    assert set(after) == set(HEAVY)
    assert not [m for m in new if m.startswith(HEAVY)], new


def test_a_load_and_two_trainings_started_at_once_in_a_fresh_process_all_succeed():
    """Without the lock, a background load beside a training's first optimizer raised
    `_DeadlockError: deadlock detected by _ModuleLock('torch._dynamo')` in the training."""
    assert _run(RACE) == "[]"


def test_the_window_loads_them_on_a_thread_of_its_own_once_started(qtbot, tmp_path, monkeypatch):
    import threading
    from playground.core import heavy_imports
    from widgets.testing import close_window, make_window
    from playground.data import baselines
    threads: list[tuple[str, str]] = []
    monkeypatch.setattr(heavy_imports, "load_torch_machinery",
                        lambda: threads.append(("torch", threading.current_thread().name)))
    monkeypatch.setattr(baselines, "load_models", lambda: threads.append(("sklearn", threading.current_thread().name)))
    window = make_window(tmp_path)
    try:
        qtbot.waitUntil(lambda: threads == [("torch", "warm-up"), ("sklearn", "warm-up")], timeout=60_000)
    finally:
        close_window(window)


def test_two_threads_asking_for_the_same_baselines_at_once_fit_them_once(monkeypatch):
    """The app's panel and its training thread both ask for a run's baselines as it starts."""
    import threading
    import time
    from playground.data import baselines
    fits: list[str] = []

    def slow_fit(dataset):
        fits.append(dataset.name)
        time.sleep(0.3)
        return []
    monkeypatch.setattr(baselines, "fit_baselines", slow_fit)
    monkeypatch.setattr(baselines, "_fitted", {})
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(baselines.baselines_for("moons", {"noise": 0.123})))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fits == ["moons"] and results == [[], []]
