"""Render stage: Entries -> HTML pages through Jinja2 templates (SPEC §4).

Templates loop and branch only; rules and wording come from derive.py, formats from
values.py (as filters here). The environment is built once per build and templates compile once.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from markupsafe import Markup

from srchgen.derive import rules as derive
from srchgen.load import git_log
from srchgen.render import cite, marks, routes
from srchgen.config import Config
from srchgen.check.schema import Section
from srchgen.derive.entry import Entry
from srchgen.derive.quality_guide import listing_rule
from srchgen.derive.rules import Gate, Level, Tier
from srchgen.render.marks import DUPES_HEAD, DUPES_INLINE, DUPES_NONE_FILTER, DUPES_NONE_ROW, DUPES_ROW, NAV_CLOSE, NAV_OPEN, RELATED_MARK, ROW_DUPES
from srchgen.render.summary import Summary, Texts, latest_update, texts_key
from srchgen.render.templates import Templates
from srchgen.render.recheck import recheck
from srchgen.render.values import is_pdf, jsonld, signature_text

if TYPE_CHECKING:
    import jinja2

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Output:
    """One file of the site: its path under site/ and its bytes, or a file to copy, or
    `chunks`: a function giving its bytes piece by piece (called to write), so a feed of
    every record is never one string in memory. `key`, when given, stands for its bytes in
    the cache (a digest of everything they are made of), so they need not be read to hash."""

    path: str
    data: bytes = b""
    copy_from: str | None = None
    chunks: Callable[[], Iterable[bytes | memoryview]] | None = None
    key: str | None = None

    def pieces(self) -> Iterable[bytes | memoryview]:
        return self.chunks() if self.chunks is not None else (self.data,)


def joined(start: bytes, items: Iterable[bytes | memoryview], sep: bytes, end: bytes) -> Iterator[bytes]:
    """start + sep.join(items) + end, in pieces of about a megabyte."""
    buf: list[bytes | memoryview] = [start]
    size = len(start)
    first = True
    for item in items:
        if not first:
            buf.append(sep)
        first = False
        buf.append(item)
        size += len(item) + len(sep)
        if size >= 1 << 20:
            yield b"".join(buf)
            buf, size = [], 0
    buf.append(end)
    yield b"".join(buf)


@dataclass(frozen=True)
class Facet:
    """A listing of records: all, one section, tier, gate status, level or topic."""

    kind: str  # "all", "section", "tier", "gate", "level", "topic"
    label: str
    base: str  # directory under site/ ("" for the home listing)
    entries: tuple[Summary, ...]
    description: str = ""


@dataclass(frozen=True)
class Nav:
    label: str
    target: str
    kind: str


NAV = (
    Nav("Index", routes.HOME, "all"),
    Nav("Research", routes.listing_page(routes.section_dir(Section.research), 1), "section:research"),
    Nav("Benchmarks", routes.listing_page(routes.section_dir(Section.benchmarks), 1), "section:benchmarks"),
    Nav("Mathematics", routes.listing_page(routes.section_dir(Section.mathematics), 1), "section:mathematics"),
    Nav("Topics", routes.TOPICS, "topics"),
    Nav("Graph", routes.GRAPH, "graph"),
    Nav("Statistics", routes.STATS, "stats"),
    Nav("Quality guide", routes.GUIDE, "guide"),
    Nav("About", routes.ABOUT, "about"),
)


@functools.lru_cache(maxsize=16)
def _nav_items(sections: frozenset[str] | None) -> tuple[tuple[Nav, str, str], ...]:
    """Renderer._nav, for the sections that have records (None: not known yet)."""
    if sections is None:
        return tuple((n, Markup(NAV_OPEN.format(n.kind)), Markup(NAV_CLOSE)) if n.kind.startswith("section:") else (n, "", "") for n in NAV)
    return tuple((n, "", "") for n in NAV if not n.kind.startswith("section:") or n.kind.removeprefix("section:") in sections)


# What every record renders (record.html's default parents and includes among them): both
# processes of a clean build need them.
RECORD_TEMPLATES = ("record.html", "base.html", "_cite.html", "_history.html", "_related.html", "_row.html", "_atom_entry.xml")

PAGER_REACH = 2  # pages linked on each side of the current one


def pager_window(n: int, total: int) -> list[int | None]:
    """The page numbers a pager shows on page n of total: the first, the last and PAGER_REACH
    either side of n; None where pages are left out (a gap of one page shows that page).
    A constant number of links per page: linking every page would make a listing of P
    pages cost P² links (200 pages at 10,000 records, 2,000 at 100,000)."""
    shown = sorted({1, total, *range(max(1, n - PAGER_REACH), min(total, n + PAGER_REACH) + 1)})
    out: list[int | None] = []
    for k in shown:
        if out and k - out[-1] == 2:  # type: ignore[operator]
            out.append(k - 1)
        elif out and k - out[-1] > 2:  # type: ignore[operator]
            out.append(None)
        out.append(k)
    return out


def facets(summaries: Sequence[Summary]) -> list[Facet]:
    """Every listing the site has. Empty tiers, statuses and levels still get a page (the filters
    link each); a section without records gets none, as the navigation does not link it."""
    out = [Facet("all", "All records", "", tuple(summaries))]
    for s in Section:
        entries = tuple(e for e in summaries if e.section is s)
        if entries:
            out.append(Facet("section", s.value.capitalize(), routes.section_dir(s), entries))
    for t in Tier:
        out.append(Facet("tier", t.value, routes.tier_dir(t), tuple(e for e in summaries if e.tier is t)))
    for g in Gate:
        out.append(Facet("gate", g.value, routes.gate_dir(g), tuple(e for e in summaries if e.gate is g)))
    for lv in Level:
        out.append(Facet("level", lv.value, routes.level_dir(lv), tuple(e for e in summaries if e.level is lv)))
    by_topic: dict[str, list[Summary]] = {}
    for e in summaries:
        for t in e.topics:
            by_topic.setdefault(t, []).append(e)
    for t in sorted(by_topic):
        out.append(Facet("topic", t, routes.topic_dir(t), tuple(by_topic[t])))
    return out


@dataclass
class Page:
    """What every template gets about the page it renders: where it is and how to link."""

    path: str
    config: Config
    section: str  # nav kind this page belongs to ("" for none)
    absolute_links: bool = False  # 404.html is served at any depth: links start at base_path
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.prefix = not_found_prefix(self.config) if self.absolute_links else routes.root_prefix(self.path)

    def url(self, target: str) -> str:
        return self.prefix + target

    def canonical(self, target: str | None = None) -> str | None:
        """The absolute URL of `target` (this page by default); None without base_url."""
        if not self.config.base_url:
            return None
        return self.own_url if target is None else routes.absolute(self.config.base_url, target)

    @functools.cached_property
    def own_url(self) -> str:
        """This page's absolute URL (a record page prints it several times)."""
        return routes.absolute(self.config.base_url or "", self.path)


