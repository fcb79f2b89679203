"""The site manifest (issue 25, item 3): every published file's path, size and SHA-256, with what
the site was built from, in one deterministic file at a fixed path, `manifest.json.gz`.

    {"format": "srchgen-site-manifest-v1", "srchgen": VERSION,
     "source": {"commit": SHA | null, "dirty": BOOL | null},
     "lock": {"path": "requirements.lock", "sha256": HEX} | null, "dependencies": "jinja2=3.1.6,...",
     "excluded": ["pagefind/"], "files": [[PATH, SIZE, SHA256], ...]}   (sorted by path)

Why this shape: JSON, because readers already parse the data export (records.json.gz) and
`srchgen verify --site` needs no other parser; gzip (level 9, mtime 0: the same bytes every
build), because the hashes dominate and hex halves under deflate; one file at the root, so its
URL is known from the site's address alone. Pagefind's index (`pagefind/`) is left out: Pagefind
does not write it byte for byte the same (tests/test_determinism.py compares it up to order), so
a manifest over it could never be reproduced, and the search index is not a claim the registry
makes. The manifest itself is not listed (it cannot hold its own hash); it is counted in the
build's size line and budget like any other file.

Re-hashing a 100,000-record site on every build would cost more than an edited record's whole
rebuild, so the hashes of the last manifest are reused for files whose size and mtime (ns) are
unchanged, kept in the build cache (`manifest-hashes.tsv`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
from pathlib import Path
from typing import IO, Any, Callable, Iterable

from srchgen import __version__
from srchgen.build import cache
from srchgen.build.budget import HASHED
from srchgen.render import routes
from srchgen.render.render import Output

MANIFEST = routes.SITE_MANIFEST
FORMAT = "srchgen-site-manifest-v1"
EXCLUDED = ("pagefind/",)
LOCK = "requirements.lock"
_INPUTS = ("records", "pyproject.toml", "templates", "assets")  # what a build reads from the registry
_HASHES = "manifest-hashes.tsv"


def _git(root: Path, *args: str) -> str | None:
    try:
        p = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.decode("utf-8", "replace") if p.returncode == 0 else None


def source_facts(root: Path) -> dict[str, Any]:
    """What the site was built from: the commit (when the registry is in git) and whether its
    inputs differ from it, srchgen's version, the lock file's hash, the dependencies' versions."""
    commit = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    dirty = None
    if commit is not None:
        inputs = [p for p in _INPUTS if (root / p).exists()]
        status = _git(root, "status", "--porcelain", "--", *inputs) if inputs else ""
        dirty = None if status is None else bool(status.strip())
    lock = root / LOCK
    return {
        "format": FORMAT,
        "srchgen": __version__,
        "source": {"commit": commit.strip() if commit else None, "dirty": dirty},
        "lock": {"path": LOCK, "sha256": hashlib.sha256(lock.read_bytes()).hexdigest()} if lock.is_file() else None,
        "dependencies": cache.dependency_versions(),
        "excluded": list(EXCLUDED),
    }


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def site_files(site: Path, staging: Path | None = None, changed: Iterable[str] = (), deleted: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every file the manifest lists, sorted by path: (path in the site, file on disk).
    With `staging`: the site as an in-place update will leave it (write.apply_changes), the
    `changed` files taken from the staging tree, the `deleted` ones left out."""
    replaced = set(changed) | set(deleted)
    out: list[tuple[str, str]] = []
    stack = [("", str(site))]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                path = rel + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if path + "/" not in EXCLUDED:
                        stack.append((path + "/", entry.path))
                elif path != MANIFEST and path not in replaced:
                    out.append((path, entry.path))
    if staging is not None:
        out += [(p, os.path.join(staging, p)) for p in set(changed) if p != MANIFEST and not p.startswith(EXCLUDED)]
    out.sort()
    return out


_dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode  # made once: json.dumps makes one a call


def manifest_bytes(
    files: list[tuple[str, str]], facts: dict[str, Any], known: dict[str, tuple[int, int, str]] | None = None, seen: IO[str] | None = None,
    written: dict[str, bytes] | None = None,
) -> bytes:
    """The gzip-compressed manifest of `files` (site_files): the JSON of `facts` plus "files",
    keys sorted, written row by row into the compressor (at the end of a clean build, when the
    process is at its largest, it holds no list of rows). gzip level 6: at 10,000 records
    1.055 MB in 0.05 s, where level 9 took 0.10 s for 1.044 MB. Each file's `size mtime_ns sha256`
    goes to `seen`, tab-separated, for the next build to reuse (`known`). `written`: the files
    this build's writer just wrote and hashed (budget.Usage.hashes), taken as they are."""
    known = known or {}
    written = written or {}
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6, mtime=0) as z:
        keys = sorted([*facts, "files"])
        z.write(b"{")
        for i, key in enumerate(keys):
            z.write(("," if i else "") .encode() + _dumps(key).encode() + b":")
            if key != "files":
                z.write(_dumps(facts[key]).encode("utf-8"))
                continue
            z.write(b"[")
            rows: list[str] = []  # written a thousand at a time
            for n, (path, real) in enumerate(files):
                fresh = written.get(path)
                if fresh is not None:  # hashed by this build's writer: nothing can have changed it since
                    size, mtime = HASHED.unpack_from(fresh)
                    digest = fresh[HASHED.size :].hex()
                else:
                    st = os.stat(real)
                    size, mtime = st.st_size, st.st_mtime_ns
                    old = known.get(path)
                    digest = old[2] if old is not None and old[0] == size and old[1] == mtime else _sha256(real)
                # as _dumps([path, size, digest]) writes it (a digest is hex), a third of the time
                rows.append(f'{"," if n else ""}[{_dumps(path)},{size},"{digest}"]')
                if len(rows) == 1000:
                    z.write("".join(rows).encode("utf-8"))
                    rows.clear()
                if seen is not None:
                    seen.write(f"{path}\t{size}\t{mtime}\t{digest}\n")
            z.write("".join(rows).encode("utf-8") + b"]")
        z.write(b"}\n")
    return buf.getvalue()


