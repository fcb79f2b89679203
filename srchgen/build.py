"""The pipeline, top to bottom: load -> validate -> derive -> render -> write (STYLE §3).

A build reuses what the cache (`cache.py`) knows: a record whose bytes and artifacts did not
change is not parsed again (its Summary comes from the cache), a page whose inputs did not
change is not rendered again, and a file whose bytes did not change is not written again.
The output is the same, byte for byte, as a clean build's.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import signal
import struct
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from srchgen import __version__, badges, budget, cache, charts, feeds, finder, git_log, graph, parallel, routes
from srchgen.config import Config
from srchgen.derive import Gate, Level, Tier, guide
from srchgen.entry import Entry, make_entry
from srchgen.errors import Problem, sort_problems
from srchgen.render import Facet, Output, Renderer, count_by, dupes_of, facets, make_environment, theme_dir
from srchgen.schema import Record, Section, json_schema
from srchgen.source import SourceFile, load_source
from srchgen.summary import SUMMARY_RELATED, StoredTexts, Summary, Texts, digest, facts_of, listing_order
from srchgen.validate import Facts, Valid, loose_facts, registry_problems, validate_one, written_id
from srchgen.write import apply_changes, fill, recover, write_site

if TYPE_CHECKING:
    from srchgen.gate.check import SignatureChecker


@dataclass(frozen=True)
class Project:
    """Where a build reads and writes; paths shown to users keep the form they were given in."""

    root: Path
    records: Path
    out: Path
    config: Config
    records_display: str = "records"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    files: int = 0  # files written (or rewritten) by this build
    reused: int = 0  # records taken from the cache without parsing
    records: int = 0  # record files seen
    notes: list[str] = field(default_factory=list)
    usage: budget.Usage | None = None  # the written site's files and bytes (SPEC §8)

    def check_budget(self, limit: int) -> Callable[[budget.Usage], None]:
        """Called with the site about to be published, before site/ is touched: records its size,
        raises budget.OverBudget past `limit` (max_site_bytes)."""

        def check(usage: budget.Usage) -> None:
            self.usage = budget.enforce(usage, limit)

        return check

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass(slots=True)
class Scanned:
    """One record file after the load and validate stages (fresh, or from the cache)."""

    name: str
    stat: tuple[int, int, int]
    problems: list[Problem]
    summary: Summary | None = None
    facts: Facts | None = None
    source: SourceFile | None = None
    record: Record | None = None
    entry: Entry | None = None
    cached: tuple[Any, ...] | None = None  # the cache row to keep when reused
    remote: tuple[Any, ...] | None = None  # (artifact stats, problems) of a record the worker process holds
    other_id: str | None = None  # the id written in a file that failed the schema
    loose: Facts | None = None  # and its Facts, when its id and related ids are valid (validate.loose_facts)
    arts: tuple[tuple[str, int, int, int], ...] = ()  # stats of the artifacts it publishes (cache validity)
    made: "Made | None" = None  # its page and files, made and spooled (then `entry` is dropped)


@dataclass(frozen=True)
class Made:
    """A processed record's page (without its related-records section) and files, waiting in a
    Spool until every record is known. Held per record until then, so it is kept small: file
    names (shared strings) and their spans packed in one bytes object, not the parsed record."""

    spool: cache.Spool
    names: tuple[str, ...]  # "index.html" first, then the record's other files under records/<HEX>/
    spans: bytes  # (start, end) of each in the spool, 8-byte ints
    copies: tuple[tuple[str, str], ...]  # (output path, artifact file)

    def outputs(self, r: Renderer, hex_id: str, related: Sequence[Summary]) -> Iterator[Output]:
        base = routes.record_dir(hex_id)
        ends = struct.unpack(f"<{2 * len(self.names)}q", self.spans)
        for i, name in enumerate(self.names):
            data = self.spool.read((ends[2 * i], ends[2 * i + 1]))
            filled = r.fill_related(data, hex_id, related) if i == 0 else r.fill_json(data) if name == routes.RECORD_DATA else data
            yield Output(base + name, filled)
        for path, src in self.copies:
            yield Output(path, copy_from=src)


def make_record(s: Scanned, config: Config, r: Renderer, rules: Any, blob: "cache.TextBlob", spool: cache.Spool) -> None:
    """Summarize a valid processed record and spool its page and files; its Entry is dropped."""
    e = s.entry
    if e is None or s.facts is None:
        return
    s.summary = summarize(e, config, r, s.facts, blob)
    base = routes.record_dir(e.hex)
    assert routes.record_page(e.hex) == base + "index.html"
    names, spans, copies = ["index.html"], list(spool.add(r.record_page_unlinked(e, rules))), []
    for o in feeds.record_files(e, config):
        if o.copy_from is not None:
            copies.append((o.path, o.copy_from))
        else:
            names.append(sys.intern(o.path.removeprefix(base)))
            spans += spool.add(o.data)
    s.made = Made(spool, _NAMES.setdefault(tuple(names), tuple(names)), struct.pack(f"<{len(spans)}q", *spans), tuple(copies))
    s.entry = None


def record_files(e: Entry, config: Config, r: Renderer) -> Iterator[Output]:
    """A record's data file (its cross-record facts filled in: Renderer.fill_json) and artifacts."""
    for o in feeds.record_files(e, config):
        yield Output(o.path, r.fill_json(o.data)) if o.path.endswith("/" + routes.RECORD_DATA) else o


