"""The default theme's record page, listing row and Atom entry in Python: the same bytes as Jinja, 3-4 × faster.

Why: at 10,000 records the record page is the largest single cost of a cold build. Through
Jinja, templates/record.html (with base.html, _cite.html and _history.html) costs ~300 µs a
page: autoescaping every value, filter and url() dispatch, attribute lookups on the context,
and ~270 output fragments. Here each section of the page is one f-string over values read once.
Each record's listing row (_row.html) and Atom entry (_atom_entry.xml) are made once per record
too, so they are here as well. The page's long sections (verification level to provenance, and
the history) are in srchgen/render/fastsections.py, and base.html around it in fastparts.py.

How it is kept honest: Jinja stays the one source of truth. This module is only used when the
registry overrides none of the templates a part is made from (RECORD_PARTS, ROW_PARTS,
ATOM_PARTS; a registry's own templates/ always wins, through Jinja: templates.Templates.theme_only), and
tests/test_fastpage.py renders every record page, row and Atom entry of every valid corpus, a
matrix of field variations and generated registries both ways and compares the bytes, so an
edit to one of those templates that is not mirrored here fails the suite. Values are escaped
with markupsafe.escape exactly where Jinja autoescapes them (the marks and the Markup values
the context carries go in as they are); text that is a constant of the template is written
as the template has it, and so are values the schema already confines to characters escaping
leaves alone (a record id, SRCH:[0-9A-F]{8}; topic slugs; ISO dates; the score; integers).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Sequence

from markupsafe import Markup, escape

from srchgen.derive import rules as derive
from srchgen.render import routes
from srchgen.config import Config
from srchgen.derive.entry import Entry
from srchgen.render.fastparts import Chrome, enum_text, often
from srchgen.render.fastsections import record_sections
from srchgen.render.render import Page
from srchgen.render.summary import Summary
from srchgen.render.values import json_script, long_date, score

# The templates a record page is made from (record.html extends base.html and includes
# _cite.html; its history section is _history.html). _macros.html is not used by them today,
# but a registry overriding it is customising the theme's pages: leave those to Jinja too.
RECORD_PARTS = ("record.html", "base.html", "_cite.html", "_history.html", "_macros.html")
ROW_PARTS = ("_row.html",)
ATOM_PARTS = ("_atom_entry.xml",)
FEED_PARTS = ("feed.atom",)
RELATED_PARTS = ("_related.html",)

_E = escape  # short, since it is on almost every value
_PDF_TYPE = ' type="application/pdf"'


# --- the record page, section by section (templates/record.html) ---------------------------------


@dataclass(frozen=True)
class RecordContext:
    """What record_page_unlinked hands both renderers (the Jinja context, minus the constants)."""

    entry: Entry
    page: Page
    config: Config
    jsonld: dict[str, Any]
    signature_text: str
    cite: dict[str, Markup]
    report_pdf: bool
    edit_url: str | None
    source_url: str | None
    history_section: Markup
    related_section: Markup
    dupes_head: Markup
    dupes_inline: Markup
    dupes_row: Markup
    dupes_none_row: Markup
    dupes_none_filter: Markup


@dataclass(frozen=True, slots=True)
class Shared:
    """Values several sections of one page print, escaped once."""

    title: str  # r.display_title
    publisher: str
    canonical: str  # "" without base_url
    doi: str  # "" without a DOI
    report_url: str  # "" without one


def record_page(c: RecordContext, ch: Chrome) -> str:
    """The whole page, as record.html renders it."""
    r = c.entry.record
    canonical = c.page.canonical()
    v = Shared(
        str(_E(r.display_title)), str(_E(r.publisher)), str(_E(canonical)) if canonical else "",
        str(_E(r.doi)) if r.doi else "", str(_E(r.report_url)) if r.report_url else "",
    )
    return "".join((
        ch.head_open, _E(c.entry.short_title), " · ", r.id, ch.title_tail,
        _meta(c, ch, v),
        f'<link rel="canonical" href="{v.canonical}">\n' if v.canonical else "",
        ch.links,
        _signposting(c, ch, v),
        ch.body_open,
        _breadcrumb(c, ch),
        _record_header(c, ch, v),
        _abstract_and_cite(c, ch),
        record_sections(c, ch, v),
        _data(c, ch, v),
        ch.footer,
    ))


def _meta(c: RecordContext, ch: Chrome, v: Shared) -> str:
    r = c.entry.record
    title, publisher = v.title, v.publisher
    summary = c.entry.summary
    if len(summary) > 160:  # |truncate(160, true, '…', 0)
        summary = summary[:159] + "…"
    submitted = r.submitted.isoformat()
    out = [
        f'<meta name="description" content="{_E(summary)}">\n'
        f'<meta name="citation_title" content="{title}">\n'
        f'<meta name="citation_author" content="{publisher}">\n'
        f'<meta name="citation_publisher" content="{publisher}">\n'
        f'<meta name="citation_publication_date" content="{r.submitted.strftime("%Y/%m/%d")}">\n'
        f'<meta name="citation_technical_report_number" content="{r.id}">\n'
    ]
    if r.doi:
        out.append(f'<meta name="citation_doi" content="{v.doi}">\n')
    if r.topics:
        out.append(f'<meta name="citation_keywords" content="{"; ".join(r.topics)}">\n')
    if v.canonical:
        out.append(f'<meta name="citation_abstract_html_url" content="{v.canonical}">\n<meta property="og:url" content="{v.canonical}">\n')
    out.append(
        f'<meta property="og:type" content="article">\n<meta property="og:title" content="{title}">\n'
        f'<meta property="og:site_name" content="{ch.site_name}">\n<meta property="article:published_time" content="{submitted}">\n'
    )
    if c.report_pdf:
        out.append(f'<meta name="citation_pdf_url" content="{v.report_url}">\n')
    out.append(f'<script type="application/ld+json">{json_script(c.jsonld)}</script>\n')
    return "".join(out)


def _signposting(c: RecordContext, ch: Chrome, v: Shared) -> str:
    """FAIR Signposting level 1: the landing page's typed links (the head block)."""
    r = c.entry.record
    out = []
    if r.doi:
        out.append(f'<link rel="cite-as" href="https://doi.org/{v.doi}">\n')
    elif v.canonical:
        out.append(f'<link rel="cite-as" href="{v.canonical}">\n')
    out.append(
        '<link rel="describedby" href="record.json" type="application/json">\n'
        '<link rel="type" href="https://schema.org/ScholarlyArticle">\n<link rel="type" href="https://schema.org/AboutPage">\n'
    )
    if r.report_url:
        out.append(f'<link rel="item" href="{v.report_url}"{_PDF_TYPE if c.report_pdf else ""}>\n')
    for a in c.entry.artifacts:
        out.append(f'<link rel="item" href="{_E("artifacts/" + a.name)}">\n')
    out.append(ch.license_link)
    return "".join(out)


