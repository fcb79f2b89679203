"""The pipeline, top to bottom: load -> validate -> derive -> render -> write (STYLE §3).

A build reuses what the cache (`cache.py`) knows: a record whose bytes and artifacts did not
change is not parsed again (its Summary comes from the cache), a page whose inputs did not
change is not rendered again, and a file whose bytes did not change is not written again.
The output is the same, byte for byte, as a clean build's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from srchgen import __version__, cache, feeds, routes
from srchgen.config import Config
from srchgen.derive import Gate, Level, Tier, guide
from srchgen.entry import Entry, make_entry
from srchgen.errors import Problem, sort_problems
from srchgen.render import Facet, Output, Renderer, count_by, facets, make_environment, theme_dir
from srchgen.schema import Record, Section, json_schema
from srchgen.source import SourceFile, load_source, record_files
from srchgen.summary import Summary, digest
from srchgen.validate import Facts, SignatureCheck, registry_problems, validate_one
from srchgen.write import apply_changes, exchange, recover, write_site


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

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass
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


def signature_checker(project: Project) -> SignatureCheck | None:
    """The SSH-signature rule when `gate_signers` is configured (SPEC §2), else None."""
    if not project.config.gate_signers:
        return None
    from srchgen.gate_check import make_signature_checker

    return make_signature_checker(project.root / project.config.gate_signers, project.config.gate_signers)


def _templates_digest(project: Project) -> str:
    h = hashlib.sha256()
    for folder in (theme_dir("templates"), project.root / "templates"):
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def env_key(project: Project) -> str:
    """Everything besides a record's own bytes that its problems, summary and pages depend on."""
    c = project.config
    signers = b""
    if c.gate_signers:
        try:
            signers = (project.root / c.gate_signers).read_bytes()
        except OSError:
            signers = b"-missing-"
    return digest(
        __version__, str(cache.FORMAT), cache.dependency_versions(), c.model_dump_json(exclude={"today"}),
        _templates_digest(project), project.records_display, hashlib.sha256(signers).hexdigest(),
    )


def _stat(path: Path) -> tuple[int, int, int]:
    st = os.lstat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _artifacts_unchanged(arts: Sequence[tuple[str, int, int, int]], records: Path) -> bool:
    for rel, size, mtime, ino in arts:
        try:
            if _stat(records / rel) != (size, mtime, ino):
                return False
        except OSError:
            return False
    return True


def _thaw_problems(rows: Iterable[tuple[str, int, int, str, str]]) -> list[Problem]:
    return [Problem(p, line, col, msg, sev) for p, line, col, msg, sev in rows]  # type: ignore[arg-type]


def process(project: Project, file: Path, st: tuple[int, int, int], check_signature: SignatureCheck | None, want_entry: bool) -> Scanned:
    """Load and validate one record; derive and render it when it is valid and pages are wanted."""
    src, problems = load_source(file, project.records, project.records_display)
    scanned = Scanned(file.name, st, problems)
    if src is None:
        return scanned
    rec, found = validate_one(src, project.config, check_signature)
    scanned.problems += found
    scanned.source, scanned.record = src, rec
    if rec is None:
        return scanned
    scanned.facts = Facts.of(src, rec)
    if want_entry and not any(p.severity == "error" for p in scanned.problems):
        scanned.entry = make_entry(_valid(src, rec), project.config)
    return scanned


def _valid(src: SourceFile, rec: Record):  # type: ignore[no-untyped-def]
    from srchgen.validate import Valid

    return Valid(src, rec)


def scan(project: Project, state: dict[str, Any], want_entries: bool) -> list[Scanned]:
    """Every record file: reused from the cache when its bytes and artifacts are unchanged, else processed."""
    rows: dict[str, tuple[Any, ...]] = state.get("records", {})
    checker = signature_checker(project)
    out = []
    for file in record_files(project.records):
        try:
            st = _stat(file)
        except OSError:
            st = (-1, -1, -1)
        row = rows.get(file.name)
        if row is not None and row[3] is not None and tuple(row[0]) == st and _artifacts_unchanged(row[1], project.records):
            summary = Summary.thaw(row[3])
            out.append(Scanned(file.name, st, _thaw_problems(row[2]), summary, summary.facts, cached=row))
            continue
        out.append(process(project, file, st, checker, want_entries))
    return out