_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}  # every record has the same few file names: one tuple for all


def signature_checker(project: Project) -> "SignatureChecker | None":
    """The SSH-signature rule when `gate_signers` is configured (SPEC §2), else None.

    Raises ConfigError (exit 2) when the allowed_signers file is missing or malformed.
    """
    if not project.config.gate_signers:
        return None
    from srchgen.gate.check import make_signature_checker

    return make_signature_checker(
        project.root / project.config.gate_signers, project.config.gate_signers, project.root / "pyproject.toml"
    )


def _templates_digest(project: Project) -> str:
    h = hashlib.sha256()
    for folder in (theme_dir("templates"), project.root / "templates"):
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def env_key(project: Project, history: git_log.History | None = None) -> str:
    """Everything besides a record's own bytes that its problems, summary and pages depend on
    (the records' git history too: every record page shows its own)."""
    c = project.config
    history = history if history is not None else git_log.read(project.records)
    signers = b""
    if c.gate_signers:
        try:
            signers = (project.root / c.gate_signers).read_bytes()
        except OSError:
            signers = b"-missing-"
    return digest(
        __version__, str(cache.FORMAT), cache.code_digest(), cache.dependency_versions(), c.model_dump_json(exclude={"today"}),
        _templates_digest(project), project.records_display, hashlib.sha256(signers).hexdigest(), history.key,
    )


def _stat(path: Path) -> tuple[int, int, int]:
    st = os.lstat(path)
    return (st.st_size, st.st_mtime_ns, cache.file_id(st))


def _artifacts_unchanged(arts: Sequence[tuple[str, int, int, int]], records: Path, stats: "cache.Stats | None") -> bool:
    for rel, size, mtime, ino in arts:
        try:
            if (stats[rel] if stats is not None else _stat(records / rel)) != (size, mtime, ino):
                return False
        except (OSError, KeyError):
            return False
    return True


def _thaw_problems(rows: Iterable[tuple[str, int, int, str, str]]) -> list[Problem]:
    return [Problem(p, line, col, msg, sev) for p, line, col, msg, sev in rows]  # type: ignore[arg-type]


def process(project: Project, file: Path, st: tuple[int, int, int], check_signature: "SignatureChecker | None", want_entry: bool) -> Scanned:
    """Load and validate one record; derive and render it when it is valid and pages are wanted."""
    src, problems = load_source(file, project.records, project.records_display)
    scanned = Scanned(file.name, st, problems)
    if src is None:
        return scanned
    rec, found = validate_one(src, project.config, check_signature)
    scanned.problems += found
    scanned.source, scanned.record = src, rec
    if rec is None:
        scanned.other_id = written_id(src)
        scanned.loose = loose_facts(src)
        return scanned
    scanned.facts = Facts.of(src, rec)
    if want_entry and not any(p.severity == "error" for p in scanned.problems):
        # Who signed comes from the same (memoised) verification that just passed (SPEC §2).
        signer = check_signature.signer(rec) if check_signature is not None else None
        scanned.entry = make_entry(Valid(src, rec), project.config, signer)
    # The parse tree and its positions are most of a record's memory; keep only what is used later.
    scanned.arts = _artifact_stats(src, project.records)
    scanned.source = scanned.record = None
    return scanned


def _artifact_stats(src: SourceFile, records: Path) -> tuple[tuple[str, int, int, int], ...]:
    return tuple((rel, *_stat(records / rel)) for rel, fact in sorted(src.artifacts.items()) if fact.source is not None)


def process_all(
    project: Project, todo: Sequence[tuple[Path, tuple[int, int, int]]], checker: "SignatureChecker | None", want_entries: bool,
    then: Callable[[Scanned], None] | None = None,
) -> list[Scanned]:
    """process() every file, calling `then` on each as it is done; with gate_signers set, on a
    thread per core, since each signature is an ssh-keygen process (~7 ms) the threads wait on
    in parallel (issue 7; docs/gate.md)."""
    if checker is None or len(todo) < 2 or (os.cpu_count() or 1) < 2:
        done = (process(project, file, st, checker, want_entries) for file, st in todo)
        return [s for s in done if then is None or then(s) or True]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        found = pool.map(lambda item: process(project, item[0], item[1], checker, want_entries), todo)
        return [s for s in found if then is None or then(s) or True]


def scan(project: Project, state: dict[str, Any]) -> list[Scanned]:
    """Every record file, validated: reused from the cache when its bytes and artifacts are
    unchanged, else processed (half of them in a forked worker when there are many)."""
    reused, todo = triage(project, state)
    checker = signature_checker(project)
    if not (parallel.available() and len(todo) >= parallel.MIN_RECORDS):
        return reused + process_all(project, todo, checker, False)
    theirs, todo = parallel.split(todo)

    def phase1() -> list[tuple[Any, ...]]:
        return [_plain(process(project, file, st, checker, False)) for file, st in theirs]

    worker = parallel.Worker(phase1, lambda message: None)
    try:
        mine = process_all(project, todo, checker, False)
        return reused + mine + [_remote(t, None) for t in worker.receive()]
    finally:
        worker.abort()


