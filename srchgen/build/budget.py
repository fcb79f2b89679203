"""The output budget (SPEC §8): what the site weighs, by kind of output, and the limit.

GitHub Pages publishes at most 1 GB per site. Every build measures the tree it is about
to publish (the staging tree, or the site as an update will leave it) before site/ is
touched, prints one line with its size and file count, and fails when it is over
`max_site_bytes`, naming the kinds of output that took the space.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

# Kinds of output, in the order they are reported; `kind_of` maps a site path to one.
# ("citation files": records/<HEX>/cite.*, which sites built before SPEC §8 had; the bench measures those too.)
KINDS = (
    "record pages", "record data", "citation files", "artifacts", "listings", "search", "filter index",
    "feeds", "data export", "sitemaps", "other pages", "assets", "other",
)
_LISTING_DIRS = ("page/", "sections/", "tiers/", "gate/", "levels/", "topics/")
_OTHER_PAGES = ("guide/", "about/", "graph/", "search/", "404.html")


def kind_of(path: str) -> str:
    """The kind of output at a site path (POSIX, relative to site/)."""
    if path.startswith("records/"):
        parts = path.split("/")
        if len(parts) > 3 and parts[2] == "artifacts" or parts[-1].startswith("gate-payload."):
            return "artifacts"  # SPEC §8: the signed Gate 2 text and its signature count as artifacts
        name = parts[-1]
        if name == "index.html":
            return "record pages"
        return "citation files" if name.startswith("cite.") else "record data"
    if path == "gate/allowed_signers":
        return "artifacts"  # routes.GATE_SIGNERS: what every gate-payload.txt.sig is checked against
    if path == "index.html" or path.startswith(_LISTING_DIRS):
        return "listings"
    if path.startswith("pagefind/"):
        return "search"
    if path == "filter-index.json":
        return "filter index"
    if path in ("feed.json", "feed.atom"):
        return "feeds"
    if path.startswith("records.json"):
        return "data export"
    if path.startswith("sitemap"):
        return "sitemaps"
    if path.startswith(_OTHER_PAGES):
        return "other pages"
    if path.startswith("assets/"):
        return "assets"
    return "other"


HASHED = struct.Struct("<qq")  # Usage.hashes: size, mtime_ns, then the 32 bytes of the SHA-256


@dataclass
class Usage:
    """Files and bytes of a site tree, in total and by kind of output."""

    files: int = 0
    bytes: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [files, bytes]
    # When a dict: each file written, path -> its size and mtime_ns (HASHED, 16 bytes) and SHA-256
    # (32 bytes), hashed by the writer as it writes the bytes, so the site manifest (attest.py)
    # need not read the tree back. Packed: a tuple of two ints and a hex string held 74 MB more at
    # 100,000 records (222,700 files), this half of that.
    hashes: dict[str, bytes] | None = field(default=None, compare=False, repr=False)

    def add(self, path: str, size: int, count: int = 1) -> None:
        self.files += count
        self.bytes += size
        row = self.by_kind.setdefault(kind_of(path), [0, 0])
        row[0] += count
        row[1] += size

    def merge(self, other: "Usage") -> "Usage":
        """Add another tree's (or process's) counts to these."""
        self.files += other.files
        self.bytes += other.bytes
        for kind, (files, size) in other.by_kind.items():
            row = self.by_kind.setdefault(kind, [0, 0])
            row[0] += files
            row[1] += size
        if self.hashes is not None and other.hashes is not None:
            self.hashes.update(other.hashes)
        return self

    def plain(self) -> dict[str, object]:
        """For the build cache's state (marshal-able), so the next build need not walk the site."""
        return {"files": self.files, "bytes": self.bytes, "by_kind": {k: list(v) for k, v in self.by_kind.items()}}

    @classmethod
    def from_plain(cls, data: object) -> "Usage | None":
        try:
            by_kind = {str(k): [int(v[0]), int(v[1])] for k, v in data["by_kind"].items()}  # type: ignore[index]
            return cls(int(data["files"]), int(data["bytes"]), by_kind)  # type: ignore[index]
        except (TypeError, KeyError, ValueError, IndexError, AttributeError):
            return None

    def copy(self) -> "Usage":
        return Usage(self.files, self.bytes, {k: list(v) for k, v in self.by_kind.items()})

    def drop_empty(self) -> "Usage":
        self.by_kind = {k: v for k, v in self.by_kind.items() if v != [0, 0]}
        return self

    def largest(self, n: int = 4) -> list[tuple[str, int, int]]:
        """The n kinds taking the most bytes: (kind, files, bytes)."""
        rows = sorted(((k, f, b) for k, (f, b) in self.by_kind.items()), key=lambda x: (-x[2], KINDS.index(x[0])))
        return rows[:n]

    def line(self, where: str) -> str:
        """'site/: 1,234 files, 56.7 MB' (decimal megabytes, as GitHub Pages counts)."""
        return f"{where}: {files(self.files)}, {megabytes(self.bytes)}"

    def over(self, where: str, limit: int) -> str:
        """The one line a build over its budget fails with: the total and what took the space."""
        parts = ", ".join(f"{k} {megabytes(b)} ({files(f)})" for k, f, b in self.largest())
        return (
            f"{where} would be {megabytes(self.bytes)} in {files(self.files)}, over max_site_bytes "
            f"({limit:,} bytes); largest: {parts}"
        )


