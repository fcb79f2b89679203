"""The pipeline, top to bottom: load -> validate -> derive -> render -> write (STYLE §3).

A build reuses what the build log (`buildlog.py`, stored by `cache.py`) knows: a record whose
bytes and artifacts did not change is not parsed again (its Summary comes from the log), a
page whose inputs did not change is not rendered again, and a file whose bytes did not change
is not written again. The output is the same, byte for byte, as a clean build's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from srchgen.build import attest, budget, cache, lock, parallel, textfiles
from srchgen.render import finder
from srchgen.load import git_log
from srchgen.build.buildlog import BuildLog, problem_rows, record_row, registry_key
from srchgen.build.incremental import abstracts_of, edit_in_place
from srchgen.build.outputs import asset_outputs, handover, make_record, related_of, shared_pages, site_outputs, summarize
from srchgen.build.outputs import start_worker as _start_worker
from srchgen.render.render import RECORD_TEMPLATES
from srchgen.build.project import Project, Report, env_key, report_of, signature_checker
from srchgen.derive.quality_guide import guide
from srchgen.render.marks import dupes_of
from srchgen.render.render import Renderer
from srchgen.render.templates import Templates
from srchgen.build.scan import Scanned, all_problems, from_plain, process, process_all, registry_problems_of, scan, triage
from srchgen.build.search import index_search, run_pagefind
from srchgen.render.summary import Summary, listing_order
from srchgen.build.write import recover, write_site

if TYPE_CHECKING:
    from srchgen.gate.check import SignatureChecker

__all__ = ["Project", "Report", "build", "check", "edit_in_place", "registry_key", "signature_checker"]


def check(project: Project, strict: bool = False) -> Report:
    """Validate every record; writes nothing (reads the build cache when it is fresh)."""
    state = cache.load_state(project.out, env_key(project), texts=False)
    scanned = scan(project, state)
    report = Report(problems=all_problems(scanned), reused=sum(s.cached is not None for s in scanned), records=len(scanned))
    if strict:
        report.problems = [p.as_error() for p in report.problems]
    return report


def build(project: Project, strict: bool = False, search: bool | None = None, stats: "cache.Stats | None" = None) -> Report:
    """Check, then render and write the site; site/ is untouched unless every record is valid.
    `stats`: what cache.fingerprint found under the records folder, when it just ran.
    One build at a time per output folder: under its lock (lock.build_lock), waiting for it."""
    with lock.build_lock(project.out):
        return _build(project, strict, search, stats)


def _build(project: Project, strict: bool, search: bool | None, stats: "cache.Stats | None") -> Report:
    recover(project.out)  # a build killed mid-swap is finished or undone first
    b = _open(project, strict, search)
    try:
        if b.site_ok:  # the common rebuild, a few records edited in place, when it is one
            edited = edit_in_place(project, b.state, stats, b.r, b.checker, b.blob, b.env, strict, b.want_search, b.done)
            if edited is not None:
                return edited
        # load -> validate (each record; a clean build derives and renders it as it goes)
        scanned, reused = _load_and_validate(b, stats)
        reg = registry_problems_of(scanned)  # the rules across records
        report = report_of([p for s in scanned for p in s.problems] + reg, reused, len(scanned), strict, project.config)
        if report.errors:
            return report  # nothing is written
        # derive: every record's Summary in listing order, and the facts across records
        scanned = _derive(b, scanned, report)
        related = related_of(report.summaries)
        log, registry = _reuse(b, scanned, related)
        # render -> write: a stream of outputs; those the log holds fresh are not made again
        stream = site_outputs(scanned, report.summaries, project.config, b.r, log, b.env, asset_outputs(project), related)
        _write(b, log, stream, scanned, related, report)
        _save(b, log, scanned, registry, related, reg, report)
        return report
    finally:
        b.close()


@dataclass
class _Build:
    """One build's settings and open files, handed from phase to phase."""

    project: Project
    strict: bool
    want_search: bool
    env: str  # env_key: everything but the records that the outputs depend on
    state: dict[str, Any]  # what the last build saved (cache.load_state), {} when stale
    site_ok: bool  # site/ is what the last build left: the state's log vouches for it
    r: Renderer
    checker: "SignatureChecker | None"
    blob: textfiles.TextBlob
    spool: textfiles.Spool | None = None
    worker: parallel.Worker | None = None
    chunks: parallel.Chunks | None = None  # the record pages both processes write (outputs.shared_pages)
    where: dict[str, str | None] = field(default_factory=dict)  # record file -> the worker's text file its texts are in
    done: dict[str, Scanned] = field(default_factory=dict)  # records edit_in_place processed before it found it could not do the build

    def close(self) -> None:
        if self.worker is not None:
            self.worker.abort()
        self.blob.close()
        if self.spool is not None:
            self.spool.close()