def _breadcrumb(c: RecordContext, ch: Chrome) -> str:
    href, label = ch.sections[c.entry.record.section]
    return (
        '<nav class="breadcrumb" aria-label="Breadcrumb"><ol>\n'
        f'<li><a href="{ch.home}">Index</a></li>\n'
        f'<li><a href="{href}">{label}</a></li>\n'
        f'<li><span aria-current="page">{c.entry.record.id}</span></li>\n</ol></nav>\n'
    )


def _record_header(c: RecordContext, ch: Chrome, v: Shared) -> str:
    r, dv = c.entry.record, c.entry.derived
    href, label = ch.sections[r.section]
    topics = "".join(f'<a class="chip" href="{ch.prefix}{routes.topic_dir(t)}index.html">{t}</a>\n' for t in r.topics)
    report = ""
    if r.report_url:
        report = f' · <a href="{v.report_url}" rel="nofollow noopener">Report{" (PDF)" if c.report_pdf else ""}</a>'
    submitted = r.submitted.isoformat()
    tier, tier_slug = enum_text(dv.tier)
    gate, gate_slug = enum_text(dv.gate.status)
    doi = ""
    if r.doi:
        doi = f'<div class="fact-doi"><dt data-pagefind-ignore>DOI</dt><dd><a href="https://doi.org/{v.doi}">{v.doi}</a></dd></div>\n'
    checks = dv.checks
    filters = "".join(f'<span data-pagefind-filter="automated check">{often(k.label)}</span>' for k in checks) if checks else c.dupes_none_filter
    if checks:
        notice = (
            '<p class="notice checks" role="note" data-pagefind-ignore><strong>Automated checks:</strong> '
            f'{"; ".join(often(k.label) for k in checks)}{c.dupes_inline}. Signals, not verdicts; <a href="#automated-checks">what they found</a>.</p>\n'
        )
    else:
        notice = f"{c.dupes_head}\n"
    status = ""
    if dv.status is not derive.Status.CURRENT:
        text, slug = enum_text(dv.status)
        status = (
            f'<p class="notice status-{slug}" role="note">Correction status: <strong>{text}</strong>. '
            'See the <a href="#correction-record">correction record</a>.</p>\n'
        )
    return (
        '<article data-pagefind-body>\n<header class="record-header">\n'
        f'<p class="record-kicker"><span class="record-id" data-pagefind-meta="id">{r.id}</span>\n'
        f'<a class="chip chip-section" href="{href}" data-pagefind-filter="section">{label}</a>\n{topics}</p>\n'
        f'<h1 data-pagefind-meta="title">{v.title}</h1>\n'
        f'<p class="byline">By <span class="publisher">{v.publisher}</span>{report}<span data-pagefind-ignore> · <a href="#cite">Cite</a></span></p>\n'
        '<dl class="facts">\n'
        f'<div data-pagefind-ignore><dt>Submitted</dt><dd><time datetime="{submitted}" data-pagefind-meta="submitted" '
        f'data-pagefind-sort="date:{submitted}">{long_date(r.submitted)}</time></dd></div>\n'
        f'<div data-pagefind-ignore><dt>Review score</dt><dd><span data-pagefind-meta="score">{score(r.review.score)}</span>/10</dd></div>\n'
        f'<div data-pagefind-ignore><dt>Quality tier</dt><dd><span class="badge tier-{tier_slug}" data-pagefind-filter="tier" '
        f'data-pagefind-meta="tier">{tier}</span></dd></div>\n'
        f'<div data-pagefind-ignore><dt>Gate status</dt><dd><span class="badge gate-{gate_slug}" data-pagefind-filter="gate" '
        f'data-pagefind-meta="gate">{gate}</span></dd></div>\n'
        f'<div data-pagefind-ignore><dt>Verification</dt><dd data-pagefind-filter="level">{enum_text(dv.level)[0]}</dd></div>\n'
        f"<div data-pagefind-ignore><dt>Verified claims</dt><dd>{r.claims.source_grounded}</dd></div>\n"
        f"{doi}"
        f"<div hidden data-pagefind-ignore><dt>Automated checks</dt><dd>{filters}</dd></div>\n</dl>\n"
        f"{notice}{status}</header>\n\n"
    )