def _plain(s: Scanned) -> tuple[Any, ...]:
    """A processed record as plain values, for the trip from the worker process (see _remote)."""
    f = s.facts
    return (
        s.name, s.stat, _problem_rows(s.problems),
        tuple(f) if f else None,
        s.other_id, s.summary.freeze() if s.summary else None, s.summary.spans if s.summary else None, s.arts,
        tuple(s.loose) if s.loose else None,
    )


def _record_stats(records: Path) -> list[tuple[str, tuple[int, int, int]]]:
    """Every record file's name and (size, mtime, inode), in the order of source.record_files."""
    found = []
    with os.scandir(records) as it:
        for e in it:
            if e.name.endswith(".md"):
                try:
                    st = e.stat(follow_symlinks=False)
                    found.append((e.name, (st.st_size, st.st_mtime_ns, cache.file_id(st))))
                except OSError:
                    found.append((e.name, (-1, -1, -1)))
    return sorted(found)


def triage(
    project: Project, state: dict[str, Any], texts: "cache.TextFile | None" = None, stats: "cache.Stats | None" = None,
) -> tuple[list[Scanned], list[tuple[Path, tuple[int, int, int]]]]:
    """Split the record files into those the cache still describes and those to process
    (with `texts`, the cache's text file, the reused ones get their Summary). `stats`: every
    file under records/ as cache.fingerprint found it moments ago, so nothing is stat'ed twice."""
    rows: dict[str, tuple[Any, ...]] = state.get("records", {})
    reused, todo = [], []
    for name, st in _found(project, stats):
        row = rows.get(name)
        t = cache.thaw(row) if row is not None and _unchanged(row, st, project.records, stats) else None
        if t is not None:
            summary = Summary(t, texts, row[cache.SPANS]) if texts is not None else None  # type: ignore[index]
            problems = _thaw_problems(row[cache.PROBLEMS]) if row[cache.PROBLEMS] else []  # type: ignore[index]
            reused.append(Scanned(name, st, problems, summary, facts_of(t), cached=row))
        else:
            todo.append((project.records / name, st))
    return reused, todo


def _found(project: Project, stats: "cache.Stats | None") -> list[tuple[str, tuple[int, int, int]]]:
    if stats is None:
        return _record_stats(project.records)
    return sorted((name, st) for name, st in stats.items() if name.endswith(".md") and "/" not in name)


def _unchanged(row: tuple[Any, ...], st: tuple[int, int, int], records: Path, stats: "cache.Stats | None") -> bool:
    """The cache row still describes the record file: same stat, and its artifacts' too."""
    return tuple(row[cache.STAT]) == st and (not row[cache.ARTS] or _artifacts_unchanged(row[cache.ARTS], records, stats))


def _problems(scanned: Sequence[Scanned]) -> list[Problem]:
    return sort_problems([p for s in scanned for p in s.problems] + _registry_problems(scanned))


def _registry_problems(scanned: Sequence[Scanned]) -> list[Problem]:
    other_ids = frozenset(i for s in scanned if s.facts is None for i in [s.other_id] if i)
    return registry_problems([s.facts for s in scanned if s.facts is not None], other_ids, [s.loose for s in scanned if s.loose is not None])


def check(project: Project, strict: bool = False) -> Report:
    """Validate every record; writes nothing (reads the build cache when it is fresh)."""
    state = cache.load_state(project.out, env_key(project), texts=False)
    scanned = scan(project, state)
    report = Report(problems=_problems(scanned), reused=sum(s.cached is not None for s in scanned), records=len(scanned))
    if strict:
        report.problems = [p.as_error() for p in report.problems]
    return report


def summarize(e: Entry, config: Config, r: Renderer, facts: Facts, blob: "cache.TextBlob") -> Summary:
    """The record's Summary; its texts (feed item, records.json element, Atom entry, listing
    row) go to the cache's text file now, not into memory."""
    rec, d = e.record, e.derived
    item = feeds.fragment(feeds.feed_item(e, config)).encode("utf-8")
    record_json = feeds.fragment(feeds.record_dict(e, config)).encode("utf-8")
    atom = r.atom_entry(e)
    sm = Summary.make(
        e.id, e.hex, e.short_title, rec.display_title, rec.submitted, e.updated, rec.review.score, rec.section,
        tuple(rec.topics), tuple(rec.related), d.tier, d.gate.status, d.level, d.status, rec.publisher, rec.doi,
        blob.main, (), facts, digest(item, record_json, atom),
    )
    sm.spans = blob.add((item, record_json, atom, r.listing_row(sm)))
    return sm


def build(project: Project, strict: bool = False, search: bool | None = None, stats: "cache.Stats | None" = None) -> Report:
    """Check, then render and write the site; site/ is untouched unless every record is valid.
    `stats`: what cache.fingerprint found under the records folder, when it just ran.
    One build at a time per output folder: under its lock (cache.build_lock), waiting for it."""
    with cache.build_lock(project.out):
        return _build(project, strict, search, stats)


