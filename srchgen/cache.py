"""The build cache beside site/ (`.srchgen-cache/`): safe to delete, never trusted when stale.

Three files. `noop` holds a fingerprint of every input (stat of records, artifacts,
templates, assets, config, options, srchgen's version) taken after the last successful
build, plus the messages it printed: when nothing changed, `srchgen build` replays them and
stops before importing anything heavy. `state` holds, per record, the file's stat, the
artifact stats, the problems, the frozen Summary and the spans of its texts (STAT ...
UPDATED), plus the key of every page, the digest of every output file, the registry key
(build.registry_key) and the listing order, related links and cross-record problems
(build.edit_in_place); a rebuild reprocesses only records whose bytes changed and rewrites
only outputs whose bytes changed. It is written in chunks (_write_chunked). `texts-*` holds
every record's feed item, records.json element and Atom entry (TextBlob), read by span, so
no build holds them all in memory. All are keyed on srchgen's version, the dependency
versions, the config and the templates; any mismatch and the cache is ignored. marshal is
used because it is fast and builds no objects but plain values (it runs no code). A build
also spools its record pages into an unnamed file here (Spool) until every record is known.

This module imports only the standard library: the no-op path must stay cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import marshal
import operator
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from srchgen import __version__, git_log

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: builds are not serialized there
    fcntl = None  # type: ignore[assignment]

FORMAT = 9
DIR = ".srchgen-cache"
_DEPENDENCIES = ("cmarkgfm", "nh3", "jinja2", "markupsafe", "pydantic", "pyyaml", "pagefind-bin")


def cache_dir(out: Path) -> Path:
    return out.parent / DIR


Stats = dict[str, tuple[int, int, int]]


def _walk_stats(root: Path, h: "hashlib._Hash", keep: Stats | None = None) -> None:
    """Names, sizes, mtimes and inodes of every file below root, in sorted order; into `keep`
    too (path relative to root -> size, mtime, inode), so the build need not stat them again."""
    if not root.is_dir():
        h.update(b"-missing-" + os.fsencode(root))
        return
    cut = len(os.path.join(str(root), ""))
    lines: list[str] = []  # hashed at once: one update per folder, not per file
    stack = [str(root)]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=_name)
        except OSError:
            continue
        for e in entries:
            if e.name == "__pycache__":
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            lines.append(f"{e.path}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{file_id(st)}\n")
            if keep is not None:
                keep[e.path[cut:]] = (st.st_size, st.st_mtime_ns, file_id(st))
            if stat.S_ISDIR(st.st_mode):
                stack.append(e.path)
    h.update("".join(lines).encode("utf-8", "surrogateescape"))


_name = operator.attrgetter("name")


def file_id(st: os.stat_result) -> int:
    """A file's inode, negated while it has other hard links: an artifact linked (or unlinked)
    elsewhere after a build is checked again, since hard-linked artifacts are refused (issue 15)."""
    return -st.st_ino if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode) else st.st_ino


def theme_root() -> Path:
    pkg = Path(__file__).resolve().parent
    return pkg / "_theme" if (pkg / "_theme").is_dir() else pkg.parent


def _signers_bytes(root: Path, pyproject: bytes) -> bytes:
    """The gate_signers file's bytes: revoking a key must fail the next build, not replay the last (SPEC §2)."""
    if b"gate_signers" not in pyproject:
        return b""
    import tomllib

    try:
        name = tomllib.loads(pyproject.decode("utf-8")).get("tool", {}).get("srchgen", {}).get("gate_signers")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        return b"-bad-pyproject-"
    if not isinstance(name, str):
        return b""
    try:
        return b"signers\0" + (root / name).read_bytes()
    except OSError:
        return b"-missing-signers-"