def _abstract_and_cite(c: RecordContext, ch: Chrome) -> str:
    e, cite = c.entry, c.cite
    rest = f'<div class="prose body-sections">{e.rest_html}</div>\n' if e.rest_html else ""
    return (
        f'<section>\n<h2 id="abstract">Abstract</h2>\n<div class="prose">{e.abstract_html}</div>\n</section>\n'
        f'<section id="cite" class="cite" aria-labelledby="cite-h" data-name="{cite["name"]}" data-pagefind-ignore>\n'
        '<h2 id="cite-h">Cite</h2>\n'
        f'<p class="cite-as"><strong>Cite as</strong> {cite["text"]}</p>\n'
        f'<details><summary>BibTeX</summary><pre data-cite="bib">{cite["bibtex"]}</pre></details>\n'
        f'<details><summary>RIS</summary><pre data-cite="ris">{cite["ris"]}</pre></details>\n'
        '<p data-cite-csl>CSL-JSON: in the <a href="record.json">record data (JSON)</a>, with the manifest and derived fields.</p>\n'
        f'<script src="{ch.cite_js}" defer></script>\n</section>\n'
        f"{rest}\n"
        f'<section>\n<h2 id="research-question">Research Question</h2>\n<p class="question">{_E(e.record.research_question)}</p>\n</section>\n\n'
    )


def _data(c: RecordContext, ch: Chrome, v: Shared) -> str:
    """The history and related sections (given), then the Data section with the status badge."""
    dv = c.entry.derived
    badge, alt = _badge(dv.tier, dv.gate.status)
    source = f'<li><a href="{_E(c.source_url)}" rel="nofollow noopener">Record file in the repository</a></li>' if c.source_url else ""
    embed = ""
    if v.canonical:
        page_url, badge_url = v.canonical, _E(c.page.canonical(badge))
        embed = (
            '<details class="contracts">\n<summary>Embed this status badge</summary>\n<p>Markdown:</p>\n'
            f"<pre><code>[![{alt}]({badge_url})]({page_url})</code></pre>\n<p>HTML:</p>\n"
            f'<pre><code>&lt;a href="{page_url}"&gt;&lt;img src="{badge_url}" alt="{alt}"&gt;&lt;/a&gt;</code></pre>\n</details>\n'
        )
    return (
        f"<div data-pagefind-ignore>\n{c.history_section}\n{c.related_section}\n\n"
        '<section>\n<h2 id="data">Data</h2>\n<ul class="downloads">\n'
        f'<li><a href="record.json">Manifest and derived fields (JSON)</a></li>\n{source}</ul>\n'
        f'<p class="badge-embed"><img src="{_E(c.page.url(badge))}" alt="{alt}" height="20"></p>\n'
        f"{embed}</section>\n</div>\n</article>\n"
    )