def _build(project: Project, strict: bool, search: bool | None, stats: "cache.Stats | None") -> Report:
    out, config = project.out, project.config
    recover(out)
    history = git_log.read(project.records)  # one `git log` for every record's History section
    env = env_key(project, history)
    state = cache.load_state(out, env)
    site_ok = bool(state) and state.get("site") == cache.site_identity(out) and out.is_dir()
    r = Renderer(config, make_environment(project.root / "templates", cache.cache_dir(out) / "jinja"))
    r.history = history
    r.env.globals["filter_choices"] = finder.choices()
    checker = signature_checker(project)
    blob = cache.TextBlob(out, state)
    want_search = config.search if search is None else search
    worker = None
    spool: cache.Spool | None = None
    try:
        done: dict[str, Scanned] = {}  # records edit_in_place processed before it found it could not do the build
        if site_ok:
            edited = edit_in_place(project, state, stats, r, checker, blob, env, strict, want_search, done)
            if edited is not None:
                return edited
        reused, todo = triage(project, state, blob.main, stats)
        where: dict[str, str | None] = {}  # record file -> the worker's text file its texts are in
        if not site_ok and parallel.available() and len(todo) >= parallel.MIN_RECORDS:
            theirs, todo = parallel.split(todo)
            worker = _start_worker(project, r, theirs, checker)
        rules = guide(config)
        spool = cache.Spool(out)
        scanned = reused + [done[f.name] for f, _ in todo if f.name in done]
        todo = [(f, st) for f, st in todo if f.name not in done]
        scanned += process_all(project, todo, checker, True, lambda s: make_record(s, config, r, rules, blob, spool))
        if worker is not None:
            texts_name, rows = worker.receive()
            wfile = blob.adopt(texts_name)
            scanned += [_remote(t, wfile) for t in rows]
            where.update((t[0], texts_name) for t in rows)
        reg = _registry_problems(scanned)
        report = _report([p for s in scanned for p in s.problems] + reg, len(reused), len(scanned), strict, config)
        if report.errors:
            return report
        for s in scanned:
            if s.entry is not None and s.facts is not None and s.summary is None:
                s.summary = summarize(s.entry, config, r, s.facts, blob)
        scanned = listing_order(scanned, lambda s: s.summary.t)  # type: ignore[union-attr]
        report.summaries = [s.summary for s in scanned]  # type: ignore[misc]
        old_pages: dict[str, str] = state.get("pages", {}) if site_ok else {}
        old_files: dict[str, str] = state.get("files", {}) if site_ok else {}
        plan = Plan(old_pages, old_files)
        plan.usage = budget.Usage.from_plain(state.get("usage")) if site_ok else None
        r.dupes = plan.dupes = dupes_of(report.summaries)  # the duplicate-abstract check, across records
        r.sections = plan.sections = frozenset(sm.section.value for sm in report.summaries)  # the navigation's sections
        registry = registry_key(scanned, r.dupes)
        # Every record's listing row, topics and related ids as last time: no listing, facet or
        # registry page can differ, and a record's page can change only if its own bytes did.
        plan.same_registry = bool(old_pages) and state.get("registry") == registry
        related = related_of(report.summaries)
        for s in scanned:
            if s.entry is None and s.made is None and s.remote is None and not plan.same_registry and plan.record_stale(s, env, related):
                fresh = process(project, project.records / s.name, s.stat, checker, want_entry=True)
                s.entry, s.facts, s.arts = fresh.entry, fresh.facts, fresh.arts
        stream = site_outputs(scanned, report.summaries, config, r, plan, env, asset_outputs(project), related)
        if site_ok:
            # The state names what is on disk; a build killed while updating must not leave it
            # vouching for files it no longer describes (a revert would then rewrite nothing).
            cache.forget_state(out)
            index = (lambda view, dest: index_search(view, dest, report)) if want_search else None
            report.files = plan.apply(out, stream, index, report.check_budget(config.max_site_bytes))
        else:
            start = finish_worker = None
            if worker is not None:
                w = worker
                theirs_related = {s.summary.hex: [(o.hex, o.id, o.short_title) for o in related[s.summary.id]] for s in scanned if s.remote is not None and s.summary}

                def start(staging: Path) -> None:
                    w.send((str(staging), theirs_related, r.dupes, r.sections))

                def finish_worker() -> int:
                    written = w.receive()
                    plan.files.update(dict(written))
                    return len(written)

            def finish(staging: Path) -> None:
                if finish_worker is not None:
                    report.files += finish_worker()
                if want_search:
                    run_pagefind(staging, report)
                report.check_budget(config.max_site_bytes)(budget.measure(staging))  # before the swap (SPEC §8)

            written = write_site(plan.hashing(stream), [], out, finish, start)
            report.files += written  # after write_site: `finish` has added the worker's files
            worker = None if worker is None else (worker.close() or None)
        name_of = {s.summary.id: s.name for s in scanned}  # type: ignore[union-attr]
        cache.save_state(out, {
            "env": env, "site": cache.site_identity(out), "records": {s.name: _cache_row(s) for s in scanned},
            "pages": plan.pages, "files": plan.files, "registry": registry, "dupes": r.dupes, "abstracts": abstracts_of(scanned),
            "sections": sorted(plan.sections),
            "usage": report.usage.plain() if report.usage else None,
            # what edit_in_place needs of the registry: unchanged while every listing key and Facts are
            "order": [s.name for s in scanned], "registry_problems": _problem_rows(reg),
            "links": {name_of[i]: tuple(name_of[o.id] for o in others) for i, others in related.items() if others},
        }, blob, where)
    finally:
        if worker is not None:
            worker.abort()
        blob.close()
        if spool is not None:
            spool.close()
    return report


