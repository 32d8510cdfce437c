"""Reading files in worker processes, beside the embedding, each file under a time limit.

    for result in read_files(corpus, tasks, settings.ingest):   # in the order of `tasks`
        result.document or result.problem or result.sha256

A background thread keeps `workers` processes busy with one file each, up to `read_ahead`
documents per worker and `read_ahead_chars` of text ahead of what the caller has taken, so the
model embeds one batch while the next is being read and memory holds only that window. A file
that takes longer than `file_timeout` seconds has its worker killed (and replaced): it comes
back as a problem that names the limit, and the rest goes on. A worker that dies on a file (a
crash in a PDF library) is reported the same way. Readers run at the lowest CPU priority
(`reader_niceness`): they use the cycles the model leaves idle, and take a core whole only when the
embedding waits for them; a file's time limit, on the clock, allows for the batch embedding meanwhile
(at most `read_ahead_chars` of text, some seconds). Processes are started with "spawn": the ingesting process
may hold the model's threads, which a fork would copy in an unusable state. A spawned process
runs the parent's main script again unless told otherwise; the workers need only this package,
and the main "script" may be a Streamlit page (Streamlit puts the page it runs in `__main__`),
so they are started with a bare `__main__`.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from ..core.errors import UnreadableDocument
from ..core.settings import Ingest
from ..core.types import Document
from .corpus import file_hash, load_document

# How often the feeding thread looks at deadlines and at the caller's progress, in seconds.
_POLL = 0.05
# What a worker sends once it has started (its imports done): a file's time limit counts from then,
# so that a slow start on a busy machine is not taken for a file that stalls.
READY = "ready"


@dataclass(frozen=True)
class ReadTask:
    """One file to read, and the content hash that would make reading it unnecessary."""

    source: str
    path: Path
    entry: dict[str, str] = field(default_factory=dict)  # its catalog.toml entry
    known_sha: str = ""  # the indexed version's hash, when its catalog entry is unchanged


@dataclass
class ReadResult:
    """A read file: a Document, a problem, or (content unchanged) just its hash."""

    source: str
    document: Document | None = None
    problem: UnreadableDocument | None = None
    sha256: str = ""
    seconds: float = 0.0  # time spent reading and extracting it


def read_task(corpus: Path, task: ReadTask) -> ReadResult:
    """Read one file (in a worker or in this process)."""
    started = time.perf_counter()
    try:
        try:
            data = task.path.read_bytes()
        except OSError as exc:
            raise UnreadableDocument(task.source, f"cannot be read ({exc.strerror})") from exc
        sha = file_hash(data)
        if task.known_sha and sha == task.known_sha:
            return ReadResult(task.source, sha256=sha, seconds=time.perf_counter() - started)
        doc = load_document(corpus, task.path, {task.source: task.entry} if task.entry else {}, data)
        return ReadResult(task.source, document=doc, seconds=time.perf_counter() - started)
    except UnreadableDocument as problem:
        return ReadResult(task.source, problem=problem, seconds=time.perf_counter() - started)


def worker_main(conn: Any, corpus: str, niceness: int = 0) -> None:
    """A worker process: read the tasks it is sent until it is sent None, at `niceness` (Ingest.reader_niceness)."""
    root = Path(corpus)
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    conn.send(READY)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(read_task(root, task))


_MAIN_LOCK = threading.Lock()


@contextmanager
def _bare_main() -> Iterator[None]:
    """While a worker starts: a `__main__` with no file, so that the worker does not run the caller's script."""
    with _MAIN_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class _Worker:
    def __init__(self, ctx: Any, corpus: Path, niceness: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child, str(corpus), niceness), daemon=True)
        with _bare_main():
            self.process.start()
        child.close()
        self.slot: int | None = None  # index of the task it is reading
        self.ready = False  # READY received: the time limit runs
        self.deadline = math.inf

    def give(self, slot: int, task: ReadTask, timeout: float) -> None:
        self.slot, self.deadline = slot, time.monotonic() + timeout if self.ready else math.inf
        self.conn.send(task)

    def started(self, timeout: float) -> None:
        self.ready = True
        if self.slot is not None:
            self.deadline = time.monotonic() + timeout

    def stop(self, kill: bool = False) -> None:
        try:
            if kill:
                self.process.kill()
            else:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def timeout_problem(source: str, seconds: float) -> UnreadableDocument:
    return UnreadableDocument(source, f"took longer than {seconds:g} s to read and was skipped (a damaged or "
                                      "extremely complex file?); check it, or raise ASSISTANT_INGEST__FILE_TIMEOUT")