@functools.lru_cache(maxsize=None)
def _badge(tier: derive.Tier, gate: derive.Gate) -> tuple[str, str]:
    """The status badge's path and its escaped alt text."""
    return f"badges/{routes.slug(tier.value)}--{routes.slug(gate.value)}.svg", str(_E(f"SRCH: {tier.value} · Gate 2 {gate.value}"))


def related_section(prefix: str, related: Sequence[Summary]) -> str:
    """A record page's related-records section (templates/_related.html); `prefix` is url()'s."""
    if not related:
        return '<section>\n<h2 id="related-records">Related Records</h2>\n<p>No related records.</p>\n</section>'
    items = "".join(f'<li><a href="{_E(prefix + routes.record_page(o.hex))}">{_E(o.id)}</a> — {_E(o.short_title)}</li>\n' for o in related)
    return f'<section>\n<h2 id="related-records">Related Records</h2>\n<ul class="related">\n{items}</ul>\n</section>'


# --- a listing row (templates/_row.html) and an Atom entry (templates/_atom_entry.xml) -------------


def listing_row(e: Summary, prefix: str) -> str:
    """A record's row in every listing; `prefix` is url()'s (a stand-in, Renderer.listing_row)."""
    tier, tier_slug = enum_text(e.tier)
    gate, gate_slug = enum_text(e.gate)
    level = e.level.name  # an enum member's name (L1..L3), like the section's value: nothing to escape
    return (
        f'<tr data-f="{tier_slug} {gate_slug} {level.lower()} {e.section.value}"><td>{e.id}</td>'
        f'<td><a href="{_E(prefix + routes.record_page(e.hex))}">{_E(e.short_title)}</a></td>'
        f"<td>{long_date(e.submitted)}</td><td>{score(e.score)}</td>"
        f'<td><span class="badge tier-{tier_slug}">{tier}</span></td><td><span class="badge">{level}</span></td>'
        f'<td><span class="badge gate-{gate_slug}">{gate}</span></td></tr>\n'
    )


def atom_entry(e: Entry, config: Config) -> str:
    """One record's Atom <entry> (before Renderer.atom_entry drops characters XML cannot hold)."""
    r = e.record
    link = ""
    if config.base_url:
        link = f'    <link rel="alternate" href="{_E(routes.absolute(config.base_url, routes.record_page(e.hex)))}"/>\n'
    categories = "".join(f'    <category term="{t}"/>\n' for t in r.topics)
    return (
        f"  <entry>\n    <id>urn:srchgen:{r.id}</id>\n    <title>{_E(r.display_title)}</title>\n{link}"
        f"    <published>{r.submitted.isoformat()}T00:00:00Z</published>\n"
        f"    <updated>{e.updated.isoformat()}T00:00:00Z</updated>\n"
        f"    <author><name>{_E(r.publisher)}</name></author>\n{categories}"
        f"    <summary>{_E(e.summary)}</summary>\n"
        f'    <content type="html">{_E(e.abstract_html + e.rest_html)}</content>\n  </entry>\n'
    )


def atom_frame(config: Config, updated: Any) -> tuple[str, str]:
    """feed.atom around its entries: what comes before them and after (Renderer.atom), so that
    an edit, which remakes the feed, never needs Jinja."""
    links = ""
    if config.base_url:
        base = _E(config.base_url)
        links = f'  <link rel="self" href="{base}feed.atom"/>\n  <link rel="alternate" href="{base}"/>\n'
    day = _E(updated.isoformat() if updated else "1970-01-01")
    before = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <title>{_E(config.title)}</title>\n  <subtitle>{_E(config.description)}</subtitle>\n"
        f"  <id>urn:srchgen:feed</id>\n{links}  <updated>{day}T00:00:00Z</updated>\n"
    )
    return before, "</feed>\n"