NO_BASE_URL = "no base_url: canonical, Open Graph, sitemap and absolute feed URLs are left out"


def _report(problems: list[Problem], reused: int, records: int, strict: bool, config: Config) -> Report:
    """The build's report: problems sorted (warnings as errors with --strict), and the base_url
    note when the site is going to be written."""
    report = Report(problems=sort_problems(problems), reused=reused, records=records)
    if strict:
        report.problems = [p.as_error() for p in report.problems]
    if not report.errors and not config.base_url:
        report.notes.append(NO_BASE_URL)
    return report


def edit_in_place(
    project: Project, state: dict[str, Any], stats: "cache.Stats | None", r: Renderer, checker: "SignatureChecker | None",
    blob: "cache.TextBlob", env: str, strict: bool, want_search: bool, done: dict[str, Scanned],
) -> Report | None:
    """The common rebuild, a few records edited in place, without looking at the others' rows.

    When the same record files are there and every edited one is valid and keeps its listing key
    (row, topics, related ids) and its Facts (with their positions), nothing that any other page
    or the cross-record rules read of the registry changed: the last build's listing order,
    related links and cross-record problems (state "order", "links", "registry_problems") still
    hold, so only the edited records' files, the feeds and the assets are made. Returns None when
    that does not hold (the full build then runs, reusing the records in `done`)."""
    rows, order, links, reg, dupes, abstracts, sections = (
        state.get(k) for k in ("records", "order", "links", "registry_problems", "dupes", "abstracts", "sections"))
    if not (isinstance(rows, dict) and isinstance(order, list) and isinstance(links, dict) and isinstance(reg, list)
            and isinstance(dupes, dict) and isinstance(abstracts, dict) and isinstance(sections, list)):
        return None
    abstracts = dict(abstracts)
    found = _found(project, stats)
    if len(found) != len(rows) or len(order) != len(rows) or any(name not in rows for name, _ in found):
        return None  # a record added or deleted: listings change
    edited = [(project.records / name, st) for name, st in found if not _unchanged(rows[name], st, project.records, stats)]
    for s in process_all(project, edited, checker, True):
        done[s.name] = s
    config = project.config
    for name, s in done.items():
        if s.entry is None or s.facts is None or any(p.severity == "error" for p in s.problems):
            return None
        s.summary = summarize(s.entry, config, r, s.facts, blob)
        old = cache.thaw(rows[name])
        if old is None or Summary(old, blob.main, ()).listing_key != s.summary.listing_key or _sans_abstract(facts_of(old)) != _sans_abstract(s.facts):
            return None
        if not _moves_alone(abstracts, name, facts_of(old).abstract, s.facts.abstract):
            return None  # an abstract now shared with another record, or no longer: their pages change
        if facts_of(old).pos != s.facts.pos and len(abstracts.get(s.facts.abstract, ())) > 1:
            return None  # its duplicate-abstract warning moved with the abstract's line

    def summary_of(name: str) -> Summary | None:
        s = done.get(name)
        t = cache.thaw(rows[name]) if s is None and name in rows else None
        return s.summary if s is not None else (Summary(t, blob.main, rows[name][cache.SPANS]) if t is not None else None)

    related: dict[str, list[Summary]] = {}
    for name in done:
        related[name] = [o for o in map(summary_of, links.get(name, ())) if o is not None]
        if len(related[name]) != len(links.get(name, ())):
            return None
    problems = [p for name, row in rows.items() if name not in done and row[cache.PROBLEMS] for p in _thaw_problems(row[cache.PROBLEMS])]
    problems += [p for s in done.values() for p in s.problems] + _thaw_problems(reg)
    report = _report(problems, len(rows) - len(done), len(rows), strict, config)
    if report.errors:
        return report
    texts: list[Texts] = [
        done[n].summary if n in done else StoredTexts(blob.main, rows[n][cache.SPANS], rows[n][cache.CONTENT], rows[n][cache.UPDATED])  # type: ignore[misc]
        for n in order
    ]
    plan = Plan(state.get("pages", {}), state.get("files", {}))
    plan.usage = budget.Usage.from_plain(state.get("usage"))
    r.dupes = plan.dupes = dupes  # unchanged: every edited record kept its Facts, its abstract's digest among them
    r.sections = plan.sections = frozenset(sections)  # unchanged too: no listing key changed
    plan.same_registry = True
    plan.pages = dict(plan.old_pages)
    remade = ("assets/", *(f"records/{s.summary.hex}/" for s in done.values()))  # type: ignore[union-attr]
    plan.files = {p: h for p, h in plan.old_files.items() if not p.startswith(remade) and p not in REGISTRY_TEXTS}
    rules = guide(config)

    def outputs() -> Iterator[Output]:
        for name, s in done.items():
            sm = s.summary
            assert sm is not None and s.entry is not None
            plan.pages[routes.record_page(sm.hex)] = plan.record_key(sm, env, related[name])
            yield r.record_page(s.entry, related[name], rules)
            yield from record_files(s.entry, config, r)
            s.entry = None
        yield from registry_texts(texts, config, r)
        yield from asset_outputs(project)

    out = project.out
    cache.forget_state(out)  # see build(): the state must not vouch for files being replaced
    index = (lambda view, dest: index_search(view, dest, report)) if want_search else None
    report.files = plan.apply(out, outputs(), index, report.check_budget(config.max_site_bytes))
    new_rows = dict(rows)
    new_rows.update((name, _cache_row(s)) for name, s in done.items())
    cache.save_state(out, {
        **state, "site": cache.site_identity(out), "records": new_rows, "pages": plan.pages, "files": plan.files,
        "abstracts": abstracts, "usage": report.usage.plain() if report.usage else None,
    }, blob, {})
    return report


