"""Write stage: stage the whole site beside site/, then swap it in (SPEC §6).

A build killed at any moment leaves either the old or the new tree at site/, or a
state that `recover` repairs before the next build touches anything: the staging
tree is only ever swapped in complete, with renameat2(RENAME_EXCHANGE) where the
kernel has it (one atomic step), else two renames whose gap `recover` closes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import queue
import shutil
import threading
from pathlib import Path
from typing import Callable, Iterable

from srchgen.build.budget import HASHED, Usage, measure_update
from srchgen.render.render import Output

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _libc_renameat2() -> object | None:
    """libc's renameat2, looked up on first use (only a clean build swaps trees): the process's
    own symbols include libc's, so no library search (ctypes.util.find_library runs ldconfig)."""
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the platform cannot."""
    renameat2 = _libc_renameat2()
    if renameat2 is None:
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)  # type: ignore[operator]
    return rc == 0


def staging_dirs(site: Path) -> tuple[list[Path], list[Path]]:
    """Leftovers of interrupted builds: (staging trees, old trees)."""
    parent = site.parent
    if not parent.is_dir():
        return [], []
    tmp = sorted(parent.glob(f"{site.name}.tmp-*"))
    old = sorted(parent.glob(f"{site.name}.old-*"))
    return tmp, old


def journal_path(site: Path) -> Path:
    return site.parent / f"{site.name}.journal"


def recover(site: Path) -> None:
    """Repair what an interrupted build left, before anything else: finish a journaled update,
    put a complete old tree back, drop partial ones."""
    journal = journal_path(site)
    if journal.exists():
        finish_update(site, journal)
    tmp, old = staging_dirs(site)
    if not site.exists() and old:
        os.rename(old[-1], site)
        old = old[:-1]
    for leftover in tmp + old:
        shutil.rmtree(leftover, ignore_errors=True)


def write_site(
    outputs: Iterable[Output],
    site: Path,
    finish: Callable[[Path], None] | None = None,
    start: Callable[[Path], None] | None = None,
    usage: Usage | None = None,
) -> int:
    """Write every output into a staging tree, run `finish` on it, swap it in. `start` is told
    the staging tree before any file is written (a second process may fill part of it);
    `usage`, when given, counts what this process wrote (files and bytes by kind)."""
    recover(site)
    staging = site.parent / f"{site.name}.tmp-{os.getpid()}"
    staging.mkdir(parents=True)
    try:
        if start is not None:
            start(staging)
        count = _fill(staging, outputs, usage)
        if finish is not None:
            finish(staging)
        swap_in(staging, site)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # after a failed swap_in, site/ is the old tree
        raise
    return count


def fill(staging: Path, outputs: Iterable[Output], usage: Usage | None = None) -> int:
    """Write outputs under an existing staging tree (the build's worker process uses this);
    `usage`, when given, counts what was written (files and bytes by kind)."""
    return _fill(staging, outputs, usage)


def _fill(staging: Path, outputs: Iterable[Output], usage: Usage | None = None) -> int:
    """Write outputs under `staging`. Rendering (this thread) overlaps with file creation
    (writer threads, which release the GIL in the system calls): on a 2-core machine file
    creation is a third of a clean build."""
    made: set[str] = {str(staging)}
    writer = _Writer(staging, made, usage=usage)
    seen: set[str] = set()
    batch: list[Output] = []
    try:
        for out in outputs:
            if out.path in seen:
                raise RuntimeError(f"two outputs at one path: {out.path}")  # a bug in routes, not a user mistake
            seen.add(out.path)
            if out.chunks is not None:  # a feed of every record: a thread of its own
                writer.put([out])
                continue
            batch.append(out)
            if len(batch) >= 64:
                writer.put(batch)
                batch = []
        writer.put(batch)
    finally:
        writer.close()
    return len(seen)


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


class _Writer:
    """Two threads writing batches of outputs; the first error is raised in the caller."""

    def __init__(self, root: Path, made: set[str], threads: int = 2, usage: Usage | None = None):
        self.root = str(root)
        self.made = made
        self.usage = usage  # what was written, by kind (budget.Usage), when asked for
        self.lock = threading.Lock()
        self.queue: queue.Queue[list[Output] | None] = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def put(self, batch: list[Output]) -> None:
        if self.error is not None:
            raise self.error
        if batch:
            self.queue.put(batch)

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for t in self.threads:
            t.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while (batch := self.queue.get()) is not None:
            if self.error is not None:
                continue
            try:
                for out in batch:
                    self._write(out)
            except BaseException as e:  # handed to the caller by put()/close()
                self.error = e

    def _write(self, out: Output) -> None:
        target = os.path.join(self.root, out.path)
        try:
            self._write_to(target, out)
        except OSError as e:  # os.write and copyfile name no file on ENOSPC: say which one
            if e.filename2 is None and (e.filename is None or out.copy_from is not None):
                e.filename = target
            raise

    def _write_to(self, target: str, out: Output) -> None:
        parent = os.path.dirname(target)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            with self.lock:
                self.made.add(parent)
        hashed: bytes | None = None
        if out.copy_from is not None:
            shutil.copyfile(out.copy_from, target)
            size = os.stat(target).st_size
        else:
            size = 0
            h = hashlib.sha256() if self.usage is not None and self.usage.hashes is not None else None
            fd = os.open(target, _FLAGS, 0o644)
            try:
                for piece in out.pieces():
                    view = memoryview(piece)
                    size += len(view)
                    if h is not None:
                        h.update(view)  # releases the GIL on large pieces: the threads hash in parallel
                    while view:
                        view = view[os.write(fd, view):]
                if h is not None:
                    hashed = HASHED.pack(size, os.fstat(fd).st_mtime_ns) + h.digest()
            finally:
                os.close(fd)
        if self.usage is not None:
            with self.lock:
                self.usage.add(out.path, size)
                if hashed is not None:
                    self.usage.hashes[out.path] = hashed  # type: ignore[index]


SEARCH_VIEW = ".search-view"  # inside the staging tree; no output path starts with a dot-directory
SEARCH_INDEX = ".search-index"


def apply_changes(
    site: Path, changed: Iterable[Output], deleted: Iterable[str], index: Callable[[Path, Path], None] | None = None,
    check: Callable[[Usage], None] | None = None, before: Usage | None = None,
    seal: Callable[[Path, Path | None, list[str], list[str]], Output | None] | None = None,
) -> int:
    """Update an existing site in place, crash-safely: stage the changed files, write a journal
    naming them, then move them in. A build killed while moving leaves the journal, and the next
    build's `recover` finishes the move before it does anything else.

    `index(view, dest)`, when given, builds the search index of the updated site into `dest`
    from `view` (hard links of the site as it will be) before the journal is written; the roll
    forward then moves it in with the pages, so site/ never pairs new pages with an old index.
    `seal(site, staging, changed, deleted)` gives one more file made from all the others (the
    manifest) or None. `check(usage)` is given the site as the update will leave it (SPEC §8's budget; `before`:
    site/'s usage now, when known) before the journal is written; when it raises, site/ is untouched.
    """
    recover(site)
    staging = site.parent / f"{site.name}.tmp-{os.getpid()}"
    staging.mkdir(parents=True)
    try:
        changed = list(changed)
        deleted = sorted(deleted)
        count = _fill(staging, changed)
        if index is not None:
            view = staging / SEARCH_VIEW
            _link_view(site, staging, view, {o.path for o in changed}, set(deleted))
            index(view, staging / SEARCH_INDEX)
            shutil.rmtree(view)
        sealed = seal(site, staging, [o.path for o in changed], deleted) if seal is not None else None
        if sealed is not None:  # the site manifest (attest.sealer), moved in with the rest; not counted
            _fill(staging, [sealed])
            changed.append(sealed)
        if check is not None:
            fresh_index = staging / SEARCH_INDEX
            check(measure_update(site, staging, [o.path for o in changed], deleted, fresh_index if fresh_index.is_dir() else None, before))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    journal = journal_path(site)
    tmp = journal.with_name(journal.name + f".tmp-{os.getpid()}")
    plan = {"staging": staging.name, "paths": [o.path for o in changed], "deleted": deleted, "index": SEARCH_INDEX if index else None,
            "added": [o.path for o in changed if not (site / o.path).exists()]}  # what a roll back removes
    try:
        tmp.write_text(json.dumps(plan))
        os.replace(tmp, journal)  # from here on the update is committed: recover() finishes it
    except OSError as e:
        e.filename = e.filename or str(tmp)
        tmp.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finish_update(site, journal)
    return count


def _link_view(site: Path, staging: Path, view: Path, changed: set[str], deleted: set[str]) -> None:
    """The site as the update will leave it, as hard links (copies where linking fails); pagefind/ left out."""

    def put(src: Path, rel: str) -> None:
        target = view / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, target)
        except OSError:
            shutil.copyfile(src, target)

    for root, dirs, files in os.walk(site):
        rel_dir = os.path.relpath(root, site)
        if rel_dir == ".":
            dirs[:] = [d for d in dirs if d != "pagefind"]
        for name in files:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
            if rel not in changed and rel not in deleted:
                put(Path(root) / name, rel)
    for rel in changed:
        put(staging / rel, rel)


BACKUP = ".backup"  # inside the staging tree: the files an update replaced or deleted, until it is whole


def finish_update(site: Path, journal: Path) -> None:
    """Finish a committed update: forward, or back when a step cannot be done (a read-only
    file, a full disk), so site/ is the old or the new tree, never a mix (issue 15). Raises
    the OSError that stopped it; a journal still there means the next build finishes it."""
    if json.loads(journal.read_text()).get("direction") == "back":
        _roll_back(site, journal)
        return
    try:
        _roll_forward(site, journal)
    except OSError:
        try:
            _mark_back(journal)
            _roll_back(site, journal)
        except OSError:
            pass  # the journal stays: the next build finishes the update before anything else
        raise


def _mark_back(journal: Path) -> None:
    """Turn the journal around before undoing anything: a kill while rolling back is rolled back."""
    tmp = journal.with_name(journal.name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps({**json.loads(journal.read_text()), "direction": "back"}))
    os.replace(tmp, journal)


def _keep_old(target: Path, backup: Path) -> None:
    """Keep the file an update is about to replace or delete (a hard link: no bytes copied)."""
    if backup.exists() or not target.exists():
        return
    backup.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)


def _roll_forward(site: Path, journal: Path) -> None:
    """Move the staged files in; every step can be repeated, so a kill here is repaired the same way."""
    data = json.loads(journal.read_text())
    staging = site.parent / data["staging"]
    backup = staging / BACKUP
    made: set[str] = set()
    for rel in data["paths"]:
        src = staging / rel
        if not src.exists():
            continue  # moved before the interruption
        target = site / rel
        parent = str(target.parent)
        if parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        _keep_old(target, backup / rel)
        os.replace(src, target)
    for rel in data["deleted"]:
        target = site / rel
        _keep_old(target, backup / rel)
        try:
            target.unlink()
        except FileNotFoundError:
            pass
        _prune(target.parent, site)
    if data.get("index"):
        fresh, current, parked = staging / data["index"], site / "pagefind", staging / (data["index"] + "-old")
        if fresh.is_dir():
            if current.exists():
                if parked.exists():
                    shutil.rmtree(current)
                else:
                    os.rename(current, parked)
            elif not parked.exists():
                (staging / (data["index"] + "-none")).touch()  # for _roll_back: there was no index before
            os.rename(fresh, current)
    os.unlink(journal)
    shutil.rmtree(staging, ignore_errors=True)


def _roll_back(site: Path, journal: Path) -> None:
    """Put back every file an update replaced, deleted or added: site/ is the old tree again.
    Every step is tried and can be repeated; when one fails the journal stays (and the first
    error is raised), so the next build goes on rolling back before anything else."""
    data = json.loads(journal.read_text())
    staging = site.parent / data["staging"]
    backup = staging / BACKUP
    added = set(data.get("added", ()))
    failed: list[OSError] = []

    def step(fn: Callable[[], object]) -> None:
        try:
            fn()
        except OSError as e:
            failed.append(e)

    if data.get("index"):
        fresh, current, parked = staging / data["index"], site / "pagefind", staging / (data["index"] + "-old")
        if not fresh.exists() and current.exists() and (parked.is_dir() or (staging / (data["index"] + "-none")).exists()):
            step(lambda: os.rename(current, fresh))  # the new index was moved in: take it out
        if parked.is_dir() and not current.exists():
            step(lambda: os.rename(parked, current))
    for rel in data["deleted"]:
        kept, target = backup / rel, site / rel
        if kept.exists():
            step(lambda: target.parent.mkdir(parents=True, exist_ok=True))
            step(lambda: os.replace(kept, target))
    for rel in reversed(data["paths"]):
        src, kept, target = staging / rel, backup / rel, site / rel
        if src.exists():
            continue  # never moved in
        if kept.exists():
            step(lambda: os.replace(kept, target))
        elif rel in added and target.exists():
            step(target.unlink)  # a file the update added
            step(lambda: _prune(target.parent, site))
    if failed:
        raise failed[0]
    os.unlink(journal)
    shutil.rmtree(staging, ignore_errors=True)


def _prune(parent: Path, site: Path) -> None:
    while parent != site and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def swap_in(staging: Path, site: Path) -> None:
    """Make the staging tree site/; when that fails, site/ is left as it was (the caller drops staging)."""
    if site.exists() and exchange(staging, site):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the previous tree; recover() drops what is left
        return
    if site.exists():
        old = site.parent / f"{site.name}.old-{os.getpid()}"
        os.rename(site, old)
        try:
            os.rename(staging, site)
        except OSError:
            os.rename(old, site)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, site)
