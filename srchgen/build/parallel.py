"""A clean build on two cores: the records split in two halves, one processed in this process
and one in a worker process of a `concurrent.futures` process pool.

Both halves are loaded, validated, derived and rendered at once (phase 1); the worker sends
back only plain values (problems, Facts, the frozen Summary and the spans of its texts,
which it wrote to its own text file). The parent checks the rules across records; when every
record is valid it tells the worker where the staging tree is and which records each of its
records is related to, and the worker writes its half's record pages there while the parent
writes the listings and the feeds (phase 2). The parent's own record pages are then written
by whichever process is free: both take them from one list (Chunks), so neither waits long
for the other (at 10,000 records the parent's listings and feeds alone took as long as 7,500
record pages). The worker returns the digests of the files it wrote.

The pool has one process, started with `fork`: the phases are closures over the parent's
project and renderer (a Jinja environment does not pickle), which a forked child inherits;
and phase 2 runs in the process that holds phase 1's rendered pages. The child dies with
its parent (PR_SET_PDEATHSIG). An exception in the child is raised in the parent as itself
(an OSError keeps its errno and file name: the CLI reports a full disk in one line).

Measured against the hand-made fork/pipe worker this replaced (marshal over two pipes): cold
`srchgen build --no-search` of bench/gen_registry.py's 10,000 records (seed 1), each run in a
fresh folder, variants alternated, on the shared 2-core machine. Two rounds: medians of 4,
pool 41.3 s and worker 41.4 s (load 4-6 from other sessions); then medians of 3, pool 23.1 s
(22.5 23.1 36.4) and worker 30.2 s (27.6 30.2 30.8), CPU time alike (24-32 s user). The
worker is not faster, so the standard library's pool, whose failure model readers know.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

if TYPE_CHECKING:
    from concurrent.futures import Future

# multiprocessing, concurrent.futures and ctypes are imported when a clean build needs them: a
# build that edits a few records in place never starts a worker, and they were 8 ms of its 0.43 s.

MIN_RECORDS = 400  # below this a second process costs more than it saves
CHUNK = 32  # items a process takes from a Chunks list at a time


def available() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _die_with_parent() -> None:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


_phases: tuple[Callable[[], Any], Callable[[Any], Any]] | None = None  # in the child: what the parent forked it with


def _start(phase1: Callable[[], Any], phase2: Callable[[Any], Any]) -> None:
    global _phases
    _phases = (phase1, phase2)
    _die_with_parent()


def _run(message: Any = None) -> Any:
    assert _phases is not None
    phase1, phase2 = _phases
    return phase1() if message is None else phase2(message)


class Worker:
    """The other half of a clean build: `phase1` runs in the worker at once, `phase2(message)`
    when sent; `receive` returns what the last one returned (or raises what it raised)."""

    def __init__(self, phase1: Callable[[], Any], phase2: Callable[[Any], Any]):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork: initargs reach the child as they are, not pickled
        self._pool = ProcessPoolExecutor(1, multiprocessing.get_context("fork"), _start, (phase1, phase2))
        self._pending: Future[Any] = self._pool.submit(_run)

    def receive(self) -> Any:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self._pending.result()
        except BrokenProcessPool:
            raise RuntimeError("the build's worker process ended unexpectedly") from None

    def send(self, message: Any) -> None:
        assert message is not None
        self._pending = self._pool.submit(_run, message)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def abort(self) -> None:
        """Stop the worker after what it is doing (the parent failed, or did not need phase 2)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class Chunks:
    """A list both processes work through, each taking the next `size` items not yet taken, so
    the one with less else to do does more of it. Made before the fork (its counter is in
    shared memory); each process holds its own copy of the same list."""

    def __init__(self, size: int | None = None):
        import multiprocessing

        self._next = multiprocessing.get_context("fork").Value("q", 0)
        self.size = size or CHUNK

    def take(self, items: Sequence[Any]) -> Iterator[Sequence[Any]]:
        while True:
            with self._next.get_lock():
                start = self._next.value
                self._next.value = start + self.size
            if start >= len(items):
                return
            yield items[start : start + self.size]


def related_view(items: Sequence[Sequence[str]]) -> list[SimpleNamespace]:
    """Related records as the record template reads them (hex, id, short_title)."""
    return [SimpleNamespace(hex=h, id=i, short_title=t) for h, i, t in items]


def split(items: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Two halves with about the same number of records, interleaved so both get old and new ones."""
    return list(items[1::2]), list(items[0::2])


def staging_path(message: Any) -> Path:
    return Path(message[0])
