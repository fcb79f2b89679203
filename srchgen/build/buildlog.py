"""Reuse behind one seam, after Ninja's build log: every output is recorded with the key of
what it was made from and the digest of its bytes; "is this output fresh?" is one lookup.

BuildLog answers `fresh(path, key)` and takes `record(path, key, digest)`; the pipeline asks
it and never learns how the log is stored. The same goes for the records: a record file's
row (record_row) is fresh while the file's and its artifacts' stats are (row_fresh), and
then gives the record's Summary, texts and problems without parsing it (row_*). cache.py
stores both, in the state file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from srchgen.build import budget, cache
from srchgen.render import routes
from srchgen.render.export import Segments
from srchgen.errors import Problem
from srchgen.render.render import Output
from srchgen.render.summary import StoredTexts, Summary, digest
from srchgen.build.write import apply_changes

if TYPE_CHECKING:
    from srchgen.build.scan import Scanned
    from srchgen.build.textfiles import TextFile


class BuildLog:
    """The last build's outputs (page keys and file digests) and this build's, as they are made.

    `fresh(path, key)`: the output at `path` was made from `key` last time and is on disk, so it
    need not be made again; `record(path, key, digest)`: what this build made (or kept) there.
    A file recorded with a digest the last build also wrote is not written again (`apply`)."""

    def __init__(self, old_pages: dict[str, str], old_files: dict[str, str], usage: budget.Usage | None = None):
        self.old_pages, self.old_files = old_pages, old_files
        self.pages: dict[str, str] = {}
        self.files: dict[str, str] = {}
        self.search_dirty = False
        self.same_registry = False
        self.usage = usage  # site/'s files and bytes by kind as the last build left it
        self._grouped: dict[str, list[str]] | None = None
        self._record_keys: dict[str, str] = {}
        self.dupes: dict[str, tuple[tuple[str, str], ...]] = {}  # render.dupes_of: a record page shows its duplicates
        self.sections: frozenset[str] = frozenset()  # sections with records: a record page's navigation links them
        self.export = Segments()  # the data export's segments: the last build's, to copy the unchanged ones

    @classmethod
    def of(cls, state: dict[str, Any], trusted: bool = True, site: Path | None = None) -> BuildLog:
        """The log the last build saved (cache.load_state); an empty one unless `trusted` (site/
        is what that build left). `site`: that folder, whose data export's segments are reused."""
        if not trusted:
            return cls({}, {})
        log = cls(state.get("pages", {}), state.get("files", {}), budget.Usage.from_plain(state.get("usage")))
        if site is not None:
            log.export = Segments(state.get("export"), site / routes.RECORDS_JSON)
        return log

    def saved(self) -> dict[str, Any]:
        """This build's log, as the state stores it (cache.save_state)."""
        return {"pages": self.pages, "files": self.files, "export": self.export.saved()}

    def fresh(self, path: str, key: str) -> bool:
        """True when the page at `path` was built from the same key last time (and is on disk)."""
        return self.old_pages.get(path) == key and path in self.old_files

    def record(self, path: str, key: str | None = None, digest: str | None = None) -> None:
        """What this build made at `path`: the key it was made from (pages) and its bytes' digest."""
        if key is not None:
            self.pages[path] = key
        if digest is not None:
            self.files[path] = digest

    @property
    def _by_record(self) -> dict[str, list[str]]:
        """The last build's files under records/, by record."""
        if self._grouped is None:
            self._grouped = {}
            for path in self.old_files:
                if path.startswith("records/"):
                    self._grouped.setdefault(path.split("/", 2)[1], []).append(path)
        return self._grouped

    def page_key(self, path: str, *parts: str) -> str:
        """The key of the page at `path`, made from `parts`, recorded."""
        key = digest(*parts)
        self.pages[path] = key
        return key

    def keep(self, path: str) -> None:
        """Keep the file at `path` as the last build wrote it (it is fresh)."""
        self.files[path] = self.old_files[path]

    def keep_all_but(self, remade_files: frozenset[str], remade_dirs: tuple[str, ...], remade_pages: frozenset[str]) -> None:
        """Keep every page key and file of the last build but those named or under the folders named."""
        self.pages.update((p, k) for p, k in self.old_pages.items() if p not in remade_pages)
        self.files.update((p, h) for p, h in self.old_files.items() if p not in remade_files and not p.startswith(remade_dirs))

    def keep_record(self, hex_id: str) -> None:
        """Keep every file under records/<HEX>/ as the last build wrote it."""
        for path in self._by_record.get(hex_id, ()):
            self.files[path] = self.old_files[path]

    def record_key(self, sm: Summary, env: str, related: Sequence[Summary]) -> str:
        key = self._record_keys.get(sm.id)
        if key is None:
            key = self._record_keys[sm.id] = self._record_key(sm, env, related)
        return key

    def _record_key(self, sm: Summary, env: str, related: Sequence[Summary]) -> str:
        """A record page shows its manifest, derived fields and body (all in its feed and JSON texts) and its related records' titles."""
        return digest(env, sm.content_key, *(f"{o.hex}\x1f{o.short_title}" for o in related), *(f"dup\x1f{h}" for h, _ in self.dupes.get(sm.hex, ())),
                      "nav\x1f" + ",".join(sorted(self.sections)))

    def record_stale(self, s: Scanned, env: str, related: dict[str, list[Summary]]) -> bool:
        assert s.summary is not None
        return not self.fresh(routes.record_page(s.summary.hex), self.record_key(s.summary, env, related[s.summary.id]))

    def hashing(self, outputs: Iterable[Output]) -> Iterator[Output]:
        """The outputs, each recorded with its digest as it passes (a clean build writes them all)."""
        for o in outputs:
            self.files[o.path] = output_digest(o)
            yield o

    def apply(
        self, site: Path, outputs: Iterable[Output], index: Callable[[Path, Path], None] | None = None,
        check: Callable[[budget.Usage], None] | None = None,
        seal: Callable[[Path, Path | None, list[str], list[str]], Output | None] | None = None,
    ) -> int:
        """Write into `site` only the outputs whose bytes changed, and delete what no output
        replaces (write.apply_changes); re-index search when a record page changed. Returns
        the number of files written."""
        changed = []
        for o in outputs:
            h = output_digest(o)
            self.files[o.path] = h
            if self.old_files.get(o.path) != h:
                changed.append(o)
                if o.path.startswith("records/") and o.path.endswith("/index.html"):
                    self.search_dirty = True
        deleted = [p for p in self.old_files if p not in self.files]
        if deleted:
            self.search_dirty = True
        if not (self.search_dirty or not (site / "pagefind").is_dir()):
            index = None
        if not changed and not deleted and index is None:
            sealed = seal(site, None, [], []) if seal is not None else None
            if sealed is None:
                if check is not None:
                    check(self.usage or budget.measure(site))
                return 0
            seal = lambda *_: sealed  # noqa: E731 (only the manifest changed: a new commit, say)
        return apply_changes(site, changed, deleted, index, check, self.usage, seal)