def _problems(scanned: Sequence[Scanned]) -> list[Problem]:
    problems = [p for s in scanned for p in s.problems]
    problems += registry_problems([s.facts for s in scanned if s.facts is not None])
    return sort_problems(problems)


def check(project: Project, strict: bool = False) -> Report:
    """Validate every record; writes nothing (reads the build cache when it is fresh)."""
    state = cache.load_state(project.out, env_key(project))
    scanned = scan(project, state, want_entries=False)
    report = Report(problems=_problems(scanned), reused=sum(s.cached is not None for s in scanned), records=len(scanned))
    if strict:
        report.problems = [p.as_error() for p in report.problems]
    return report


def summarize(e: Entry, config: Config, r: Renderer, facts: Facts) -> Summary:
    rec, d = e.record, e.derived
    return Summary(
        e.id, e.hex, e.short_title, rec.display_title, rec.submitted, e.updated, rec.review.score, rec.section,
        tuple(rec.topics), tuple(rec.related), d.tier, d.gate.status, d.level, d.status, rec.publisher, rec.doi,
        feeds.fragment(feeds.feed_item(e, config)), feeds.fragment(feeds.record_dict(e, config)), r.atom_entry(e), facts,
    )


def build(project: Project, strict: bool = False, search: bool | None = None) -> Report:
    """Check, then render and write the site; site/ is untouched unless every record is valid."""
    out, config = project.out, project.config
    recover(out)
    env = env_key(project)
    state = cache.load_state(out, env)
    site_ok = bool(state) and state.get("site") == cache.site_identity(out) and out.is_dir()
    scanned = scan(project, state, want_entries=True)
    report = Report(problems=_problems(scanned), reused=sum(s.cached is not None for s in scanned), records=len(scanned))
    if strict:
        report.problems = [p.as_error() for p in report.problems]
    if report.errors:
        return report
    if not config.base_url:
        report.notes.append("no base_url: canonical, Open Graph, sitemap and absolute feed URLs are left out")
    r = Renderer(config, make_environment(project.root / "templates"))
    for s in scanned:
        if s.entry is not None and s.facts is not None:
            s.summary = summarize(s.entry, config, r, s.facts)
    scanned.sort(key=lambda s: s.summary.sort_key)  # type: ignore[union-attr]
    report.summaries = [s.summary for s in scanned]  # type: ignore[misc]
    old_pages: dict[str, str] = state.get("pages", {}) if site_ok else {}
    old_files: dict[str, str] = state.get("files", {}) if site_ok else {}
    plan = Plan(old_pages, old_files)
    checker = signature_checker(project)
    related = related_of(report.summaries)
    for s in scanned:
        if s.entry is None and plan.record_stale(s, env, related):
            fresh = process(project, project.records / s.name, s.stat, checker, want_entry=True)
            s.entry, s.source, s.facts = fresh.entry, fresh.source, fresh.facts
    stream = site_outputs(scanned, report.summaries, config, r, plan, env, asset_outputs(project))
    want_search = config.search if search is None else search
    if site_ok:
        report.files = plan.apply(out, stream)
        if want_search and (plan.search_dirty or not (out / "pagefind").is_dir()):
            refresh_search(out, report)
    else:
        finish = (lambda staging: run_pagefind(staging, report)) if want_search else None
        report.files = write_site(plan.hashing(stream), [], out, finish)
    cache.save_state(out, {
        "env": env,
        "site": cache.site_identity(out),
        "records": {s.name: _cache_row(s, project.records) for s in scanned},
        "pages": plan.pages,
        "files": plan.files,
    })
    return report


