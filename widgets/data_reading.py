"""Reading the document's data set off the GUI thread.

A person's own file (a CSV, an npz archive, an image folder) can be as large, slow or hostile
as they like: a 1 GB CSV took seconds to read and hash, an npz bomb tens of seconds, and the
Data dock's preview and the live fit check (does the network fit this data?) both made the
data set on the GUI thread, freezing the window. Here each data set is made once on a worker
thread (a `widgets.tasks.BackgroundTask`); its facts are remembered for the fit check, and the data set itself
goes to the preview. Until a file's facts arrive, the fit check says the data is being read.

Built-in generated data sets are bounded by their parameter ranges and made in milliseconds:
their facts are made where they are asked for, so an example opens ready to train.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from playground.network.spec import DataSpec
from widgets.tasks import BackgroundTask

KNOWN_LIMIT = 32
"""Data specs whose facts (or error) are remembered: a handful of numbers each."""

READING = "the data set is still being read (training can start once it is)"


def spec_key(name: str, params: dict) -> str:
    """One data set: its name and parameters (the file's SHA-256 among them)."""
    return name + "\0" + json.dumps(params, sort_keys=True, default=str)


def is_file_backed(name: str) -> bool:
    """A data set read from a person's file (size unbounded) rather than generated."""
    from playground.data import DATASETS
    entry = DATASETS.get(name)
    return bool(entry is not None and entry.imported)


@dataclass(frozen=True)
class DataRead:
    """What one read of a data set gave: its facts and the data set, or the engine's message."""

    key: str
    facts: Any = None        # playground.network.fit.DataFacts
    dataset: Any = None      # playground.data.Dataset (for the preview; not kept here)
    error: str = ""


def read_data(key: str, name: str, params: dict) -> DataRead:
    """Make the data set (on a worker thread). Every failure is a message for the person: the
    engine's own (a FIFO refused, a bad column), or, for an unexpected one, its type and first line."""
    from playground.data import make_dataset
    from playground.data.importers import ImportProblem
    from playground.network.fit import DataFacts
    try:
        dataset = make_dataset(name, params)
        return DataRead(key, DataFacts.of(dataset), dataset)
    except ImportProblem as e:
        return DataRead(key, error="; ".join(e.problems))
    except MemoryError:
        return DataRead(key, error="the data set is too large to hold in memory")
    except RecursionError:
        return DataRead(key, error="the data file nests too deeply to read")
    except Exception as e:  # noqa: BLE001  (a reader's bug still ends in a message, never a frozen page)
        text = str(e).strip().splitlines()
        return DataRead(key, error=text[0] if text else type(e).__name__)


class DataReader(QObject):
    """The document's data sets, read off the GUI thread. `read` arrives on the GUI thread with
    each finished read (the preview draws it; the fit check asks `facts` again)."""

    read = Signal(object)  # DataRead

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._known: OrderedDict[str, DataRead] = OrderedDict()
        self._tasks: dict[str, BackgroundTask] = {}
        self.last: DataRead | None = None
        """The newest finished read with its data set (one, so a large set is held once)."""

    # ---- asking
    def facts(self, name: str, params: dict):
        """The data set's facts for the fit check. A person's file not read yet: its read starts
        and ValueError says so; a file that could not be read: ValueError with the reason."""
        if not is_file_backed(name):
            from playground.network.fit import data_facts
            return data_facts(name, params)
        key = spec_key(name, params)
        known = self._known.get(key)
        if known is None:
            self.request(name, params)
            raise ValueError(READING)
        if known.error:
            raise ValueError(known.error)
        return known.facts

    def latest(self, name: str, params: dict) -> DataRead | None:
        """This data set's read with the data set itself if it was the last one read, its failed
        read (reading again would fail the same way, and the fit check already says so), else None
        (and its read starts)."""
        key = spec_key(name, params)
        if self.last is not None and self.last.key == key:
            return self.last
        known = self._known.get(key)
        if known is not None and known.error:
            return known
        self.request(name, params, again=True)
        return None

    def pending(self, name: str, params: dict) -> bool:
        return spec_key(name, params) in self._tasks

    # ---- reading
    def request(self, name: str, params: dict, again: bool = False) -> None:
        """Read this data set on a worker thread unless it is being read (or known, unless `again`)."""
        key = spec_key(name, params)
        if key in self._tasks or (key in self._known and not again):
            return
        params = json.loads(json.dumps(params, default=str))   # the worker's own copy
        task = BackgroundTask(lambda _task: read_data(key, name, params), kind="data-read")
        task.done.connect(self._on_done)   # read_data never raises: every failure is a DataRead
        self._tasks[key] = task
        task.start()

    def remember(self, spec: DataSpec, dataset) -> None:
        """A data set already read elsewhere off the GUI thread (the data page's import)."""
        from playground.network.fit import DataFacts
        self._finish(DataRead(spec_key(spec.name, spec.params), DataFacts.of(dataset), dataset))

    @Slot(object)
    def _on_done(self, result: DataRead) -> None:
        self._finish(result)

    def _finish(self, result: DataRead) -> None:
        task = self._tasks.pop(result.key, None)
        if task is not None:
            task.deleteLater()
        self._known[result.key] = DataRead(result.key, result.facts, None, result.error)
        self._known.move_to_end(result.key)
        while len(self._known) > KNOWN_LIMIT:
            self._known.popitem(last=False)
        if result.dataset is not None:
            self.last = result
        self.read.emit(result)

    def shutdown(self, timeout_s: float = 2.0) -> None:
        """The window closes: wait a little for reads in flight (a read cannot be interrupted;
        its thread is a daemon and its result goes nowhere)."""
        for task in list(self._tasks.values()):
            task.join(timeout_s)
