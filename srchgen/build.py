"""The pipeline, top to bottom: load -> validate -> derive -> render -> write (STYLE §3)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from srchgen import feeds, routes
from srchgen.config import Config
from srchgen.derive import Gate, Level, Tier, guide
from srchgen.entry import Entry, make_entry
from srchgen.errors import Problem, sort_problems
from srchgen.render import Output, Renderer, count_by, facets, make_environment, theme_dir
from srchgen.schema import Section, json_schema
from srchgen.source import load_sources
from srchgen.validate import validate
from srchgen.write import write_site


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
    entries: list[Entry] = field(default_factory=list)
    files: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def check(project: Project, strict: bool = False) -> Report:
    """Validate every record and derive entries; writes nothing."""
    sources, problems = load_sources(project.records, project.records_display)
    valid, found = validate(sources, project.config, signature_checker(project))
    problems = sort_problems(problems + found)
    if strict:
        problems = [p.as_error() for p in problems]
    report = Report(problems=problems)
    if not report.errors:
        entries = [make_entry(v, project.config) for v in valid]
        report.entries = sorted(entries, key=lambda e: e.sort_key)
    return report


def signature_checker(project: Project):  # type: ignore[no-untyped-def]
    """The SSH-signature rule when `gate_signers` is configured (SPEC §2), else None."""
    if not project.config.gate_signers:
        return None
    from srchgen.gate_check import make_signature_checker

    return make_signature_checker(project.root / project.config.gate_signers, project.config.gate_signers)


def build(project: Project, strict: bool = False, search: bool | None = None) -> Report:
    """Check, then render and write the whole site; site/ is untouched unless every record is valid."""
    report = check(project, strict)
    if report.errors:
        return report
    config = project.config
    if not config.base_url:
        report.notes.append("no base_url: canonical, Open Graph, sitemap and absolute feed URLs are left out")
    env = make_environment(project.root / "templates")
    assets = [theme_dir("assets"), project.root / "assets"]
    want_search = config.search if search is None else search
    finish = (lambda staging: run_pagefind(staging, report)) if want_search else None
    report.files = write_site(outputs(report.entries, config, Renderer(config, env)), assets, project.out, finish)
    return report


def related_map(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Related records in both directions, in the listing order."""
    by_id = {e.id: e for e in entries}
    links: dict[str, set[str]] = {e.id: set() for e in entries}
    for e in entries:
        for rid in e.record.related:
            if rid in by_id:
                links[e.id].add(rid)
                links[rid].add(e.id)
    order = {e.id: i for i, e in enumerate(entries)}
    return {k: [by_id[r] for r in sorted(v, key=order.__getitem__)] for k, v in links.items()}


def outputs(entries: list[Entry], config: Config, r: Renderer) -> Iterator[Output]:
    """Every file of the site, streamed so memory does not grow with the registry."""
    rules = guide(config)
    related = related_map(entries)
    pages: list[str] = [routes.HOME]
    for e in entries:
        yield r.record_page(e, related[e.id], rules)
        yield from feeds.record_files(e, config)
        pages.append(routes.record_page(e.hex))
    counts = {
        "tier": count_by(entries, lambda e: e.derived.tier),
        "gate": count_by(entries, lambda e: e.derived.gate.status),
        "level": count_by(entries, lambda e: e.derived.level),
        "section": count_by(entries, lambda e: e.record.section),
        "total": len(entries),
    }
    all_facets = facets(entries)
    for facet in all_facets:
        for out in r.listing_pages(facet, counts):
            if out.path != routes.HOME:
                pages.append(out.path)
            yield out
    topics = [f for f in all_facets if f.kind == "topic"]
    graph_edges = sorted({tuple(sorted((e.id, o.id))) for e in entries for o in related[e.id]})
    enums = {"Tier": Tier, "Gate": Gate, "Level": Level, "Section": Section}
    yield r.simple("topics.html", routes.TOPICS, "topics", topics=topics)
    yield r.simple("guide.html", routes.GUIDE, "guide", rules=rules, counts=counts, enums=enums)
    yield r.simple("about.html", routes.ABOUT, "about", counts=counts)
    yield r.simple("graph.html", routes.GRAPH, "graph", entries=[e for e in entries if related[e.id]], edges=graph_edges, related=related)
    yield r.simple("search.html", routes.SEARCH, "search")
    yield r.simple("404.html", routes.NOT_FOUND, "")
    pages += [routes.TOPICS, routes.GUIDE, routes.ABOUT, routes.GRAPH, routes.SEARCH]
    yield feeds.json_feed(entries, config)
    yield r.text("feed.atom", routes.FEED_ATOM, entries=entries)
    yield feeds.records_json(entries, config)
    yield Output(routes.SCHEMA, feeds.dumps(json_schema()))
    yield from feeds.sitemaps(pages, config)
    yield feeds.robots(config)
    yield Output(".nojekyll", b"")
    if config.cname:
        yield Output("CNAME", (config.cname.strip() + "\n").encode("ascii"))


def run_pagefind(site: Path, report: Report) -> None:
    """Index the record pages with Pagefind (SPEC §4), inside the staging tree before it is swapped in."""
    try:
        from pagefind_bin import get_executable

        exe = str(get_executable())
    except (ImportError, FileNotFoundError):
        report.notes.append("Pagefind is not installed (pip install 'pagefind[bin]'); the site has no search index")
        return
    cmd = [exe, "--site", str(site), "--glob", "records/*/index.html", "--output-subdir", "pagefind", "--silent"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PAGEFIND_SITE": str(site)})
    if proc.returncode != 0:
        raise RuntimeError(f"pagefind failed: {proc.stderr.strip() or proc.stdout.strip()}")
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
