"""The build cache beside site/ (`.srchgen-cache/`): safe to delete, never trusted when stale.

Two files. `noop` holds a fingerprint of every input (stat of records, artifacts,
templates, assets, config, options, srchgen's version) taken after the last successful
build, plus the messages it printed: when nothing changed, `srchgen build` replays them and
stops before importing anything heavy. `state` holds, per record, the content digest, the
artifact stats, the problems and the Summary, plus the digest of every output file; a
rebuild reprocesses only records whose bytes changed and rewrites only outputs whose bytes
changed. Both are keyed on srchgen's version, the dependency versions, the config and the
templates; any mismatch and the cache is ignored. marshal is used because it is fast and
builds no objects but plain values (it runs no code).

This module imports only the standard library: the no-op path must stay cheap.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any, Iterable

from srchgen import __version__

FORMAT = 5
DIR = ".srchgen-cache"
_DEPENDENCIES = ("cmarkgfm", "nh3", "jinja2", "markupsafe", "pydantic", "pyyaml", "pagefind-bin")


def cache_dir(out: Path) -> Path:
    return out.parent / DIR


def _walk_stats(root: Path, h: "hashlib._Hash") -> None:
    """Names, sizes, mtimes and inodes of every file below root, in sorted order."""
    if not root.is_dir():
        h.update(b"-missing-" + os.fsencode(root))
        return
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.name == "__pycache__":
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            h.update(f"{e.path}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode("utf-8", "surrogateescape"))
            if e.is_dir(follow_symlinks=False):
                stack.append(Path(e.path))


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


def fingerprint(root: Path, records: Path, out: Path, options: Iterable[str]) -> str:
    """Everything a build's output and messages depend on, by stat: cheap enough for every run."""
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{__version__}\0{sys.executable}\0{os.path.abspath(root)}\0{os.path.abspath(records)}\0{os.path.abspath(out)}\n".encode())
    h.update("\0".join(options).encode() + b"\n")
    h.update(os.environ.get("GITHUB_ACTIONS", "").encode() + b"\n")
    try:
        pyproject = (root / "pyproject.toml").read_bytes()
        h.update(pyproject)
        h.update(_signers_bytes(root, pyproject))
    except OSError:
        h.update(b"-no-pyproject-")
    theme = theme_root()
    for folder in (records, root / "templates", root / "assets", theme / "templates", theme / "assets", Path(__file__).parent):
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
    with open(tmp, "wb") as f:
        f.write(marshal.dumps(value))
    os.replace(tmp, path)


def noop_messages(out: Path, fp: str) -> list[str] | None:
    """The messages of the last build when its fingerprint is `fp` and site/ is the tree it wrote, else None."""
    data = _read(cache_dir(out) / "noop")
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("fingerprint") != fp:
        return None
    if data.get("site") != site_identity(out):
        return None
    messages = data.get("messages")
    return list(messages) if isinstance(messages, list) else None


def save_noop(out: Path, fp: str, messages: list[str], site: tuple[int, int] | None) -> None:
    _write(cache_dir(out) / "noop", {"format": FORMAT, "fingerprint": fp, "messages": messages, "site": site})


def forget_noop(out: Path) -> None:
    try:
        os.unlink(cache_dir(out) / "noop")
    except OSError:
        pass


def code_digest() -> str:
    """srchgen's own source: a development checkout changes it without changing the version."""
    h = hashlib.sha256()
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
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


def load_state(out: Path, env: str, texts: bool = True) -> dict[str, Any]:
    """The per-record and per-output state of the last build, when it was made with the same env key.

    Records' big texts (feed item, records.json element, Atom entry) live in one blob beside
    it, read as bytes and sliced, so loading costs no object per text (`texts=False`: not read)."""
    data = _read(cache_dir(out) / "state")
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("env") != env:
        return {}
    if not texts:
        return data
    name = data.get("texts_file")
    try:
        texts = (cache_dir(out) / str(name)).read_bytes()
    except OSError:
        return {}
    data["texts"] = texts
    return data


class TextBlob:
    """Records' big texts in one append-only file: unchanged records keep their spans, changed
    ones are appended; the file is rewritten only when more than half of it is dead."""

    def __init__(self, out: Path, state: dict[str, Any]):
        self.dir = cache_dir(out)
        self.old: bytes = state.get("texts", b"")
        self.name: str | None = state.get("texts_file") if self.old else None
        self.kept: list[tuple[int, int]] = []
        self.new: list[bytes] = []
        self.new_at: dict[int, bytes] = {}  # start offset -> text, for the texts added by this build
        self.new_size = 0
        self.live = 0

    def keep(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        for a, b in row[4]:
            self.live += b - a
        self.kept.append(row)  # type: ignore[arg-type]
        return row

    def add(self, texts: tuple[bytes, ...]) -> tuple[tuple[int, int], ...]:
        spans = []
        for t in texts:
            start = len(self.old) + self.new_size
            self.new.append(t)
            self.new_at[start] = t
            self.new_size += len(t)
            self.live += len(t)
            spans.append((start, start + len(t)))
        return tuple(spans)

    def save(self, rows: dict[str, tuple[Any, ...]]) -> str:
        """Write the blob; returns its file name. Rows are re-spanned when the blob is compacted."""
        self.dir.mkdir(parents=True, exist_ok=True)
        total = len(self.old) + self.new_size
        if self.name is not None and self.live * 2 >= total:
            with open(self.dir / self.name, "ab") as f:  # the state written next is what makes the new spans live
                f.writelines(self.new)
            return self.name
        old, base = memoryview(self.old), len(self.old)
        self.name = f"texts-{os.urandom(8).hex()}"  # a new name: the old state never points at a half-written blob
        offset = 0
        # written piece by piece (buffered): joining them first would hold a second copy of every text
        with open(self.dir / self.name, "wb", buffering=1 << 20) as f:
            for name, row in rows.items():
                spans = []
                for a, b in row[4]:
                    if b > a:  # an empty text shares its start with the next one
                        f.write(old[a:b] if a < base else self.new_at[a])
                    spans.append((offset, offset + (b - a)))
                    offset += b - a
                rows[name] = (*row[:4], tuple(spans))
        return self.name


def save_state(out: Path, state: dict[str, Any], blob: TextBlob) -> None:
    d = cache_dir(out)
    name = blob.save(state["records"])
    _write(d / "state", {**state, "format": FORMAT, "texts_file": name})
    for old in d.glob("texts-*"):
        if old.name != name:
            old.unlink(missing_ok=True)


def forget_state(out: Path) -> None:
    """Drop the state before site/ is changed in place; it is saved again once the update is whole."""
    try:
        os.unlink(cache_dir(out) / "state")
    except OSError:
        pass


def site_identity(out: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(out)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
