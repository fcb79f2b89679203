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

FORMAT = 3
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


def fingerprint(root: Path, records: Path, out: Path, options: Iterable[str]) -> str:
    """Everything a build's output and messages depend on, by stat: cheap enough for every run."""
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{__version__}\0{sys.executable}\0{os.path.abspath(root)}\0{os.path.abspath(records)}\0{os.path.abspath(out)}\n".encode())
    h.update("\0".join(options).encode() + b"\n")
    h.update(os.environ.get("GITHUB_ACTIONS", "").encode() + b"\n")
    try:
        h.update((root / "pyproject.toml").read_bytes())
    except OSError:
        h.update(b"-no-pyproject-")
    theme = theme_root()
    for folder in (records, root / "templates", root / "assets", theme / "templates", theme / "assets"):
        _walk_stats(folder, h)
    return h.hexdigest()


def _read(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            return marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return None


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        marshal.dump(value, f)
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


def dependency_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in _DEPENDENCIES:
        try:
            out.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}=-")
    return ",".join(out)


def load_state(out: Path, env: str) -> dict[str, Any]:
    """The per-record and per-output state of the last build, when it was made with the same env key."""
    data = _read(cache_dir(out) / "state")
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("env") != env:
        return {}
    return data


def save_state(out: Path, state: dict[str, Any]) -> None:
    _write(cache_dir(out) / "state", {**state, "format": FORMAT})


def site_identity(out: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(out)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