def _open(project: Project, strict: bool, search: bool | None) -> _Build:
    out, config = project.out, project.config
    history = git_log.read(project.records)  # one `git log` for every record's History section
    env = env_key(project, history)
    state = cache.load_state(out, env)
    site_ok = bool(state) and state.get("site") == cache.site_identity(out) and out.is_dir()
    templates = Templates(project.root / "templates", cache.cache_dir(out) / "jinja", {"filter_choices": finder.choices()})
    r = Renderer(config, templates)
    r.history = history
    checker = signature_checker(project)
    blob = textfiles.TextBlob(out, state)
    want_search = config.search if search is None else search
    return _Build(project, strict, want_search, env, state, site_ok, r, checker, blob)


def _load_and_validate(b: _Build, stats: "cache.Stats | None") -> tuple[list[Scanned], int]:
    """Every record file, loaded and validated, and how many came from the log unchanged.

    The others are processed: in a clean build of many records half of them in the worker
    process (parallel.py), and each valid one derived, summarized and its page spooled as
    it is done (outputs.make_record)."""
    project, config, r = b.project, b.project.config, b.r
    reused, todo = triage(project, b.state, b.blob.main, stats)
    b.spool = spool = textfiles.Spool(project.out)  # before the worker forks: it reads pages the parent spools
    if not b.site_ok and parallel.available() and len(todo) >= parallel.MIN_RECORDS:
        theirs, todo = parallel.split(todo)
        r.load(RECORD_TEMPLATES)  # compiled once, here: the forked worker inherits them
        b.worker, b.chunks = _start_worker(project, r, theirs, b.checker, spool)
    rules = guide(config)
    scanned = reused + [b.done[f.name] for f, _ in todo if f.name in b.done]
    todo = [(f, st) for f, st in todo if f.name not in b.done]
    scanned += process_all(project, todo, b.checker, True, lambda s: make_record(s, config, r, rules, b.blob, spool))
    if b.worker is not None:
        texts_name, rows = b.worker.receive()
        wfile = b.blob.adopt(texts_name)
        scanned += [from_plain(t, wfile) for t in rows]
        b.where.update((t[0], texts_name) for t in rows)
    return scanned, len(reused)


def _derive(b: _Build, scanned: list[Scanned], report: Report) -> list[Scanned]:
    """Every record's Summary, in listing order (into report.summaries), and what record pages
    show of the others: which share an abstract, which sections have records."""
    config, r = b.project.config, b.r
    for s in scanned:
        if s.entry is not None and s.facts is not None and s.summary is None:
            s.summary = summarize(s.entry, config, r, s.facts, b.blob)
    scanned = listing_order(scanned, lambda s: s.summary.t)  # type: ignore[union-attr]
    report.summaries = [s.summary for s in scanned]  # type: ignore[misc]
    r.dupes = dupes_of(report.summaries)  # the duplicate-abstract check, across records
    r.sections = frozenset(sm.section.value for sm in report.summaries)  # the navigation's sections
    return scanned