def _cache_row(s: Scanned, records: Path) -> tuple[Any, ...]:
    if s.cached is not None:
        return s.cached
    arts = tuple((rel, *_stat(records / rel)) for rel, fact in sorted(s.source.artifacts.items()) if fact.source is not None) if s.source else ()
    problems = [(p.path, p.line, p.col, p.message, p.severity) for p in s.problems]
    return (s.stat, arts, problems, s.summary.freeze() if s.summary else None)


def related_of(summaries: Sequence[Summary]) -> dict[str, list[Summary]]:
    """Related records in both directions, in the listing order."""
    by_id = {s.id: s for s in summaries}
    links: dict[str, set[str]] = {s.id: set() for s in summaries}
    for s in summaries:
        for rid in s.related:
            if rid in by_id:
                links[s.id].add(rid)
                links[rid].add(s.id)
    order = {s.id: i for i, s in enumerate(summaries)}
    return {k: [by_id[x] for x in sorted(v, key=order.__getitem__)] for k, v in links.items()}


class Plan:
    """Which pages need rendering and which files need writing, from the last build's keys and digests."""

    def __init__(self, old_pages: dict[str, str], old_files: dict[str, str]):
        self.old_pages, self.old_files = old_pages, old_files
        self.pages: dict[str, str] = {}
        self.files: dict[str, str] = {}
        self.search_dirty = False
        self._related: dict[str, list[Summary]] | None = None

    def page_key(self, path: str, *parts: str) -> str:
        key = digest(*parts)
        self.pages[path] = key
        return key

    def fresh(self, path: str, key: str) -> bool:
        """True when the page at `path` was built from the same key last time (and is on disk)."""
        return self.old_pages.get(path) == key and path in self.old_files

    def keep(self, path: str) -> None:
        self.files[path] = self.old_files[path]

    def keep_prefix(self, prefix: str) -> None:
        for path, h in self.old_files.items():
            if path.startswith(prefix):
                self.files[path] = h

    def record_key(self, sm: Summary, env: str, related: Sequence[Summary]) -> str:
        """A record page shows its manifest, derived fields and body (all in its feed and JSON texts) and its related records' titles."""
        return digest(env, sm.record_json, sm.feed_item, *(f"{o.hex}\x1f{o.short_title}" for o in related))

    def record_stale(self, s: Scanned, env: str, related: dict[str, list[Summary]]) -> bool:
        assert s.summary is not None
        return not self.fresh(routes.record_page(s.summary.hex), self.record_key(s.summary, env, related[s.summary.id]))

    def hashing(self, outputs: Iterable[Output]) -> Iterator[Output]:
        for o in outputs:
            self.files[o.path] = _hash(o)
            yield o

    def apply(self, site: Path, outputs: Iterable[Output]) -> int:
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
        if not changed and not deleted:
            return 0
        return apply_changes(site, changed, deleted)


def _hash(o: Output) -> str:
    h = hashlib.blake2b(digest_size=16)
    if o.copy_from is not None:
        with open(o.copy_from, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    else:
        h.update(o.data)
    return h.hexdigest()


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
    scanned: Sequence[Scanned], summaries: list[Summary], config: Config, r: Renderer, plan: Plan, env: str, assets: list[Output]
) -> Iterator[Output]:
    """Every file of the site, streamed; pages whose inputs did not change are not rendered again."""
    rules = guide(config)
    related = related_of(summaries)
    pages: list[str] = [routes.HOME]
    for s in scanned:
        sm = s.summary
        assert sm is not None
        path = routes.record_page(sm.hex)
        pages.append(path)
        plan.pages[path] = plan.record_key(sm, env, related[sm.id])
        if s.entry is None:
            plan.keep_prefix(routes.record_dir(sm.hex))
            continue
        yield r.record_page(s.entry, related[sm.id], rules)
        yield from feeds.record_files(s.entry, config)
    counts = {
        "tier": count_by(summaries, lambda e: e.tier),
        "gate": count_by(summaries, lambda e: e.gate),
        "level": count_by(summaries, lambda e: e.level),
        "section": count_by(summaries, lambda e: e.section),
        "total": len(summaries),
    }
    counts_key = repr(sorted((k, sorted((str(a), b) for a, b in v.items())) if isinstance(v, dict) else (k, v) for k, v in counts.items()))
    all_facets = facets(summaries)
    for facet in all_facets:
        for n, path, chunk in r.listing_chunks(facet):
            if path != routes.HOME:
                pages.append(path)
            key = plan.page_key(path, env, facet.kind, facet.label, str(n), str(len(facet.entries)), counts_key, *(e.row_key for e in chunk))
            if plan.fresh(path, key):
                plan.keep(path)
                continue
            yield r.listing_page(facet, n, chunk, counts)
    yield from aggregate_outputs(summaries, all_facets, related, counts, rules, config, r)
    yield from assets
    pages += [routes.TOPICS, routes.GUIDE, routes.ABOUT, routes.GRAPH, routes.SEARCH]
    yield from feeds.sitemaps(pages, config)