_GITHUB_REPO = re.compile(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?")


def not_found_prefix(config: Config) -> str:
    """Where 404.html's links start, since GitHub Pages serves it at any depth (SPEC §4): the path
    of base_url; else "/" on a custom domain (cname); else "/<name>/" for a GitHub repository's
    project site (https://github.com/org/name is served at org.github.io/name/); else nothing is
    known, and the links are relative to the site's root (right at the top level and from file://)
    while an inline style (NOT_FOUND_STYLE) keeps the page readable at any depth."""
    if config.base_url:
        return config.base_path
    if config.cname:
        return "/"
    m = _GITHUB_REPO.fullmatch(config.repository or "")
    if m and m.group(2).lower() != f"{m.group(1).lower()}.github.io":
        return f"/{m.group(2)}/"
    return ""


# 404.html's own few rules, for when its stylesheet's address cannot be known (not_found_prefix "");
# allowed by their hash in the page's Content-Security-Policy, so no inline style is allowed wholesale.
NOT_FOUND_STYLE = (
    "body{margin:0;font:1rem/1.6 system-ui,sans-serif;background:#fdfdfc;color:#1d1f21}"
    "header,main,footer{max-width:48rem;margin:0 auto;padding:1rem}a{color:#0b5cad}"
    ".skip{position:absolute;left:-999px}.skip:focus{left:.5rem}nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}"
    "@media (prefers-color-scheme:dark){body{background:#15171a;color:#e6e8ea}a{color:#7ab7ff}}"
)
NOT_FOUND_STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(NOT_FOUND_STYLE.encode()).digest()).decode()

# And its links, for the same case (issue 24: "/records/X/nothing/here/" linked "the index" to
# ".../nothing/here/index.html"): the site's root is the deepest folder of the address whose
# 404.html answers 200 (a miss answers 404, with this very page, on GitHub Pages and under
# `srchgen serve`); its relative links and the full stylesheet are then taken from there. At
# the site's root, or opened as a file, nothing needs to change and nothing does.
NOT_FOUND_SCRIPT = (
    "(function(){var p=location.pathname,r=p.slice(0,p.lastIndexOf('/')+1),c=[];"
    "while(r){c.push(r);if(r==='/')break;r=r.slice(0,r.lastIndexOf('/',r.length-2)+1)}"
    "function fix(root){document.querySelectorAll('a[href]').forEach(function(a){var h=a.getAttribute('href');"
    "if(!/^([a-z][a-z0-9+.-]*:|\\/|#)/i.test(h))a.setAttribute('href',root+h)});"
    "var l=document.createElement('link');l.rel='stylesheet';l.href=root+'assets/style.css';document.head.appendChild(l)}"
    "(function next(i){if(i>=c.length||i===0&&c.length===1)return;fetch(c[i]+'404.html',{method:'HEAD'})"
    ".then(function(x){if(x.ok){if(i>0)fix(c[i])}else next(i+1)},function(){})})(0)})();"
)
NOT_FOUND_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(NOT_FOUND_SCRIPT.encode()).digest()).decode()


