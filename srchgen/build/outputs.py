"""Render: every file of the site as a stream of Outputs (record pages and files, listings,
registry pages, feeds, assets); pages the build log still holds fresh are not rendered again.

A clean build renders a record's page as the record is processed and spools it (Made) until
every record is known and its related-records section can be filled in."""

from __future__ import annotations

import struct
import sys
from collections import defaultdict
from itertools import chain
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from srchgen.render import badges, export, feeds, finder, routes
from srchgen.build import budget, parallel, textfiles
from srchgen.build.buildlog import BuildLog, output_digest, problem_rows
from srchgen.config import Config
from srchgen.derive.rules import Gate, Level, Tier
from srchgen.derive.entry import Entry
from srchgen.build.project import Project
from srchgen.derive.quality_guide import guide
from srchgen.render.render import Facet, Output, Renderer, count_by, facets
from srchgen.render.templates import theme_dir
from srchgen.build.scan import Scanned, process_batched, to_plain
from srchgen.check.schema import Section, json_schema
from srchgen.render.summary import SUMMARY_RELATED, Summary, Texts, digest
from srchgen.check.validate import Facts
from srchgen.build.write import fill

if TYPE_CHECKING:
    from srchgen.render.charts import Chart
    from srchgen.build.textfiles import TextBlob
    from srchgen.gate.check import SignatureChecker


@dataclass(frozen=True)
class Made:
    """A processed record's page (without its related-records section) and files, waiting in a
    Spool until every record is known. Held per record until then, so it is kept small: file
    names (shared strings) and their spans packed in one bytes object, not the parsed record."""

    spool: textfiles.Spool
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


def make_record(s: Scanned, config: Config, r: Renderer, rules: Any, blob: "TextBlob", spool: textfiles.Spool) -> None:
    """Summarize a valid processed record and spool its page and files; its Entry is dropped."""
    e = s.entry
    if e is None or s.facts is None:
        return
    element = feeds.record_dict(e, config)  # made once: the export's element and (less two formats) the data file
    s.summary = summarize(e, config, r, s.facts, blob, element)
    base = routes.record_dir(e.hex)
    assert routes.record_page(e.hex) == base + "index.html"
    names, spans, copies = ["index.html"], list(spool.add(r.record_page_unlinked(e, rules))), []
    for o in feeds.record_files(e, config, element):
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


def summarize(e: Entry, config: Config, r: Renderer, facts: Facts, blob: "TextBlob", element: dict[str, Any] | None = None) -> Summary:
    """The record's Summary; its texts (feed item, records.json element, Atom entry, listing
    row) go to the cache's text file now, not into memory. `element`: its feeds.record_dict."""
    rec, d = e.record, e.derived
    item = feeds.fragment(feeds.feed_item(e, config)).encode("utf-8")
    record_json = feeds.fragment(element if element is not None else feeds.record_dict(e, config)).encode("utf-8")
    atom = r.atom_entry(e)
    sm = Summary.make(
        e.id, e.hex, e.short_title, rec.display_title, rec.submitted, e.updated, rec.review.score, rec.section,
        tuple(rec.topics), tuple(rec.related), d.tier, d.gate.status, d.level, d.status, rec.publisher, rec.doi,
        blob.main, (), facts, digest(item, record_json, atom), tuple(c.id for c in d.checks),
    )
    sm.spans = blob.add((item, record_json, atom, r.listing_row(sm)))
    return sm


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


def asset_outputs(project: Project) -> list[Output]:
    """The default theme's assets, overridden file by file by the registry's own assets/."""
    found: dict[str, str] = {}
    for folder in (theme_dir("assets"), project.root / "assets"):
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    found["assets/" + p.relative_to(folder).as_posix()] = str(p)
    outs = [Output(path, copy_from=src) for path, src in sorted(found.items())]
    if project.config.gate_signers:
        # issue 25: the allowed_signers file every published signature was verified against (its
        # bytes are in env_key, so a changed file means a full build); remade with the assets
        outs.append(Output(routes.GATE_SIGNERS, copy_from=str(project.root / project.config.gate_signers)))
    return outs


def site_outputs(
    scanned: Sequence[Scanned], summaries: list[Summary], config: Config, r: Renderer, log: BuildLog, env: str, assets: list[Output],
    related: dict[str, list[Summary]],
) -> Iterator[Output]:
    """Every file of the site, streamed; pages whose inputs did not change are not rendered again."""
    from srchgen.render import charts  # here, not above: a build that edits records in place draws no chart

    rules = guide(config)
    pages: list[tuple[str, str | None]] = [(routes.HOME, None)]  # the sitemap's (page, lastmod)
    if log.same_registry:
        # Only the processed records' pages can differ; the rest of the site is kept as it is,
        # but the feeds and assets, which are remade below.
        made = [s for s in scanned if s.entry is not None or s.made is not None]
        log.keep_all_but(
            frozenset((*REGISTRY_TEXTS, routes.GATE_SIGNERS)), ("assets/", *(f"records/{s.summary.hex}/" for s in made)),  # type: ignore[union-attr]
            frozenset(routes.record_page(s.summary.hex) for s in made),  # type: ignore[union-attr]
        )
        scanned = made
    for s in scanned:
        sm = s.summary
        assert sm is not None
        path = routes.record_page(sm.hex)
        pages.append((path, sm.updated_iso))
        log.record(path, key=log.record_key(sm, env, related[sm.id]))
        if s.remote is not None:
            continue  # the worker process writes this record's files
        if s.made is not None:
            yield from s.made.outputs(r, sm.hex, related[sm.id])
            s.made = None
            continue
        if s.entry is None:
            log.keep_record(sm.hex)
            continue
        yield r.record_page(s.entry, related[sm.id], rules)
        yield from record_files(s.entry, config, r)
        s.entry = None  # written: its parsed record and HTML are not needed again (peak memory)
    if log.same_registry:
        yield from registry_texts(summaries, config, r, log.export)
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
            key = log.page_key(path, env, facet.kind, facet.label, str(n), str(len(facet.entries)), counts_key, *(r.row_key(e) for e in chunk))
            if log.fresh(path, key):
                log.keep(path)
                continue
            # the home page's compact charts show only the tier, gate and level counts, which are in counts_key
            yield r.listing_page(facet, n, chunk, counts, figures if facet.kind == "all" and n == 1 else None)
    yield from aggregate_outputs(summaries, all_facets, related, counts, rules, config, r, figures, log.export)
    yield from assets
    pages += [(p, None) for p in (routes.TOPICS, routes.GUIDE, routes.ABOUT, routes.GRAPH, routes.STATS, routes.SEARCH)]
    yield from feeds.sitemaps(pages, config)