def crash_problem(source: str, code: int | None) -> UnreadableDocument:
    return UnreadableDocument(source, f"made the reader stop (exit code {code}): the file is probably damaged; "
                                      "download it again")


class _Feeder:
    """The thread that hands tasks to workers and collects their results in a dict by position."""

    def __init__(self, corpus: Path, tasks: list[ReadTask], settings: Ingest) -> None:
        self.corpus, self.tasks, self.settings = corpus, tasks, settings
        self.results: dict[int, ReadResult] = {}
        self.taken = 0  # results the caller has consumed
        self.waiting_chars = 0  # text read and not yet taken
        self.error: BaseException | None = None
        self.closing = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self.run, name="reader-feeder", daemon=True)
        self.thread.start()

    def run(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        n = max(1, min(self.settings.workers, len(self.tasks)))
        workers: list[_Worker] = []
        queue = deque(range(len(self.tasks)))
        try:
            workers = [_Worker(ctx, self.corpus, self.settings.reader_niceness) for _ in range(n)]
            window = self.settings.read_ahead * n
            while not self.closing and (queue or any(w.slot is not None for w in workers)):
                for w in workers:
                    with self.cond:
                        room = (queue and queue[0] < self.taken + window
                                and self.waiting_chars < self.settings.read_ahead_chars)
                    if w.slot is None and room:
                        slot = queue.popleft()
                        w.give(slot, self.tasks[slot], self.settings.file_timeout)
                busy = [w for w in workers if w.slot is not None]
                if not busy:
                    with self.cond:
                        self.cond.wait(_POLL)
                    continue
                wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=_POLL)
                for i, w in enumerate(workers):
                    if w.slot is None:
                        continue
                    got = self._collect(w)
                    if got is None:
                        continue
                    with self.cond:
                        self.results[w.slot] = got
                        self.waiting_chars += _chars(got)
                        self.cond.notify_all()
                    if got.seconds < 0 or not w.process.is_alive():
                        w.stop(kill=True)
                        workers[i] = _Worker(ctx, self.corpus, self.settings.reader_niceness)
                    else:
                        w.slot = None
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            with self.cond:
                self.error = exc
                self.cond.notify_all()
        finally:
            for w in workers:
                w.stop(kill=self.closing)

    def _collect(self, w: _Worker) -> ReadResult | None:
        """The worker's result, a problem if it died or ran out of time, or None while it is still reading."""
        task = self.tasks[w.slot]  # type: ignore[index]
        try:
            while w.conn.poll():
                got = w.conn.recv()
                if got != READY:
                    return got
                w.started(self.settings.file_timeout)
        except (EOFError, OSError):
            pass
        if not w.process.is_alive():
            return ReadResult(task.source, problem=crash_problem(task.source, w.process.exitcode))
        if time.monotonic() > w.deadline:
            return ReadResult(task.source, problem=timeout_problem(task.source, self.settings.file_timeout),
                              seconds=-1.0)  # -1: the worker must be replaced
        return None

    def take(self, slot: int) -> ReadResult:
        with self.cond:
            while slot not in self.results:
                if self.error is not None:
                    raise self.error
                self.cond.wait(_POLL)
            self.taken = slot + 1
            got = self.results.pop(slot)
            self.waiting_chars -= _chars(got)
            self.cond.notify_all()
            return got

    def close(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        self.thread.join(timeout=30)


def _chars(result: ReadResult) -> int:
    return len(result.document.text) if result.document is not None else 0


def read_files(corpus: Path, tasks: list[ReadTask], settings: Ingest) -> Iterator[ReadResult]:
    """Each task's result, in the order of `tasks`; read in worker processes unless `settings.workers` is 0."""
    if settings.workers == 0 or not tasks:
        for task in tasks:
            yield read_task(corpus, task)
        return
    feeder = _Feeder(corpus, tasks, settings)
    try:
        for slot in range(len(tasks)):
            result = feeder.take(slot)
            if result.seconds < 0:
                result.seconds = settings.file_timeout
            yield result
    finally:
        feeder.close()
