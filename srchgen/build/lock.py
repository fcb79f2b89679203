"""One build at a time per output folder (issue 15): an flock on the cache folder's lock file."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Callable, Iterator

from srchgen.build.cache import LOCK, cache_dir

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: builds are not serialized there
    fcntl = None  # type: ignore[assignment]


class Busy(Exception):
    """Another live process holds the build lock (`holder`: its pid and output folder, when known)."""

    def __init__(self, pid: int | None, out: str | None):
        super().__init__(pid, out)
        self.pid, self.out = pid, out


_held: dict[str, int] = {}  # lock file -> how many times this process entered it


def _holder(fd: int) -> Busy:
    """Who holds the lock, as it wrote in the lock file (pid None: not written yet, or not alive)."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    pid, _, out = text.partition("\t")
    number = int(pid) if pid.isdigit() else None
    if number is not None:
        try:
            os.kill(number, 0)
        except ProcessLookupError:  # a killed holder's line, about to be overwritten by the new one
            number = None
        except OSError:
            pass
    return Busy(number, out.strip() or None)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextlib.contextmanager
def build_lock(out: Path, wait: bool = True, waiting: Callable[[Busy], None] | None = None) -> Iterator[None]:
    """Hold the exclusive build lock of the output folder's cache (`.srchgen-cache/lock`, flock)
    from the first read of the cache to its last write: two builds never recover, stage, swap
    or save over each other. A second build waits (after telling `waiting` who holds it), or
    with `wait=False` raises Busy. Re-entered freely by the process that holds it (the CLI
    holds it around build()). The kernel drops the lock when its holder dies, so a killed
    build never leaves it taken, and whatever a holder finds beside site/ (site.tmp-*,
    site.old-*, a journal) was left by a build that is no longer running."""
    path = cache_dir(out) / LOCK
    key = os.path.abspath(path)
    if fcntl is None:
        yield
        return
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        locked = _try_lock(fd)
        busy = _holder(fd) if not locked else None
        for _ in range(100):  # a holder that has just taken the lock writes its pid at once: wait for it a moment
            if locked or (busy is not None and busy.pid is not None):
                break
            time.sleep(0.01)
            locked = _try_lock(fd)
            busy = _holder(fd) if not locked else None
        if busy is not None:
            if not wait:
                raise busy
            if waiting is not None:
                waiting(busy)
            fcntl.flock(fd, fcntl.LOCK_EX)
        line = f"{os.getpid()}\t{os.path.abspath(out)}\n".encode("utf-8", "surrogateescape")
        os.pwrite(fd, line, 0)
        os.ftruncate(fd, len(line))
        _held[key] = 1
        try:
            yield
        finally:
            del _held[key]
            try:
                os.ftruncate(fd, 0)  # no stale pid for the next waiter to name
            except OSError:
                pass
    finally:
        os.close(fd)  # releases the lock