def aggregate_outputs(
    summaries: list[Summary], all_facets: list[Facet], related: dict[str, list[Summary]], counts: dict[str, Any],
    rules: Any, config: Config, r: Renderer, figures: dict[str, Chart], segments: export.Segments | None = None,
) -> Iterator[Output]:
    """Pages and feeds about the whole registry; cheap, rebuilt every time and written only when changed."""
    from srchgen.render import graph  # here, not above: a build that edits records in place draws no graph

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
    yield from registry_texts(summaries, config, r, segments)
    yield finder.filter_output(summaries, r.dupes)
    yield Output(routes.SCHEMA, feeds.dumps(json_schema()))
    yield feeds.robots(config)
    yield Output(".nojekyll", b"")
    if config.cname:
        yield Output("CNAME", (config.cname.strip() + "\n").encode("ascii"))


REGISTRY_TEXTS = (routes.FEED_JSON, routes.FEED_ATOM, routes.RECORDS_JSON)


def registry_texts(summaries: Sequence[Texts], config: Config, r: Renderer, segments: export.Segments | None = None) -> Iterator[Output]:
    """The feeds (the newest `feed_size` records) and the data export (every record), from the
    records' texts in listing order (REGISTRY_TEXTS; SPEC §8); `segments`: the last build's
    export, whose unchanged segments are copied (BuildLog.export)."""
    newest = summaries[: config.feed_size]
    yield feeds.json_feed(newest, config)
    yield r.atom(newest)
    yield export.records_export(summaries, config, r.fill_json, segments)


def handover(scanned: Sequence[Scanned], related: dict[str, list[Summary]]) -> list[tuple[Any, ...]]:
    """The parent's spooled record pages, for both processes to fill in and write in phase 2
    (start_worker, shared_pages); each one is from now on a record the worker holds."""
    taken = []
    for s in scanned:
        if s.made is not None and s.summary is not None:
            m, sm = s.made, s.summary
            taken.append((sm.hex, m.names, m.spans, m.copies, [(o.hex, o.id, o.short_title) for o in related[sm.id]]))
            s.remote, s.made = (s.arts, problem_rows(s.problems)), None
    return taken


def shared_pages(handed: Sequence[tuple[Any, ...]], spool: textfiles.Spool, chunks: parallel.Chunks, r: Renderer) -> Iterator[Output]:
    """The handed-over pages (handover) this process takes, as it takes them: both processes
    take from the same list (parallel.Chunks), the worker once its own pages are written, the
    parent once its listings and feeds are, so neither waits long for the other."""
    for chunk in chunks.take(handed):
        for hex_id, names, spans, copies, rel in chunk:
            yield from Made(spool, names, spans, copies).outputs(r, hex_id, parallel.related_view(rel))


def start_worker(
    project: Project, r: Renderer, todo: list[tuple[Path, tuple[int, int, int]]], checker: "SignatureChecker | None",
    spool: textfiles.Spool,
) -> tuple[parallel.Worker, parallel.Chunks]:
    """Fork the worker for `todo`: it processes them now and, when told to, fills in and writes
    their pages and its share of the parent's (shared_pages: read from the parent's `spool`,
    which it inherits open). Returns the worker and the Chunks the parent takes its share by."""
    held: list[tuple[str, Made]] = []
    chunks = parallel.Chunks()

    def phase1() -> tuple[str, list[tuple[Any, ...]]]:
        texts = textfiles.WorkerTexts(project.out)
        own = textfiles.Spool(project.out)
        rules = guide(project.config)
        out = []
        for s in process_batched(project, todo, checker, True, lambda s: make_record(s, project.config, r, rules, texts, own)):
            out.append(to_plain(s))
            if s.made is not None and s.summary is not None:
                held.append((s.summary.hex, s.made))  # all phase 2 needs: the parent has the rest
        texts.close()
        return (texts.name, out)

    def phase2(message: Any) -> tuple[list[tuple[str, str]], budget.Usage]:
        staging, related = parallel.staging_path(message), message[1]
        r.dupes, r.sections = message[2], message[3]
        written: list[tuple[str, str]] = []
        usage = budget.Usage(hashes={})  # what it wrote, for the site's budget (SPEC §8) and manifest without walking the tree

        def outputs() -> Iterator[Output]:
            for o in chain(*(made.outputs(r, h, parallel.related_view(related.get(h, []))) for h, made in held), shared_pages(message[4], spool, chunks, r)):
                written.append((o.path, output_digest(o)))
                yield o

        fill(staging, outputs(), usage)
        return written, usage

    return parallel.Worker(phase1, phase2), chunks