def abstracts_of(scanned: Sequence[Scanned]) -> dict[bytes, tuple[str, ...]]:
    """Which record files carry each abstract (Facts.abstract), for edit_in_place's duplicate check."""
    out: dict[bytes, list[str]] = {}
    for s in scanned:
        if s.summary is not None and s.summary.facts.abstract:
            out.setdefault(s.summary.facts.abstract, []).append(s.name)
    return {k: tuple(v) for k, v in out.items()}


def _sans_abstract(f: Facts) -> Facts:
    """Facts without the abstract's digest and position (its position is last): what the other
    cross-record rules read, unchanged by an abstract's edit or by lines added above it."""
    return f._replace(abstract=b"", pos=f.pos[:-2])


def _moves_alone(abstracts: dict[bytes, tuple[str, ...]], name: str, old: bytes, new: bytes) -> bool:
    """Whether a record's abstract changing from `old` to `new` leaves every duplicate as it was
    (it shared `old` with none and shares `new` with none); `abstracts` is updated when it does."""
    if old == new:
        return True
    if abstracts.get(old, (name,)) != (name,) or (new and new in abstracts):
        return False
    abstracts.pop(old, None)
    if new:
        abstracts[new] = (name,)
    return True


def registry_key(scanned: Sequence[Scanned], dupes: dict[str, tuple[tuple[str, str], ...]] | None = None) -> str:
    """Digest of every record's listing key (`Summary.listing_key`), by file name, and of which
    records share an abstract (their pages show it)."""
    shared = "\x00".join(f"{h}\x1d{others}" for h, others in sorted((dupes or {}).items()))
    return digest("\x00".join(sorted(f"{s.name}\x1d{s.summary.listing_key}" for s in scanned)), shared)  # type: ignore[union-attr]


def _start_worker(project: Project, r: Renderer, todo: list[tuple[Path, tuple[int, int, int]]], checker: "SignatureChecker | None") -> parallel.Worker:
    """Fork the worker for `todo`: it processes them now and renders their pages when told to."""
    held: list[tuple[str, Made]] = []

    def phase1() -> tuple[str, list[tuple[Any, ...]]]:
        texts = cache.WorkerTexts(project.out)
        spool = cache.Spool(project.out)
        rules = guide(project.config)
        out = []
        for file, st in todo:
            s = process(project, file, st, checker, want_entry=True)
            make_record(s, project.config, r, rules, texts, spool)
            out.append(_plain(s))
            if s.made is not None and s.summary is not None:
                held.append((s.summary.hex, s.made))  # all phase 2 needs: the parent has the rest
        texts.close()
        return (texts.name, out)

    def phase2(message: Any) -> list[tuple[str, str]]:
        staging, related = parallel.staging_path(message), message[1]
        r.dupes, r.sections = message[2], message[3]
        written: list[tuple[str, str]] = []

        def outputs() -> Iterator[Output]:
            for hex_id, made in held:
                for o in made.outputs(r, hex_id, parallel.related_view(related.get(hex_id, []))):
                    written.append((o.path, _hash(o)))
                    yield o

        fill(staging, outputs())
        return written

    return parallel.Worker(phase1, phase2)


def _remote(t: tuple[Any, ...], texts: "cache.TextFile | None") -> Scanned:
    """A record the worker process holds, from _plain's values; its texts are in `texts`."""
    name, st, problems, facts, other_id, frozen, spans, arts, loose = t
    summary = Summary(frozen, texts, spans) if frozen is not None and texts is not None else None
    f = Facts._make(facts) if facts else None
    s = Scanned(name, tuple(st), _thaw_problems(problems), summary, f, remote=(arts, problems), other_id=other_id)  # type: ignore[arg-type]
    s.loose = Facts._make(loose) if loose else None
    return s