def fingerprint(root: Path, records: Path, out: Path, options: Iterable[str], keep: Stats | None = None) -> str:
    """Everything a build's output and messages depend on, by stat: cheap enough for every run.
    `keep` receives the stats of everything under `records` (see _walk_stats)."""
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{__version__}\0{sys.executable}\0{os.path.abspath(root)}\0{os.path.abspath(records)}\0{os.path.abspath(out)}\n".encode())
    h.update("\0".join(options).encode() + b"\n")
    h.update(os.environ.get("GITHUB_ACTIONS", "").encode() + b"\n")
    for folder in sys.path:  # installing or upgrading a dependency changes its site-packages folder
        if folder.endswith("-packages"):
            try:
                h.update(f"{folder}\0{os.stat(folder).st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
            except OSError:
                pass
    try:
        pyproject = (root / "pyproject.toml").read_bytes()
        h.update(pyproject)
        h.update(_signers_bytes(root, pyproject))
    except OSError:
        h.update(b"-no-pyproject-")
    h.update(git_log.head_state(records) + b"\n")  # a commit changes every record's History section
    theme = theme_root()
    _walk_stats(records, h, keep)
    for folder in (root / "templates", root / "assets", theme / "templates", theme / "assets", Path(__file__).parent):
        _walk_stats(folder, h)
    return h.hexdigest()


def _read(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            return marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with _replacing(tmp, path):
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(value))


@contextlib.contextmanager
def _replacing(tmp: Path, path: Path) -> Iterator[None]:
    """Write `tmp`, then rename it to `path`; when that fails (a full disk, a read-only folder)
    the half-written tmp is removed and the error names `path` (issue 15)."""
    try:
        yield
        os.replace(tmp, path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        if e.filename is None or e.filename2 is not None or str(e.filename) == str(tmp):
            e.filename, e.filename2 = str(path), None
        raise


def noop_messages(out: Path, fp: str) -> list[str] | None:
    """The messages of the last build when its fingerprint is `fp` and site/ is the tree it wrote, else None."""
    data = _read(cache_dir(out) / "noop")
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("fingerprint") != fp:
        return None
    if data.get("site") != site_identity(out):
        return None
    messages = data.get("messages")
    return list(messages) if isinstance(messages, list) else None


def save_noop(out: Path, fp: str, messages: list[str], site: tuple[Any, ...] | None) -> None:
    _write(cache_dir(out) / "noop", {"format": FORMAT, "fingerprint": fp, "messages": messages, "site": site})


def forget_noop(out: Path) -> None:
    """Drop the no-op record before a build; a cache that cannot forget it fails the build (it must not vouch)."""
    try:
        os.unlink(cache_dir(out) / "noop")
    except FileNotFoundError:
        pass


def code_digest() -> str:
    """srchgen's own source: a development checkout changes it without changing the version."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for p in sorted(root.rglob("*.py")):  # srchgen/gate/ too
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def dependency_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in _DEPENDENCIES:
        try:
            out.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}=-")
    return ",".join(out)


_BIG = ("records", "pages", "files")  # one entry per record or output: saved in chunks
_CHUNK = 4096


def _write_chunked(path: Path, value: dict[str, Any]) -> None:
    """`value` as length-prefixed marshal chunks: its small entries, then its big dicts a few
    thousand items at a time, then None (a whole file ends with it). The 100,000-record state
    is ~150 MB as one marshal string; in chunks no build holds more than a few MB of it."""
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with _replacing(tmp, path), open(tmp, "wb") as f:

        def put(v: Any) -> None:
            data = marshal.dumps(v)
            f.write(len(data).to_bytes(8, "little"))
            f.write(data)

        put({k: v for k, v in value.items() if k not in _BIG})
        for key in _BIG:
            items = iter(value.get(key, {}).items())
            while chunk := dict(itertools.islice(items, _CHUNK)):
                if key == "records":  # frozen Summaries as bytes, made a chunk at a time (see thaw)
                    chunk = {name: _frozen_as_bytes(row) for name, row in chunk.items()}
                put((key, chunk))
        put(None)


def _read_chunked(path: Path) -> dict[str, Any] | None:
    """What _write_chunked wrote; None when the file is missing, cut short or not such a file."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size

            def get() -> Any:
                n = int.from_bytes(f.read(8), "little")
                if n > size - f.tell():  # a damaged length: never allocate it
                    raise EOFError
                data = f.read(n)
                if len(data) != n or n == 0:
                    raise EOFError
                return marshal.loads(data)

            head = get()
            if not isinstance(head, dict):
                return None
            big: dict[str, dict[Any, Any]] = {key: {} for key in _BIG}
            while (chunk := get()) is not None:
                key, items = chunk
                big[key].update(items)
            return {**head, **big}
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None


def load_state(out: Path, env: str, texts: bool = True) -> dict[str, Any]:
    """The per-record and per-output state of the last build, when it was made with the same env key.

    Records' big texts (feed item, records.json element, Atom entry) live in one file beside
    it (`TextBlob`), read span by span when needed. With `texts` (a build, which reads them),
    the state is ignored unless that file is there and reaches its last span; `check` reads
    no text and passes False."""
    data = _read_chunked(cache_dir(out) / "state")
    if data is None or data.get("format") != FORMAT or data.get("env") != env:
        return {}
    if texts:
        try:
            size = os.stat(cache_dir(out) / str(data.get("texts_file"))).st_size
        except OSError:
            return {}
        rows = data.get("records")
        ends = [row[4][-1][1] for row in rows.values() if row[4]] if isinstance(rows, dict) else []
        if max(ends, default=0) > size:  # cut short: its spans would read other bytes
            return {}
    return data


Span = tuple[int, int]

# A record's row in the state: its file's stat, its artifacts' stats, its problems, its frozen
# Summary as marshal bytes (decoded only for the records a build looks at), the spans of its
# three texts, their content key and its `updated` day (what the feeds need of every record).
STAT, ARTS, PROBLEMS, FROZEN, SPANS, CONTENT, UPDATED = range(7)


def _frozen_as_bytes(row: tuple[Any, ...]) -> tuple[Any, ...]:
    frozen = row[FROZEN]
    return row if isinstance(frozen, bytes) else (*row[:FROZEN], marshal.dumps(frozen), *row[FROZEN + 1 :])


def thaw(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """A row's frozen Summary: a tuple in a row this build made, marshal bytes in a row it read
    (None when they are not a marshalled tuple)."""
    if isinstance(row[FROZEN], tuple):
        return row[FROZEN]  # type: ignore[no-any-return]
    try:
        t = marshal.loads(row[FROZEN])
    except (EOFError, ValueError, TypeError):
        return None
    return t if isinstance(t, tuple) else None


class TextFile:
    """One file of texts, read by span (pread: nothing is held in memory; a read-only map of it
    was tried and measured: its pages count in the process's RSS, +80 MB at 10,000 records)."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def read(self, span: Span) -> bytes:
        a, b = span
        data = os.pread(self.fd, b - a, a)
        if len(data) != b - a:
            raise OSError(f"{self.path}: text span {a}-{b} is past the end of the file")
        return data

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Spool:
    """Bytes made now and written later (a clean build's record pages and files, made as each
    record is processed): an unnamed file in the cache folder, gone when closed or when the
    process dies, read back by span with pread, so the bytes do not count in the build's memory."""

    def __init__(self, out: Path):
        self.folder = cache_dir(out)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.file = tempfile.TemporaryFile(dir=self.folder)
        except OSError as e:
            e.filename, e.filename2 = str(self.folder), None  # not the random name it tried
            raise
        self.size = 0

    def add(self, data: bytes) -> Span:
        view, start = memoryview(data), self.size
        try:
            while view:
                view = view[os.write(self.file.fileno(), view) :]
        except OSError as e:  # a full disk: os.write names no file
            e.filename = str(self.folder)
            raise
        self.size += len(data)
        return (start, self.size)

    def read(self, span: Span) -> bytes:
        a, b = span
        data = os.pread(self.file.fileno(), b - a, a)
        if len(data) != b - a:
            raise OSError(f"spool span {a}-{b} is past the end of the file")
        return data

    def close(self) -> None:
        self.file.close()


class TextBlob:
    """Records' big texts in one append-only file, written as the build makes them (so no
    build holds every record's texts in memory): unchanged records keep their spans, new
    texts are appended. A span is live once the state naming it is saved, so appending to
    the file the last state names is safe at any moment. The file is rewritten when more
    than half of it is dead. A worker process writes its own file, merged in at `save`."""

    def __init__(self, out: Path, state: dict[str, Any]):
        self.dir = cache_dir(out)
        self.dir.mkdir(parents=True, exist_ok=True)
        old = state.get("texts_file")
        self.name = old if isinstance(old, str) and (self.dir / old).is_file() else f"texts-{os.urandom(8).hex()}"
        path = self.dir / self.name
        self.main = TextFile(path, os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o644))
        self.size = os.fstat(self.main.fd).st_size
        self.others: dict[str, TextFile] = {}

    def add(self, texts: tuple[bytes, ...]) -> tuple[Span, ...]:
        """Append texts; their spans in the main file."""
        spans = []
        for t in texts:
            spans.append((self.size, self.size + len(t)))
            view = memoryview(t)
            try:
                while view:
                    view = view[os.write(self.main.fd, view) :]
            except OSError as e:  # a full disk: os.write names no file
                e.filename = str(self.main.path)
                raise
            self.size += len(t)
        return tuple(spans)

    def adopt(self, name: str) -> TextFile:
        """A worker process's text file (in the cache folder), readable now, merged at `save`."""
        if name not in self.others:
            path = self.dir / name
            self.others[name] = TextFile(path, os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)))
        return self.others[name]

    def close(self) -> None:
        """Release the files (idempotent); what was appended stays dead until a state names it."""
        for f in [self.main, *self.others.values()]:
            f.close()
        self.others = {}

    def save(self, rows: dict[str, tuple[Any, ...]], where: dict[str, str | None]) -> str:
        """Make every row's spans (row[4]) point into one file; returns its name. `where` names the
        adopted file a row's spans are in (None: the main file). Rows are re-spanned as needed."""
        for name, row in rows.items():
            if where.get(name) is None:
                continue
            other = self.others[where[name]]  # type: ignore[index]
            rows[name] = (*row[:4], self.add(tuple(other.read(span) for span in row[4])), *row[5:])
        live = sum(b - a for row in rows.values() for a, b in row[4])
        if live * 2 < self.size:
            self._compact(rows)
        for f in self.others.values():
            f.path.unlink(missing_ok=True)
        return self.name

    def _compact(self, rows: dict[str, tuple[Any, ...]]) -> None:
        name = f"texts-{os.urandom(8).hex()}"  # a new name: the old state never points at a half-written file
        offset = 0
        path = self.dir / name
        try:
            with open(path, "wb", buffering=1 << 20) as f:
                for key, row in rows.items():
                    spans = []
                    for span in row[4]:
                        f.write(self.main.read(span))
                        spans.append((offset, offset + span[1] - span[0]))
                        offset += span[1] - span[0]
                    rows[key] = (*row[:4], tuple(spans), *row[5:])
        except OSError as e:  # the build fails; its rows are not saved
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
            e.filename, e.filename2 = str(path), None
            raise
        self.name = name