def aggregate_outputs(
    summaries: list[Summary], all_facets: list[Facet], related: dict[str, list[Summary]], counts: dict[str, Any],
    rules: Any, config: Config, r: Renderer,
) -> Iterator[Output]:
    """Pages and feeds about the whole registry; cheap, rebuilt every time and written only when changed."""
    topics = [f for f in all_facets if f.kind == "topic"]
    graph_edges = sorted({tuple(sorted((s.id, o.id))) for s in summaries for o in related[s.id]})
    enums = {"Tier": Tier, "Gate": Gate, "Level": Level, "Section": Section}
    yield r.simple("topics.html", routes.TOPICS, "topics", topics=topics)
    yield r.simple("guide.html", routes.GUIDE, "guide", rules=rules, counts=counts, enums=enums)
    yield r.simple("about.html", routes.ABOUT, "about", counts=counts)
    yield r.simple("graph.html", routes.GRAPH, "graph", entries=[s for s in summaries if related[s.id]], edges=graph_edges, related=related)
    yield r.simple("search.html", routes.SEARCH, "search")
    yield r.simple("404.html", routes.NOT_FOUND, "")
    yield feeds.json_feed(summaries, config)
    yield r.atom(summaries)
    yield feeds.records_json(summaries)
    yield Output(routes.SCHEMA, feeds.dumps(json_schema()))
    yield feeds.robots(config)
    yield Output(".nojekyll", b"")
    if config.cname:
        yield Output("CNAME", (config.cname.strip() + "\n").encode("ascii"))


def pagefind_command(site: Path, output: Path | None = None) -> list[str] | None:
    try:
        from pagefind_bin import get_executable

        exe = str(get_executable())
    except (ImportError, FileNotFoundError):
        return None
    cmd = [exe, "--site", str(site), "--glob", "records/*/index.html", "--silent"]
    return cmd + (["--output-path", str(output)] if output else ["--output-subdir", "pagefind"])


def _pagefind(cmd: list[str] | None, report: Report) -> bool:
    if cmd is None:
        report.notes.append("Pagefind is not installed (pip install 'pagefind[bin]'); the site has no search index")
        return False
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pagefind failed: {proc.stderr.strip() or proc.stdout.strip()}")
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
    return True


def run_pagefind(site: Path, report: Report) -> None:
    """Index the record pages with Pagefind (SPEC §4), inside the staging tree before it is swapped in."""
    _pagefind(pagefind_command(site), report)


def refresh_search(site: Path, report: Report) -> None:
    """Re-index an updated site: build the new index beside it, then swap it in whole."""
    fresh = site.parent / f"{site.name}.tmp-pagefind-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        if not _pagefind(pagefind_command(site, fresh), report):
            return
        current = site / "pagefind"
        if current.is_dir() and exchange(fresh, current):
            shutil.rmtree(fresh)
        else:
            shutil.rmtree(current, ignore_errors=True)
            os.rename(fresh, current)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