def _cache_row(s: Scanned) -> tuple[Any, ...]:
    """The cache row of one valid record (cache.STAT ... cache.UPDATED)."""
    sm = s.summary
    assert sm is not None
    if s.cached is not None:
        return s.cached
    arts, problems = s.remote if s.remote is not None else (s.arts, _problem_rows(s.problems))
    return (s.stat, arts, problems, sm.freeze(), sm.spans, sm.content_key, sm.updated_iso)


def _problem_rows(problems: Iterable[Problem]) -> list[tuple[str, int, int, str, str]]:
    return [(p.path, p.line, p.col, p.message, p.severity) for p in problems]


def related_of(summaries: Sequence[Summary]) -> defaultdict[str, list[Summary]]:
    """Related records in both directions, in the listing order (an empty list for a record without any)."""
    by_id = {s.id: s for s in summaries}
    links: dict[str, set[str]] = {}
    for s in summaries:
        for rid in s.t[SUMMARY_RELATED]:
            if rid in by_id:
                links.setdefault(s.id, set()).add(rid)
                links.setdefault(rid, set()).add(s.id)
    order = {i: n for n, i in enumerate(by_id)} if links else {}
    out: defaultdict[str, list[Summary]] = defaultdict(list)
    for k, v in links.items():
        out[k] = [by_id[x] for x in sorted(v, key=order.__getitem__)]
    return out


class Plan:
    """Which pages need rendering and which files need writing, from the last build's keys and digests."""

    def __init__(self, old_pages: dict[str, str], old_files: dict[str, str]):
        self.old_pages, self.old_files = old_pages, old_files
        self.pages: dict[str, str] = {}
        self.files: dict[str, str] = {}
        self.search_dirty = False
        self.same_registry = False
        self.usage: budget.Usage | None = None  # site/'s files and bytes by kind as the last build left it
        self._grouped: dict[str, list[str]] | None = None
        self._record_keys: dict[str, str] = {}
        self.dupes: dict[str, tuple[tuple[str, str], ...]] = {}  # render.dupes_of: a record page shows its duplicates
        self.sections: frozenset[str] = frozenset()  # sections with records: a record page's navigation links them

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
        key = digest(*parts)
        self.pages[path] = key
        return key

    def fresh(self, path: str, key: str) -> bool:
        """True when the page at `path` was built from the same key last time (and is on disk)."""
        return self.old_pages.get(path) == key and path in self.old_files

    def keep(self, path: str) -> None:
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
        for o in outputs:
            self.files[o.path] = _hash(o)
            yield o

    def apply(
        self, site: Path, outputs: Iterable[Output], index: Callable[[Path, Path], None] | None = None,
        check: Callable[[budget.Usage], None] | None = None,
    ) -> int:
        changed = []
        for o in outputs:
            h = _hash(o)
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
            if check is not None:
                check(self.usage or budget.measure(site))
            return 0
        return apply_changes(site, changed, deleted, index, check, self.usage)


def _hash(o: Output) -> str:
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


def asset_outputs(project: Project) -> list[Output]:
    """The default theme's assets, overridden file by file by the registry's own assets/."""
    found: dict[str, str] = {}
    for folder in (theme_dir("assets"), project.root / "assets"):
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    found["assets/" + p.relative_to(folder).as_posix()] = str(p)
    return [Output(path, copy_from=src) for path, src in sorted(found.items())]


def site_outputs(
    scanned: Sequence[Scanned], summaries: list[Summary], config: Config, r: Renderer, plan: Plan, env: str, assets: list[Output],
    related: dict[str, list[Summary]],
) -> Iterator[Output]:
    """Every file of the site, streamed; pages whose inputs did not change are not rendered again."""
    rules = guide(config)
    pages: list[tuple[str, str | None]] = [(routes.HOME, None)]  # the sitemap's (page, lastmod)
    if plan.same_registry:
        # Only the processed records' pages can differ; the rest of the site is kept as it is,
        # but the feeds and assets, which are remade below.
        made = [s for s in scanned if s.entry is not None or s.made is not None]
        plan.keep_all_but(
            frozenset(REGISTRY_TEXTS), ("assets/", *(f"records/{s.summary.hex}/" for s in made)),  # type: ignore[union-attr]
            frozenset(routes.record_page(s.summary.hex) for s in made),  # type: ignore[union-attr]
        )
        scanned = made
    for s in scanned:
        sm = s.summary
        assert sm is not None
        path = routes.record_page(sm.hex)
        pages.append((path, sm.updated_iso))
        plan.pages[path] = plan.record_key(sm, env, related[sm.id])
        if s.remote is not None:
            continue  # the worker process writes this record's files
        if s.made is not None:
            yield from s.made.outputs(r, sm.hex, related[sm.id])
            s.made = None
            continue
        if s.entry is None:
            plan.keep_record(sm.hex)
            continue
        yield r.record_page(s.entry, related[sm.id], rules)
        yield from record_files(s.entry, config, r)
        s.entry = None  # written: its parsed record and HTML are not needed again (peak memory)
    if plan.same_registry:
        yield from registry_texts(summaries, config, r)
        yield from assets
        return
    counts = {
        "tier": count_by(summaries, lambda e: e.tier),
        "gate": count_by(summaries, lambda e: e.gate),
        "level": count_by(summaries, lambda e: e.level),
        "section": count_by(summaries, lambda e: e.section),
        "total": len(summaries),
    }
    counts_key = repr(sorted((k, sorted((str(a), b) for a, b in v.items())) if isinstance(v, dict) else (k, v) for k, v in counts.items()))
    figures = charts.registry_charts(charts.gather((s.score, s.tier, s.gate, s.level, s.submitted) for s in summaries))
    all_facets = facets(summaries)
    for facet in all_facets:
        for n, path, chunk in r.listing_chunks(facet):
            if path != routes.HOME and chunk:  # a listing with no records is left out of the sitemap
                pages.append((path, None))
            key = plan.page_key(path, env, facet.kind, facet.label, str(n), str(len(facet.entries)), counts_key, *(e.row_key for e in chunk))
            if plan.fresh(path, key):
                plan.keep(path)
                continue
            # the home page's compact charts show only the tier, gate and level counts, which are in counts_key
            yield r.listing_page(facet, n, chunk, counts, figures if facet.kind == "all" and n == 1 else None)
    yield from aggregate_outputs(summaries, all_facets, related, counts, rules, config, r, figures)
    yield from assets
    pages += [(p, None) for p in (routes.TOPICS, routes.GUIDE, routes.ABOUT, routes.GRAPH, routes.STATS, routes.SEARCH)]
    yield from feeds.sitemaps(pages, config)


