"""The build cache beside site/ (`.srchgen-cache/`): safe to delete, never trusted when stale.

Three files. `noop` holds a fingerprint of every input (stat of records, artifacts,
templates, assets, config, options, srchgen's version) taken after the last successful
build, plus the messages it printed: when nothing changed, `srchgen build` replays them and
stops before importing anything heavy. `state` holds, per record, the file's stat, the
artifact stats, the problems, the frozen Summary and the spans of its texts (STAT ...
UPDATED), plus the build log (buildlog.BuildLog: the key of every page, the digest of every
output file), the registry key (buildlog.registry_key) and the listing order, related links
and cross-record problems (incremental.edit_in_place); a rebuild reprocesses only records
whose bytes changed and rewrites only outputs whose bytes changed. It is written in chunks
(_write_chunked). `texts-*` holds every record's feed item, records.json element and Atom
entry (textfiles.TextBlob), read by span, so no build holds them all in memory. All are
keyed on srchgen's version, the dependency versions, the config and the templates; any
mismatch and the cache is ignored. marshal is used because it is fast and builds no objects
but plain values (it runs no code). A build also spools its record pages into an unnamed
file here (textfiles.Spool) until every record is known, and takes the build lock here
(lock.build_lock).

This module imports only the standard library: the no-op path must stay cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import marshal
import operator
import os
import re
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from srchgen import __version__
from srchgen.load import git_log

if TYPE_CHECKING:
    from srchgen.build.textfiles import TextBlob

FORMAT = 10
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
    pkg = Path(__file__).resolve().parent.parent  # srchgen/, this file being srchgen/build/cache.py
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
    for folder in (root / "templates", root / "assets", theme / "templates", theme / "assets", Path(__file__).parent.parent):
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
    root = Path(__file__).parent.parent  # srchgen/
    for p in sorted(root.rglob("*.py")):  # every subpackage too
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def dependency_versions() -> str:
    """name=version of each dependency whose output a build depends on ("-" when missing).

    Read from the names of the installed `<name>-<version>.dist-info` folders, one listing per
    folder of sys.path, the first found winning as for imports: importlib.metadata's lookups
    took 7-19 ms of every build here. A dependency installed another way (an .egg-info, say)
    is asked of importlib.metadata."""
    wanted = {_dist_name(n): n for n in _DEPENDENCIES}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
                key = _dist_name(name)
                if key in wanted and key not in found and version:
                    found[key] = version
    out = []
    for key, name in wanted.items():
        version = found.get(key) or _metadata_version(name)
        out.append(f"{name}={version}")
    return ",".join(out)


def _dist_name(name: str) -> str:
    """A distribution's name as dist-info folders and PEP 503 compare it (PyYAML ~ pyyaml, pagefind-bin ~ pagefind_bin)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


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


LOCK = "lock"  # the build lock's file in the cache folder (lock.build_lock)
