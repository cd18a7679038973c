"""Processes that stop when asked and die with their parent: training, and the worker pools of
`repeat` and `presets --verify`.

A training in the main thread stops at its next step on the first SIGINT (Ctrl-C) or SIGTERM,
the way the app's Stop button stops it, so the weights trained so far are kept and the record
says `stopped`; a second signal interrupts at once. A pool's workers ask the kernel to send them
SIGTERM when their parent dies (even by `kill -9`), and the parent turns SIGINT and SIGTERM into
StopSignal, which stops its workers (each keeps its weights) before the exception goes on.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, TypeVar

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_SECONDS = 5.0
"""How long a stopped pool's workers get to end their runs (one step, then the record) before
they are killed."""
PR_SET_PDEATHSIG = 1
"""From <linux/prctl.h>."""

T = TypeVar("T")


class StopSignal(KeyboardInterrupt):
    """The process was asked to stop (Ctrl-C or SIGTERM). A KeyboardInterrupt, so that code which
    already cleans up after Ctrl-C cleans up after SIGTERM too; `exit_status` is the shell's
    128 + signal number (130 for Ctrl-C, 143 for SIGTERM)."""

    def __init__(self, signum: int, message: str = "") -> None:
        super().__init__(message or f"stopped by {who_stopped(signum)}")
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def who_stopped(signum: int) -> str:
    return "the user (Ctrl-C)" if signum == signal.SIGINT else signal.Signals(signum).name


@contextmanager
def _on_stop_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """`handler` for SIGINT and SIGTERM while the block runs, then the handlers before it. Python
    lets only the main thread set handlers (the app trains on a QThread): elsewhere, none."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before if before is not None else signal.SIG_DFL)


# ---------------------------------------------------------------- one training

_in_pool_worker = False
"""Set by the pool initializer. Linux may send a worker its parent-death signal once per thread
of the dying parent, so there a repeated signal is never a person insisting."""


@dataclass
class StopRequest:
    """Which signal asked a training to stop (None: none did). While `interruptible`, a second
    signal raises StopSignal at once (a step that never ends); set it False once training has
    ended, so that writing what was trained is never cut short."""

    signum: int | None = None
    interruptible: bool = True


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[StopRequest]:
    """While the block runs, the first SIGINT/SIGTERM calls `stop` (the Trainer's cooperative stop:
    it ends at its next step) and a second, while the request is interruptible and outside a
    pool worker, raises StopSignal at once. Off the main thread nothing is installed, and the
    request stays empty."""
    request = StopRequest()

    def on_signal(signum: int, _frame: Any) -> None:
        if request.signum is None:
            request.signum = signum
            stop()
        elif request.interruptible and not _in_pool_worker:
            raise StopSignal(signum)

    with _on_stop_signals(on_signal):
        yield request


# ---------------------------------------------------------------- a pool's workers

def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> bool:
    """Ask Linux to send `signum` to this process when its parent dies (prctl PR_SET_PDEATHSIG),
    and end now if the parent is already gone. Returns False where there is no prctl (macOS,
    Windows): there a worker outlives a parent killed with `kill -9` until its run ends, and
    only the parent's SIGTERM handler (worker_pool) stops workers."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        args = (ctypes.c_ulong(int(signum)), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        if libc.prctl(ctypes.c_int(PR_SET_PDEATHSIG), *args) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:   # the parent died before prctl: nobody will send the signal
        os._exit(128 + int(signum))
    return True


def _exit_when_idle(signum: int, _frame: Any) -> None:
    """A worker's handler outside a training (stop_on_signals replaces it during one): nothing
    to keep, so end at once, without a traceback from the pool's loop."""
    os._exit(128 + signum)


def _start_worker(parent_pid: int) -> None:
    """The pool initializer: die with the parent, end quietly on SIGINT/SIGTERM when idle."""
    global _in_pool_worker
    _in_pool_worker = True
    for signum in STOP_SIGNALS:
        signal.signal(signum, _exit_when_idle)
    die_with_parent(parent_pid)


def run_task(fn: Callable[..., T], *args: Any) -> T:
    """Run one task in a worker. A task stopped by a signal has already kept what it trained; the
    worker then ends, for nobody waits for its answer (a dead parent) or its next task."""
    try:
        return fn(*args)
    except StopSignal as e:
        os._exit(e.exit_status)
    except KeyboardInterrupt:
        os._exit(128 + signal.SIGINT)


def stop_workers(pool: ProcessPoolExecutor, grace: float = GRACE_SECONDS) -> list[int]:
    """Cancel the pool's waiting tasks and SIGTERM its workers (each stops its run at the next
    step and keeps its weights); kill those still alive after `grace` seconds. Returns their pids."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # CPython's, since 3.3
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + grace
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join(1.0)
    return [p.pid for p in processes if p.pid is not None]


@contextmanager
def worker_pool(jobs: int, on_stopped: Callable[[list[int]], None] | None = None,
                grace: float = GRACE_SECONDS) -> Iterator[ProcessPoolExecutor]:
    """A spawn pool whose workers die with this process. If the block ends with an exception
    (StopSignal from Ctrl-C or SIGTERM, or a task's error), the workers are stopped (stop_workers)
    before it goes on, and `on_stopped(worker pids)` can mark what they left unfinished."""
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))
    raised = False

    def on_signal(signum: int, _frame: Any) -> None:   # the first raises; later ones wait for the stop
        nonlocal raised
        if not raised:
            raised = True
            raise StopSignal(signum)

    with _on_stop_signals(on_signal):
        try:
            yield pool
            pool.shutdown(wait=True)
        except BaseException:
            pids = stop_workers(pool, grace)
            if on_stopped is not None:
                on_stopped(pids)
            raise