# SPEC §8 (corrected): Pages refuses over 10 GB unpacked (max_site_bytes' default) and checks the
# compressed artifact; its documentation gives 1 GB for a published site. Past that, one note.
PAGES_DOCUMENTED_BYTES = 1_000_000_000
LARGE_SITE = (
    "the site is over 1 GB unpacked: GitHub's documentation gives 1 GB for a published site, while its "
    "deploy step checks the compressed artifact (warning at 1 GiB); watch the artifact size the Pages workflow reports"
)


def files(n: int) -> str:
    """'1 file', '1,234 files'."""
    return f"{n:,} file" if n == 1 else f"{n:,} files"


def megabytes(n: int) -> str:
    """Decimal units, as GitHub Pages' 1 GB limit counts: '56.7 MB', '812.4 kB' below a megabyte."""
    return f"{n / 1_000_000:,.1f} MB" if abs(n) >= 1_000_000 else f"{n / 1_000:,.1f} kB"


class OverBudget(Exception):
    """The site a build would publish is larger than max_site_bytes (SPEC §8); nothing was written to site/."""

    def __init__(self, usage: Usage, limit: int):
        super().__init__(usage.over("site/", limit))
        self.usage, self.limit = usage, limit


def measure(tree: Path, skip: Iterable[str] = (), prefix: str = "") -> Usage:
    """Files and bytes under `tree` (paths relative to it, after `prefix`: "pagefind/" for that
    folder of a site; top-level names in `skip` left out)."""
    usage = Usage()
    skipped = set(skip)
    stack = [(prefix, str(tree))]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                path = rel + entry.name
                if rel == prefix and entry.name in skipped:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append((path + "/", entry.path))
                else:
                    usage.add(path, entry.stat(follow_symlinks=False).st_size)
    return usage


def enforce(usage: Usage, limit: int) -> Usage:
    """`usage` when within `limit`; else OverBudget, whose message says what took the space."""
    if usage.bytes > limit:
        raise OverBudget(usage, limit)
    return usage


def measure_update(
    site: Path, staging: Path, changed: Iterable[str], deleted: Iterable[str], index: Path | None, before: Usage | None = None
) -> Usage:
    """The site as an in-place update will leave it: site/ without the files replaced or deleted,
    plus the staged files, with the fresh search index (`index`) in place of pagefind/ when given.
    `before`: site/'s usage as the last build left it (the cache's state), so only what changes
    is stat'ed (a walk of 20,000 files costs ~0.2 s, more than the rest of a one-record edit)."""
    changed = list(changed)
    if before is None:
        usage = measure(site, skip=("pagefind",) if index is not None else ())
    else:
        usage = before.copy()
        if index is not None and "search" in usage.by_kind:
            files, size = usage.by_kind.pop("search")
            usage.files -= files
            usage.bytes -= size
    for rel in set(changed) | set(deleted):  # what the update replaces or removes drops out
        try:
            usage.add(rel, -os.lstat(site / rel).st_size, -1)
        except OSError:
            continue
    for rel in changed:
        usage.add(rel, os.lstat(staging / rel).st_size)
    if index is not None and index.is_dir():
        for rel_kind in _under(index, "pagefind/"):
            usage.add(*rel_kind)
    return usage.drop_empty()


def _under(tree: Path, prefix: str) -> Iterable[tuple[str, int]]:
    for root, _dirs, files in os.walk(tree):
        for name in files:
            p = os.path.join(root, name)
            yield prefix + os.path.relpath(p, tree).replace(os.sep, "/"), os.lstat(p).st_size