def aggregate_outputs(
    summaries: list[Summary], all_facets: list[Facet], related: dict[str, list[Summary]], counts: dict[str, Any],
    rules: Any, config: Config, r: Renderer, figures: dict[str, charts.Chart],
) -> Iterator[Output]:
    """Pages and feeds about the whole registry; cheap, rebuilt every time and written only when changed."""
    topics = [f for f in all_facets if f.kind == "topic"]
    graph_edges = sorted({tuple(sorted((s.id, o.id))) for s in summaries for o in related[s.id]})
    enums = {"Tier": Tier, "Gate": Gate, "Level": Level, "Section": Section}
    yield r.simple("topics.html", routes.TOPICS, "topics", topics=topics)
    yield r.simple("guide.html", routes.GUIDE, "guide", rules=rules, counts=counts, enums=enums, charts=figures)
    yield r.simple("stats.html", routes.STATS, "stats", counts=counts, enums=enums, charts=figures)
    yield r.simple("about.html", routes.ABOUT, "about", counts=counts)
    linked = [s for s in summaries if related[s.id]]
    drawing = graph.draw(linked, graph_edges, lambda h: routes.relative(routes.GRAPH, routes.record_page(h)))
    shown = [s for s in linked if s.id in drawing.drawn]  # the page stays small at any registry size (graph.MAX_NODES)
    yield r.simple("graph.html", routes.GRAPH, "graph", entries=shown, edges=graph_edges, related=related, drawing=drawing)
    yield r.simple("search.html", routes.SEARCH, "search")
    yield r.simple("404.html", routes.NOT_FOUND, "")
    yield from badges.badge_outputs()  # 12 shared status badges, one per tier and gate status
    yield from registry_texts(summaries, config, r)
    yield finder.filter_output(summaries)
    yield Output(routes.SCHEMA, feeds.dumps(json_schema()))
    yield feeds.robots(config)
    yield Output(".nojekyll", b"")
    if config.cname:
        yield Output("CNAME", (config.cname.strip() + "\n").encode("ascii"))


REGISTRY_TEXTS = (routes.FEED_JSON, routes.FEED_ATOM, routes.RECORDS_JSON)


def registry_texts(summaries: Sequence[Texts], config: Config, r: Renderer) -> Iterator[Output]:
    """The feeds (the newest `feed_size` records) and the data export (every record), from the
    records' texts in listing order (REGISTRY_TEXTS; SPEC §8)."""
    newest = summaries[: config.feed_size]
    yield feeds.json_feed(newest, config)
    yield r.atom(newest)
    yield feeds.records_export(summaries, config, r.fill_json)


def pagefind_command(site: Path, output: Path | None = None) -> list[str] | None:
    try:
        from pagefind_bin import get_executable

        exe = str(get_executable())
    except (ImportError, FileNotFoundError):
        return None
    cmd = [exe, "--site", str(site), "--glob", "records/*/index.html", "--silent"]
    return cmd + (["--output-path", str(output)] if output else ["--output-subdir", "pagefind"])


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


def run_pagefind(site: Path, report: Report) -> None:
    """Index the record pages with Pagefind (SPEC §4), inside the staging tree before it is swapped in."""
    _pagefind(pagefind_command(site), report)


def index_search(view: Path, dest: Path, report: Report) -> None:
    """Index an updated site (`view`) into `dest`; write.apply_changes moves it in with the pages."""
    _pagefind(pagefind_command(view, dest), report)  # without Pagefind, dest is not made and the old index stays