def output_digest(o: Output) -> str:
    """The digest of an output's bytes, as the log keeps it (or the key it already carries)."""
    if o.key is not None:
        return o.key
    h = hashlib.sha256()  # ~1.5 GB/s here (SHA extensions), twice blake2b's speed
    if o.copy_from is not None:
        with open(o.copy_from, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    else:
        for piece in o.pieces():
            h.update(piece)
    return h.hexdigest()[:32]


# The record rows: what the log keeps of each record file, so an unchanged one is not parsed
# again (its stat and its artifacts' stats are its key; cache.STAT ... cache.UPDATED).

Row = tuple[Any, ...]
StatKey = tuple[int, int, int]  # (size, mtime_ns, cache.file_id)


def stat_key(path: Path) -> StatKey:
    st = os.lstat(path)
    return (st.st_size, st.st_mtime_ns, cache.file_id(st))


def row_fresh(row: Row, st: StatKey, records: Path, stats: cache.Stats | None) -> bool:
    """The row still describes the record file: same stat, and its artifacts' too (`stats`:
    what cache.fingerprint found under records/ moments ago, else each is stat'ed)."""
    if tuple(row[cache.STAT]) != st:
        return False
    for rel, size, mtime, ino in row[cache.ARTS]:
        try:
            if (stats[rel] if stats is not None else stat_key(records / rel)) != (size, mtime, ino):
                return False
        except (OSError, KeyError):
            return False
    return True


def row_frozen(row: Row) -> tuple[Any, ...] | None:
    """The row's frozen Summary (summary.Summary's tuple), None when it is unreadable."""
    return cache.thaw(row)


def row_summary(row: Row, frozen: tuple[Any, ...], texts: TextFile | None) -> Summary:
    """The record's Summary from its row; its texts are read from `texts` when wanted."""
    return Summary(frozen, texts, row[cache.SPANS])


def row_texts(row: Row, texts: TextFile) -> StoredTexts:
    """The record's texts (feeds, data export), without thawing its Summary."""
    return StoredTexts(texts, row[cache.SPANS], row[cache.CONTENT], row[cache.UPDATED])


def row_problems(row: Row) -> list[Problem]:
    return thaw_problems(row[cache.PROBLEMS]) if row[cache.PROBLEMS] else []


def record_row(s: Scanned) -> Row:
    """The row of one valid record (cache.STAT ... cache.UPDATED)."""
    sm = s.summary
    assert sm is not None
    if s.cached is not None:
        return s.cached
    arts, problems = s.remote if s.remote is not None else (s.arts, problem_rows(s.problems))
    return (s.stat, arts, problems, sm.freeze(), sm.spans, sm.content_key, sm.updated_iso)


def problem_rows(problems: Iterable[Problem]) -> list[tuple[str, int, int, str, str]]:
    return [(p.path, p.line, p.col, p.message, p.severity) for p in problems]


def thaw_problems(rows: Iterable[tuple[str, int, int, str, str]]) -> list[Problem]:
    return [Problem(p, line, col, msg, sev) for p, line, col, msg, sev in rows]  # type: ignore[arg-type]


def registry_key(scanned: Sequence[Scanned], dupes: dict[str, tuple[tuple[str, str], ...]] | None = None) -> str:
    """Digest of every record's listing key (`Summary.listing_key`), by file name, and of which
    records share an abstract (their pages show it)."""
    shared = "\x00".join(f"{h}\x1d{others}" for h, others in sorted((dupes or {}).items()))
    return digest("\x00".join(sorted(f"{s.name}\x1d{s.summary.listing_key}" for s in scanned)), shared)  # type: ignore[union-attr]