class Renderer:
    """Holds the compiled templates for one build."""

    def __init__(self, config: Config, templates: Templates):
        self.config = config
        self.templates = templates
        self._templates: dict[str, jinja2.Template] = {}
        # Each record's changes from git; build() reads it once per build (its key is in the cache's).
        self.history = git_log.History(missing="this site was built without reading the repository's history")
        self.dupes: dict[str, tuple[tuple[str, str], ...]] = {}  # dupes_of(every record), once they are known
        # the sections that have records (their listings are in the navigation), once every record is known
        self.sections: frozenset[str] | None = None
        self._rows: dict[str, str] = {}  # row(): each record's listing row, read once

    @property
    def env(self) -> jinja2.Environment:
        return self.templates.env

    def load(self, names: Iterable[str]) -> None:
        """Compile these templates now (a clean build does before it forks its worker, which then
        inherits Jinja, the environment and the compiled templates instead of making its own)."""
        for name in names:
            if name not in self._templates:
                self._templates[name] = self.env.get_template(name)

    def _render(self, template: str, page: Page, **context: Any) -> bytes:
        tpl = self._templates.get(template)
        if tpl is None:
            tpl = self._templates[template] = self.env.get_template(template)
        html = tpl.render(page=page, site=self.config, nav=self._nav(), url=page.url, **context)
        return html.encode("utf-8")

    def _nav(self) -> tuple[tuple[Nav, str, str], ...]:
        """The navigation, with no link to a section that has no records (SPEC §4, issue 14). A record
        page rendered before every record is known gets each section's item between marks, kept or
        cut by fill_related, so it ends byte-identical to a page rendered later."""
        return _nav_items(self.sections)

    def record_page(self, entry: Entry, related: Sequence[Summary], guide: Any) -> Output:
        return Output(routes.record_page(entry.hex), self.fill_related(self.record_page_unlinked(entry, guide), entry.hex, related))

    def record_page_unlinked(self, entry: Entry, guide: Any) -> bytes:
        """A record page with RELATED_MARK where its related-records section goes (fill_related):
        a clean build renders each page as soon as its record is processed and adds the section
        once every record is known (links go both ways), so no parsed record is held till then."""
        page = Page(routes.record_page(entry.hex), self.config, "section:" + entry.record.section.value)
        context: dict[str, Any] = dict(
            entry=entry,
            related_section=Markup(RELATED_MARK),
            dupes_head=Markup(DUPES_HEAD), dupes_inline=Markup(DUPES_INLINE), dupes_row=Markup(DUPES_ROW),
            dupes_none_row=Markup(DUPES_NONE_ROW), dupes_none_filter=Markup(DUPES_NONE_FILTER),
            jsonld=jsonld(entry, self.config, page.canonical()),
            signature_text=signature_text(entry),
            recheck=recheck(entry, self.config),
            cite=cite.page_view(entry, self.config),
            report_pdf=is_pdf(entry.record.report_url),
            edit_url=git_log.repository_file(self.config.repository, "edit/main", entry.hex),
            source_url=git_log.repository_file(self.config.repository, "blob/main", entry.hex),
            history_section=self.history_section(entry),
        )
        return self._render("record.html", page, d=derive, routes=routes, guide=guide, **context)

    def history_section(self, entry: Entry) -> Markup:
        """The record's merged changes from git (srchgen/load/git_log.py), newest first, or why there are none."""
        h = self.history
        repo = self.config.repository

        def version_url(commit: str) -> str | None:
            return git_log.repository_file(repo, f"blob/{commit}", entry.hex, h.path)

        html = self._render(
            "_history.html", Page(routes.record_page(entry.hex), self.config, ""),
            history=h, changes=h.of(entry.hex), repository=repo, version_url=version_url,
        )
        return Markup(html.decode("utf-8"))

    def fill_related(self, unlinked: bytes, hex_id: str, related: Sequence[Summary]) -> bytes:
        """A record page rendered before every record was known, finished: its related-records
        section, the duplicate-abstract finding and the navigation (fill_nav) in one pass over it."""
        page_path = routes.record_page(hex_id)
        section = self._render("_related.html", Page(page_path, self.config, ""), related=related, routes=routes)
        return marks.fill(unlinked, section, marks.dupes_fills(hex_id, self.dupes), self.sections)

    def fill_json(self, data: bytes | memoryview) -> bytes:
        """A record's JSON text with its `same_abstract_as` filled in (marks.fill_json)."""
        return marks.fill_json(data, self.dupes)

    def listing_chunks(self, facet: Facet) -> Iterator[tuple[int, str, tuple[Summary, ...]]]:
        """(page number, path, records on it) for every page of a listing."""
        size = self.config.page_size
        total = max(1, math.ceil(len(facet.entries) / size))
        for n in range(1, total + 1):
            yield n, routes.listing_page(facet.base, n), facet.entries[(n - 1) * size : n * size]

    def listing_page(self, facet: Facet, n: int, chunk: Sequence[Summary], counts: dict[str, Any], charts: dict[str, Any] | None = None) -> Output:
        size = self.config.page_size
        total = max(1, math.ceil(len(facet.entries) / size))
        path = routes.listing_page(facet.base, n)
        nav = "all" if facet.kind == "all" else f"{facet.kind}:{facet.base.rstrip('/').rsplit('/', 1)[-1]}"
        page = Page(path, self.config, nav if facet.kind in ("all", "section") else ("topics" if facet.kind == "topic" else ""))
        rows_html = Markup("".join(self.row(e, page) for e in chunk))
        pager = {
            "n": n,
            "total": total,
            "prev": routes.listing_page(facet.base, n - 1) if n > 1 else None,
            "next": routes.listing_page(facet.base, n + 1) if n < total else None,
            "pages": [(k, None if k is None else routes.listing_page(facet.base, k)) for k in pager_window(n, total)],
            "first_index": (n - 1) * size + 1,
        }
        rule = listing_rule(facet.kind, facet.label, self.config)  # a tier's or gate status's, in one sentence
        return Output(path, self._render("listing.html", page, facet=facet, rows=rows_html, pager=pager, counts=counts, routes=routes, charts=charts, rule=rule))

    def atom_entry(self, entry: Entry) -> bytes:
        """One record's Atom <entry>, rendered once and kept in its Summary."""
        xml = self._render("_atom_entry.xml", Page(routes.FEED_ATOM, self.config, ""), e=entry, routes=routes).decode("utf-8")
        # Controls that YAML escapes or a body may carry (a warning, SPEC §2) cannot appear in
        # XML 1.0 even as character references; drop them so the feed stays well-formed.
        return _XML_INVALID.sub("", xml).encode("utf-8")

    def atom(self, summaries: Sequence[Texts]) -> Output:
        updated = latest_update(summaries)
        page = Page(routes.FEED_ATOM, self.config, "")
        marker = "<!--srchgen:entries-->"
        before, after = self._render("feed.atom", page, entries_xml=Markup(marker), updated=updated, routes=routes).split(marker.encode())
        return Output(routes.FEED_ATOM, chunks=lambda: joined(before, (s.atom for s in summaries), b"", after), key=texts_key(before, after, summaries))

    def row(self, entry: Summary, page: Page) -> str:
        """One listing row, as `listing_row` made it when the record was processed (kept with
        its texts in the cache's text file), for a page at this depth. Read from there once
        per build (a record is in ~8 listings): ~0.5 kB a record held."""
        row = self._rows.get(entry.hex)
        if row is None:  # its duplicate-abstract flag first: the mark holds the NUL that stands for the prefix
            row = self._rows[entry.hex] = marks.row_dupes(entry.row_html.decode("utf-8"), entry.hex, self.dupes)
        return row.replace("\x00", page.prefix)

    def row_key(self, entry: Summary) -> str:
        """Everything its listing row shows (Summary.row_key and the records sharing its abstract)."""
        return entry.row_key + "\x1f" + marks.dupes_flag(entry.hex, self.dupes)

    def listing_row(self, entry: Summary) -> bytes:
        """A record's row in every listing, with a stand-in for the link prefix (NUL, which no
        record can contain) and a mark for its duplicate-abstract flag (known once every record
        is: `row` fills it): made once per record, in whichever process made its Summary."""
        stand_in = Page(routes.HOME, self.config, "")
        stand_in.prefix = "\x00"
        return self._render("_row.html", stand_in, e=entry, routes=routes, dupes_flag=Markup(ROW_DUPES))

    def simple(self, template: str, path: str, nav: str, **context: Any) -> Output:
        page = Page(path, self.config, nav, absolute_links=(path == routes.NOT_FOUND))
        if page.absolute_links and not page.prefix:
            page.extra["inline_style"] = (NOT_FOUND_STYLE, NOT_FOUND_STYLE_HASH)
            page.extra["inline_script"] = (Markup(NOT_FOUND_SCRIPT), NOT_FOUND_SCRIPT_HASH)
        return Output(path, self._render(template, page, routes=routes, **context))


def count_by(entries: Sequence[Entry], key: Callable[[Entry], Any]) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for e in entries:
        k = key(e)
        out[k] = out.get(k, 0) + 1
    return out
