"""A clean build on two cores: a forked worker loads, validates and renders half the records.

The worker and the parent each process half of the records (phase 1) and the worker sends
back only plain values (problems, Facts, the frozen Summary and its texts). The parent
checks the rules across records; when every record is valid it tells the worker where the
staging tree is and which records each of its records is related to, and both render and
write their halves' record pages while the parent goes on to the listings and feeds
(phase 2). The worker returns the digests of the files it wrote. Messages are marshal
over a pipe; the worker dies with its parent (PR_SET_PDEATHSIG) and always leaves with
os._exit, so nothing of the parent's (atexit handlers, test fixtures) runs twice.
"""

from __future__ import annotations

import ctypes
import marshal
import os
import signal
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Sequence

MIN_RECORDS = 400  # below this a fork costs more than it saves


def available() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _os_error(e: OSError) -> tuple[int, str, str | None, str | None]:
    """An OSError as plain values for the pipe (marshal)."""
    def name(v: object) -> str | None:
        return None if v is None else os.fsdecode(v)  # type: ignore[arg-type]

    return (e.errno or 0, e.strerror or str(e), name(e.filename), name(e.filename2))


class Worker:
    """The forked half of a clean build. `phase1` runs in the child right after the fork."""

    def __init__(self, phase1: Callable[[], Any], phase2: Callable[[Any], Any]):
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            code = 0
            try:
                os.close(to_child_w)
                os.close(to_parent_r)
                _die_with_parent()
                inbox, outbox = os.fdopen(to_child_r, "rb"), os.fdopen(to_parent_w, "wb")
                self._send(outbox, ("ok", phase1()))
                message = marshal.load(inbox)
                if message is not None:
                    self._send(outbox, ("ok", phase2(message)))
            except BaseException as e:  # reported to the parent, which raises it
                code = 1
                try:  # an OSError (a full disk) crosses as itself: the CLI reports it in one line
                    self._send(outbox, ("oserror", _os_error(e)) if isinstance(e, OSError) else ("error", traceback.format_exc()))
                except BaseException:
                    pass
            finally:
                os._exit(code)
        os.close(to_child_r)
        os.close(to_parent_w)
        self.pid = pid
        self.inbox = os.fdopen(to_parent_r, "rb")
        self.outbox = os.fdopen(to_child_w, "wb")

    @staticmethod
    def _send(f: Any, value: Any) -> None:
        marshal.dump(value, f)
        f.flush()

    def receive(self) -> Any:
        try:
            status, value = marshal.load(self.inbox)
        except (EOFError, ValueError, TypeError):
            self.close()
            raise RuntimeError("the build's worker process ended unexpectedly") from None
        if status == "oserror":
            self.close()
            number, reason, name, name2 = value
            raise OSError(number, reason, name, None, name2)
        if status != "ok":
            self.close()
            raise RuntimeError(f"the build's worker process failed:\n{value}")
        return value

    def send(self, value: Any) -> None:
        self._send(self.outbox, value)

    def close(self) -> None:
        for f in (self.outbox, self.inbox):
            try:
                f.close()
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def abort(self) -> None:
        try:
            self.send(None)
        except (OSError, ValueError):  # ValueError: closed already, after the worker reported a failure
            pass
        self.close()


def related_view(items: Sequence[Sequence[str]]) -> list[SimpleNamespace]:
    """Related records as the record template reads them (hex, id, short_title)."""
    return [SimpleNamespace(hex=h, id=i, short_title=t) for h, i, t in items]


def split(items: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Two halves with about the same number of records, interleaved so both get old and new ones."""
    return list(items[1::2]), list(items[0::2])


def staging_path(message: Any) -> Path:
    return Path(message[0])