def _known(store: Path) -> dict[str, tuple[int, int, str]]:
    """The hashes the last manifest kept ({} when there are none or they are unreadable)."""
    out: dict[str, tuple[int, int, str]] = {}
    try:
        with open(store, encoding="utf-8") as f:
            for line in f:
                path, size, mtime, digest = line.rstrip("\n").split("\t")
                out[path] = (int(size), int(mtime), digest)
    except (OSError, ValueError):
        return {}
    return out


def manifest_for(files: list[tuple[str, str]], root: Path, out: Path, written: dict[str, bytes] | None = None) -> bytes:
    """The manifest of `files`, reusing (and then keeping) the hashes in `out`'s build cache, and
    those the writer took of the files it just wrote (`written`: budget.Usage.hashes)."""
    store = cache.cache_dir(out) / _HASHES
    known = _known(store)
    tmp = store.with_name(store.name + f".tmp-{os.getpid()}")
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        seen: IO[str] | None = open(tmp, "w", encoding="utf-8")
    except OSError:
        seen = None  # only a cache: the next build hashes again
    try:
        data = manifest_bytes(files, source_facts(root), known, seen, written)
    finally:
        if seen is not None:
            seen.close()
    if seen is not None:
        try:
            os.replace(tmp, store)
        except OSError:
            pass
    return data


def write_manifest(tree: Path, root: Path, out: Path, written: dict[str, bytes] | None = None) -> int:
    """Write the manifest into a staging tree about to be swapped in whole (a clean build); its size.
    `written`: the hashes the writer took (only the files it copied and Pagefind's are read back)."""
    data = manifest_for(site_files(tree), root, out, written)
    (tree / MANIFEST).write_bytes(data)
    return len(data)


def sealer(root: Path, out: Path) -> Callable[[Path, Path | None, list[str], list[str]], Output | None]:
    """For write.apply_changes: the manifest of the site as an in-place update will leave it, as
    one more staged file, so the journal moves it in with the pages (a build killed at any
    moment leaves the old site and manifest or the new ones); None when it would not change."""

    def seal(site: Path, staging: Path | None, changed: list[str], deleted: list[str]) -> Output | None:
        data = manifest_for(site_files(site, staging, changed, deleted), root, out)
        try:
            if (site / MANIFEST).read_bytes() == data:
                return None
        except OSError:
            pass
        return Output(MANIFEST, data)

    return seal
