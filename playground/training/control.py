"""What may be asked of a training run from any thread: pause, single steps, a reset, stop and
live settings. The one place that state lives.

A `RunControl` is made before its Trainer and handed to it (`Trainer(..., control=...)`), so a
pause, a step or a setting asked for while the Trainer still builds its data and model is kept.
The Trainer validates each live setting (`Trainer.check_setting`) and applies the waiting ones
before its next step; whoever drives the steps (the Trainer's own `run`, the app's training
session) asks the control whether to step, and may `wait` on it for the next request.
"""
from __future__ import annotations

import threading
from typing import Any


class RunControl:
    """Requests to one training run; every method is thread-safe."""

    def __init__(self, paused: bool = False, steps: int = 0) -> None:
        self.changed = threading.Condition()
        """Notified on every request (a paused driver waits on it)."""
        self.go = threading.Event()
        """Set while there is something to do: running, a single step, a reset or a stop asked
        for. The Trainer's loop blocks on it while paused."""
        self.stopping = threading.Event()
        self.settings: dict[str, Any] = {}
        """Live settings (name → value), validated, waiting for the next step."""
        self._paused = paused
        self._reset = False
        self.step_requests = max(0, int(steps))
        self.undisturbed = False
        """Nothing is asked (running, no single step, reset, stop or setting waiting): the
        Trainer's loop reads this one flag a step instead of asking each request in turn."""
        with self.changed:
            self._refresh()

    def _refresh(self) -> None:
        """(Holding `changed`.) Set `go` and `undisturbed` from the requests and wake whoever waits."""
        stopping = self.stopping.is_set()
        if not self._paused or self.step_requests or self._reset or stopping:
            self.go.set()
        else:
            self.go.clear()
        self.undisturbed = not (self._paused or self.step_requests or self._reset or stopping or self.settings)
        self.changed.notify_all()

    @property
    def paused(self) -> bool:
        """A pause is asked for (single steps still go, one per `request_step`)."""
        return self._paused

    @property
    def reset_requested(self) -> bool:
        return self._reset

    def pause(self) -> None:
        with self.changed:
            self._paused = True
            self._refresh()

    def resume(self) -> None:
        with self.changed:
            self._paused = False
            self._refresh()

    def request_step(self) -> None:
        """Pause, and take one more step (for looking at each update)."""
        with self.changed:
            self._paused = True
            self.step_requests += 1
            self._refresh()

    def request_reset(self) -> None:
        """Pause, and start again from fresh weights (the driver calls the Trainer's reset)."""
        with self.changed:
            self._paused = True
            self._reset = True
            self._refresh()

    def stop(self) -> None:
        with self.changed:
            self.stopping.set()
            self._refresh()

    def take_step(self) -> bool:
        """Use up one single-step request; False when none is waiting."""
        with self.changed:
            if not self.step_requests:
                return False
            self.step_requests -= 1
            self._refresh()
            return True

    def take_reset(self) -> bool:
        """Use up the reset request; False when none is waiting."""
        with self.changed:
            asked, self._reset = self._reset, False
            self._refresh()
            return asked

    def restart(self) -> None:
        """The run starts over (fresh weights): an earlier stop no longer holds."""
        with self.changed:
            self.stopping.clear()
            self._refresh()

    def queue_setting(self, name: str, value: Any) -> None:
        """A live setting, already validated, for the next step."""
        with self.changed:
            self.settings[name] = value
            self._refresh()

    def take_settings(self) -> dict[str, Any]:
        """The live settings waiting; none wait after this."""
        with self.changed:
            pending = dict(self.settings)
            self.settings.clear()
            self._refresh()
            return pending

    def notify(self) -> None:
        """Wake whoever waits (the driver's own settings changed, e.g. its speed)."""
        with self.changed:
            self.changed.notify_all()

    def wait(self, timeout_s: float) -> None:
        """Block (bounded) until the next request."""
        with self.changed:
            self.changed.wait(timeout_s)