def _reuse(b: _Build, scanned: list[Scanned], related: dict[str, list[Summary]]) -> tuple[BuildLog, str]:
    """The last build's log (empty unless site/ is as it left it) and the registry key; a
    record whose page the log does not hold fresh is processed again for its Entry."""
    log = BuildLog.of(b.state, b.site_ok, b.project.out)
    log.dupes, log.sections = b.r.dupes, b.r.sections
    registry = registry_key(scanned, b.r.dupes)
    # Every record's listing row, topics and related ids as last time: no listing, facet or
    # registry page can differ, and a record's page can change only if its own bytes did.
    log.same_registry = bool(log.old_pages) and b.state.get("registry") == registry
    project = b.project
    for s in scanned:
        if s.entry is None and s.made is None and s.remote is None and not log.same_registry and log.record_stale(s, b.env, related):
            fresh = process(project, project.records / s.name, s.stat, b.checker, want_entry=True)
            s.entry, s.facts, s.arts = fresh.entry, fresh.facts, fresh.arts
    return log, registry


def _write(b: _Build, log: BuildLog, stream: Any, scanned: list[Scanned], related: dict[str, list[Summary]], report: Report) -> None:
    """Into site/: in place, only what changed, when the log vouches for site/; else a whole
    new tree, staged beside it (the worker writes its records' pages there too) and swapped
    in. Search is indexed and the budget checked (SPEC §8) before site/ is touched."""
    out, config = b.project.out, b.project.config
    if b.site_ok:
        # The state names what is on disk; a build killed while updating must not leave it
        # vouching for files it no longer describes (a revert would then rewrite nothing).
        cache.forget_state(out)
        index = (lambda view, dest: index_search(view, dest, report)) if b.want_search else None
        report.files = log.apply(out, stream, index, report.check_budget(config.max_site_bytes), attest.sealer(b.project.root, out))
        return
    worker = b.worker
    theirs = {s.summary.hex: [(o.hex, o.id, o.short_title) for o in related[s.summary.id]] for s in scanned if s.remote is not None and s.summary}

    handed: list[Any] = []
    usage = budget.Usage(hashes={})  # what both processes write, counted (and hashed) as written: no walk of the tree

    def start(staging: Path) -> None:
        assert worker is not None
        handed[:] = handover(scanned, related)  # our record pages, which it helps write when done with its own
        worker.send((str(staging), theirs, b.r.dupes, b.r.sections, handed))

    def finish(staging: Path) -> None:
        if worker is not None:
            written, theirs_usage = worker.receive()
            for path, digest in written:
                log.record(path, digest=digest)
            report.files += len(written)
            usage.merge(theirs_usage)
        if b.want_search:
            run_pagefind(staging, report)
            if (staging / "pagefind").is_dir():
                usage.merge(budget.measure(staging / "pagefind", prefix="pagefind/"))
        usage.add(attest.MANIFEST, attest.write_manifest(staging, b.project.root, out, usage.hashes))  # last: it lists every other file
        report.check_budget(config.max_site_bytes)(usage)  # before the swap (SPEC §8)

    if worker is not None:
        assert b.spool is not None and b.chunks is not None
        stream = chain(stream, shared_pages(handed, b.spool, b.chunks, b.r))  # after our listings and feeds: the rest of the pages
    written = write_site(log.hashing(stream), out, finish, start if worker is not None else None, usage)
    report.files += written  # after write_site, not `report.files += write_site(...)`: `finish` adds the worker's files
    if worker is not None:
        worker.close()
        b.worker = None


def _save(
    b: _Build, log: BuildLog, scanned: list[Scanned], registry: str, related: dict[str, list[Summary]], reg: list[Any], report: Report,
) -> None:
    """The build log and every record's row, for the next build (cache.save_state)."""
    out = b.project.out
    name_of = {s.summary.id: s.name for s in scanned}  # type: ignore[union-attr]
    cache.save_state(out, {
        "env": b.env, "site": cache.site_identity(out), "records": {s.name: record_row(s) for s in scanned},
        **log.saved(), "registry": registry, "dupes": b.r.dupes, "abstracts": abstracts_of(scanned),
        "sections": sorted(log.sections),
        "usage": report.usage.plain() if report.usage else None,
        # what edit_in_place needs of the registry: unchanged while every listing key and Facts are
        "order": [s.name for s in scanned], "registry_problems": problem_rows(reg),
        "links": {name_of[i]: tuple(name_of[o.id] for o in others) for i, others in related.items() if others},
    }, b.blob, b.where)
