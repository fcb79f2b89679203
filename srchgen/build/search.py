"""The search index: Pagefind over the record pages (SPEC §4), run on the staged site."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from srchgen.build.project import Report


ALL_RECORDS = "records/*/index.html"
SHARDS_FILE = "srchgen-shards.json"  # in pagefind/: the bundles the search page merges with it (assets/search.js)


def shards(names: Sequence[str], size: int) -> list[list[str]]:
    """The record folders (ids) cut into the fewest shards of at most `size`: sorted, then
    ceil(n / size) runs of near-equal length. A record's shard depends only on the set of ids,
    never on the order they come in; one shard (today's single index) while n <= size."""
    ordered = sorted(set(names))
    n = len(ordered)
    k = max(1, -(-n // size))
    return [ordered[i * n // k : (i + 1) * n // k] for i in range(k)]


def shard_glob(members: Sequence[str], names: Sequence[str]) -> str:
    """A Pagefind --glob matching the pages of `members` and of no other name in `names`:
    the fewest name prefixes (a shard is a run of sorted ids, so a few dozen at most)."""
    inside = set(members)
    prefixes: list[str] = []

    def cover(prefix: str, group: list[str]) -> None:
        hits = sum(name in inside for name in group)
        if hits == len(group):
            prefixes.append(prefix + "*" if any(name != prefix for name in group) else prefix)
        elif hits:
            by_next: dict[str, list[str]] = {}
            for name in group:
                if name == prefix:  # a name that is a prefix of others: matched on its own
                    if name in inside:
                        prefixes.append(name)
                    continue
                by_next.setdefault(name[len(prefix)], []).append(name)
            for c in sorted(by_next):
                cover(prefix + c, by_next[c])

    cover("", sorted(set(names)))
    if prefixes == ["*"]:
        return ALL_RECORDS
    return "records/" + (prefixes[0] if len(prefixes) == 1 else "{" + ",".join(prefixes) + "}") + "/index.html"


def record_names(site: Path) -> list[str]:
    """The folders of records/ holding a page, as Pagefind's glob finds them."""
    try:
        with os.scandir(site / "records") as it:
            return sorted(e.name for e in it if e.is_dir() and (Path(e.path) / "index.html").is_file())
    except FileNotFoundError:
        return []


def bundle_dir(i: int) -> str:
    """Shard i's bundle, relative to pagefind/: the first is pagefind/ itself (the layout of a one-shard site)."""
    return "" if i == 0 else f"shard-{i + 1}/"


def pagefind_command(site: Path, output: Path | None = None, glob: str = ALL_RECORDS, bundle: str = "") -> list[str] | None:
    try:
        from pagefind_bin import get_executable

        exe = str(get_executable())
    except (ImportError, FileNotFoundError):
        return None
    cmd = [exe, "--site", str(site), "--glob", glob, "--silent"]
    if output:
        return cmd + ["--output-path", str(output / bundle)]
    return cmd + ["--output-subdir", "pagefind/" + bundle.rstrip("/") if bundle else "pagefind"]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Pagefind dies with the build (PR_SET_PDEATHSIG): a killed build must not leave it writing into a tree `recover` removes."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _pagefind(cmd: list[str] | None, report: Report) -> bool:
    if cmd is None:
        report.notes.append("Pagefind is not installed (pip install 'pagefind[bin]'); the site has no search index")
        return False
    linux = sys.platform.startswith("linux")
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=_die_with_parent if linux else None)
    if proc.returncode != 0:
        # most often the environment (a full disk): reported in one line like any OSError (issue 15)
        raise OSError(errno.EIO, f"Pagefind failed: {proc.stderr.strip() or proc.stdout.strip()}", cmd[cmd.index("--site") + 1])
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
    return True


def _index(site: Path, output: Path | None, report: Report) -> None:
    """One Pagefind run per shard, one after another: its memory grows with the pages of the
    index it holds (~0.1 MB a page), so a shard of `search_shard_size` pages bounds it. The
    bundles other than pagefind/ are listed in pagefind/srchgen-shards.json for the search page."""
    names = record_names(site)
    parts = shards(names, report.search_shard_size)
    for i, members in enumerate(parts):
        glob = ALL_RECORDS if len(parts) == 1 else shard_glob(members, names)
        if not _pagefind(pagefind_command(site, output, glob, bundle_dir(i)), report):
            return
    bundles = {"merge": [bundle_dir(i) for i in range(1, len(parts))]}
    target = (output if output else site / "pagefind") / SHARDS_FILE
    if target.parent.is_dir():  # Pagefind makes no bundle for a site without records
        target.write_text(json.dumps(bundles) + "\n", encoding="utf-8")


def run_pagefind(site: Path, report: Report) -> None:
    """Index the record pages with Pagefind (SPEC §4), inside the staging tree before it is swapped in."""
    _index(site, None, report)


def index_search(view: Path, dest: Path, report: Report) -> None:
    """Index an updated site (`view`) into `dest`; write.apply_changes moves it in with the pages.
    Every shard is indexed again (shards are cut from the sorted ids, so a new record can move others)."""
    _index(view, dest, report)  # without Pagefind, dest is not made and the old index stays