class WorkerTexts(TextBlob):
    """The text file a worker process writes (always a new one); the parent adopts it by name."""

    def __init__(self, out: Path):
        super().__init__(out, {})


def save_state(out: Path, state: dict[str, Any], blob: TextBlob, where: dict[str, str | None]) -> None:
    d = cache_dir(out)
    name = blob.save(state["records"], where)
    _write_chunked(d / "state", {**state, "format": FORMAT, "texts_file": name})
    for old in d.glob("texts-*"):
        if old.name != name:
            old.unlink(missing_ok=True)


def forget_state(out: Path) -> None:
    """Drop the state before site/ is changed in place; it is saved again once the update is whole."""
    try:
        os.unlink(cache_dir(out) / "state")
    except FileNotFoundError:
        pass  # any other failure stops the build before site/ is touched


def site_identity(out: Path) -> tuple[Any, ...] | None:
    """What is on disk at site/, cheaply: the folder, and every top-level entry's name, inode,
    size and mtime (a folder's mtime changes when an entry is added or removed in it). The
    cache vouches for a site only while this is what the build that saved it left (issue 15:
    a site gutted behind the cache's back is rebuilt, not called up to date)."""
    try:
        st = os.stat(out)
        with os.scandir(out) as it:
            entries = sorted(it, key=_name)
            listing = [(e.name, *_ident(e.stat(follow_symlinks=False))) for e in entries]
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, hashlib.sha256(repr(listing).encode("utf-8", "surrogateescape")).hexdigest())


def _ident(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


# --------------------------------------------------------------------------- one build at a time (issue 15)

LOCK = "lock"


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
