"""The default theme's record page, listing row and Atom entry in Python: the same bytes as Jinja, 3-4 × faster.

Why: at 10,000 records the record page is the largest single cost of a cold build. Through
Jinja, templates/record.html (with base.html, _cite.html and _history.html) costs ~300 µs a
page: autoescaping every value, filter and url() dispatch, attribute lookups on the context,
and ~270 output fragments. Here each section of the page is one f-string over values read once.
Each record's listing row (_row.html) and Atom entry (_atom_entry.xml) are made once per record
too, so they are here as well.

How it is kept honest: Jinja stays the one source of truth. This module is only used when the
registry overrides none of the templates a part is made from (RECORD_PARTS, ROW_PARTS,
ATOM_PARTS; a registry's own templates/ always wins, through Jinja: `theme_only`), and
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
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Sequence

import jinja2
from markupsafe import Markup, escape

from srchgen import derive, git_log, routes
from srchgen.config import Config
from srchgen.entry import Entry
from srchgen.schema import Section
from srchgen.summary import Summary
from srchgen.render import Nav, Page, filesize, json_script, long_date, score, theme_dir, when

# The templates a record page is made from (record.html extends base.html and includes
# _cite.html; its history section is _history.html). _macros.html is not used by them today,
# but a registry overriding it is customising the theme's pages: leave those to Jinja too.
RECORD_PARTS = ("record.html", "base.html", "_cite.html", "_history.html", "_macros.html")
ROW_PARTS = ("_row.html",)
ATOM_PARTS = ("_atom_entry.xml",)
RELATED_PARTS = ("_related.html",)

_E = escape  # short, since it is on almost every value
_CURRENT = ' aria-current="page"'
_PDF_TYPE = ' type="application/pdf"'


def theme_only(env: jinja2.Environment, names: Sequence[str]) -> bool:
    """Whether `env` loads every one of `names` from the default theme (no registry override)."""
    theme = theme_dir("templates").resolve()
    assert env.loader is not None
    for name in names:
        try:
            _, filename, _ = env.loader.get_source(env, name)
        except jinja2.TemplateNotFound:
            return False
        if filename is None or Path(filename).resolve().parent != theme:
            return False
    return True


@functools.lru_cache(maxsize=None)
def _enum(member: Enum) -> tuple[str, str]:
    """A derived value's escaped text and its escaped |slug: members of a few small enums, done once each."""
    return str(_E(member.value)), str(_E(routes.slug(member.value)))


@functools.lru_cache(maxsize=4096)
def _often(text: str) -> str:
    """Escaped text that recurs across records (reasons, footnotes, the tier's basis, check texts)."""
    return str(_E(text))


_when = functools.lru_cache(maxsize=1024)(when)  # most records share one of a few "Evaluated" values


# --- what every record page of one build shares --------------------------------------------------


@dataclass(frozen=True)
class Chrome:
    """base.html around a record page, for one config, navigation and page section (computed once)."""

    head_open: str  # <!DOCTYPE html> .. <title>
    title_tail: str  # " · site title</title>\n"
    site_name: str  # the escaped site title
    links: str  # stylesheet and icon
    license_link: str  # the Signposting licence link, or ""
    body_open: str  # </head> .. <main id="main">\n
    footer: str  # </main> .. </html>\n
    prefix: str  # url(): the path back to the site's root
    home: str  # escaped url()s of the page's fixed links
    guide: str
    cite_js: str
    sections: dict[Section, tuple[str, str]]  # (escaped listing url, escaped label)


def chrome(config: Config, page: Page, nav: Sequence[tuple[Nav, str, str]]) -> Chrome:
    """base.html's parts for pages at `page`'s depth in `page.section` (templates/base.html)."""
    url = page.url
    site_title = _E(config.title)
    head_open = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
        "style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'\">\n"
        '<meta name="color-scheme" content="light dark">\n<title>'
    )
    assert not page.extra.get("inline_style"), "record pages carry no inline style"
    links = (
        f'<link rel="stylesheet" href="{_E(url("assets/style.css"))}">\n'
        f'<link rel="icon" href="{_E(url("assets/favicon.svg"))}" type="image/svg+xml">\n'
    )
    items = "".join(
        f'{_E(opening)}<li><a href="{_E(url(item.target))}"{_CURRENT if page.section == item.kind else ""}>'
        f"{_E(item.label)}</a></li>\n{_E(closing)}"
        for item, opening, closing in nav
    )
    search_current = _CURRENT if page.section == "search" else ""
    body_open = (
        '</head>\n<body>\n<a class="skip" href="#main">Skip to content</a>\n<header class="site-header">\n'
        f'<a class="brand" href="{_E(url(routes.HOME))}">{site_title}</a>\n<nav aria-label="Main">\n<ul>\n'
        f'{items}<li><a href="{_E(url(routes.SEARCH))}"{search_current}>Search</a></li>\n</ul>\n</nav>\n</header>\n<main id="main">\n'
    )
    lic, repo = config.license, config.repository
    owner = ""
    if lic or repo:
        owner = "<p>"
        if lic:
            owner += f'Records are published under <a href="{_E(lic.url)}" rel="license">{_E(lic.id)}</a>.'
        if lic and repo:
            owner += " "
        if repo:
            owner += f'Source and history: <a href="{_E(repo)}">the registry\'s repository</a>.'
        owner += "</p>\n"
    footer = (
        f'</main>\n<footer class="site-footer">\n<p>{_E(config.provenance_note)}</p>\n{owner}'
        f'<p><a href="{_E(url(routes.FEED_JSON))}">JSON Feed</a> · <a href="{_E(url(routes.FEED_ATOM))}">Atom</a> · '
        f'<a href="{_E(url(routes.RECORDS_JSON))}">All records (JSON, gzip)</a> · <a href="{_E(url(routes.SCHEMA))}">Manifest schema</a></p>\n'
        "</footer>\n</body>\n</html>\n"
    )
    license_link = f'<link rel="license" href="{_E(lic.url)}">\n' if lic else ""
    sections = {s: (str(_E(url(routes.section_dir(s) + "index.html"))), str(_E(s.value.capitalize()))) for s in Section}
    return Chrome(
        head_open, f" · {site_title}</title>\n", str(site_title), links, license_link, body_open, footer, page.prefix,
        str(_E(url(routes.HOME))), str(_E(url(routes.GUIDE))), str(_E(url("assets/cite.js"))), sections,
    )


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
        _record_sections(c, ch, v),
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
    tier, tier_slug = _enum(dv.tier)
    gate, gate_slug = _enum(dv.gate.status)
    doi = ""
    if r.doi:
        doi = f'<div class="fact-doi"><dt data-pagefind-ignore>DOI</dt><dd><a href="https://doi.org/{v.doi}">{v.doi}</a></dd></div>\n'
    checks = dv.checks
    filters = "".join(f'<span data-pagefind-filter="automated check">{_often(k.label)}</span>' for k in checks) if checks else c.dupes_none_filter
    if checks:
        notice = (
            '<p class="notice checks" role="note" data-pagefind-ignore><strong>Automated checks:</strong> '
            f'{"; ".join(_often(k.label) for k in checks)}{c.dupes_inline}. Signals, not verdicts; <a href="#automated-checks">what they found</a>.</p>\n'
        )
    else:
        notice = f"{c.dupes_head}\n"
    status = ""
    if dv.status is not derive.Status.CURRENT:
        text, slug = _enum(dv.status)
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
        f'<div data-pagefind-ignore><dt>Verification</dt><dd data-pagefind-filter="level">{_enum(dv.level)[0]}</dd></div>\n'
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


# Constants of derive.py the page prints, escaped once.
_GATE_NAME = _E(derive.GATE_NAME)
_VERIFICATION_FOOTNOTE = _E(derive.VERIFICATION_FOOTNOTE)
_VERIFICATION_FOOTNOTE_SOURCED = _E(derive.VERIFICATION_FOOTNOTE_SOURCED)
_TIER_FOOTNOTE = _E(derive.TIER_FOOTNOTE)
_DIMENSIONS_FOOTNOTE = _E(derive.DIMENSIONS_FOOTNOTE)
_CORRECTIONS_FOOTNOTE = _E(derive.CORRECTIONS_FOOTNOTE)
_MANIFEST_CONTRACT = _E(derive.MANIFEST_CONTRACT)
_CORRECTION_CONTRACT = _E(derive.CORRECTION_CONTRACT)
_PROVENANCE_CONTRACT = _E(derive.PROVENANCE_CONTRACT)
_GUIDE_LINK_TEXT = _E(derive.GUIDE_LINK_TEXT)


def _record_sections(c: RecordContext, ch: Chrome, v: Shared) -> str:
    return "".join((
        '<div class="record-sections" data-pagefind-ignore>\n',
        _verification(c), _gate(c), _tier(c, ch), _dimensions(c), _corrections(c), _provenance(c, ch, v),
        "</div>\n",
    ))


def _claim_source(c: RecordContext) -> str:
    src = c.entry.record.claims.record_source
    return f'<a href="{_E(src)}" rel="nofollow noopener">{_E(src)}</a>' if src else "not publicly specified"


def _verification(c: RecordContext) -> str:
    r, dv = c.entry.record, c.entry.derived
    foot = _VERIFICATION_FOOTNOTE_SOURCED if r.claims.record_source else _VERIFICATION_FOOTNOTE
    return (
        '<section>\n<h2 id="verification-level">Verification Level</h2>\n<table class="kv">\n'
        f"<tr><th>Paper level</th><td>{_enum(dv.level)[0]}</td></tr>\n"
        f"<tr><th>Source-grounded claims</th><td>{r.claims.source_grounded}</td></tr>\n"
        f"<tr><th>Claim record source</th><td>{_claim_source(c)}</td></tr>\n"
        f'</table>\n<p class="footnote">{foot}</p>\n</section>\n\n'
    )


def _gate(c: RecordContext) -> str:
    e, r, g = c.entry, c.entry.record, c.entry.derived.gate
    status, slug = _enum(g.status)
    initial = ""
    if r.gate_evaluation is None and g.evaluated[:1].isdigit():
        initial = " (when the Gate 2 pipeline was activated; this record itself was not evaluated)"
    signature = f"<tr><th>Signature</th><td>{_E(c.signature_text)}</td></tr>\n" if g.signed is not None else ""
    artifacts = ""
    if e.artifacts:
        base = routes.record_dir(r.hex) + "artifacts/"
        rows = "".join(
            f'<tr><td>{_E(a.kind)}</td><td><a href="{_E(c.page.url(base + a.name))}">{_E(a.name)}</a></td>'
            f'<td class="num">{_E(filesize(a.size))}</td><td><code class="hash">{_E(a.sha256)}</code></td></tr>\n'
            for a in e.artifacts
        )
        artifacts = (
            '<h3>Attached artifacts</h3>\n<div class="table-scroll">\n<table class="artifacts">\n'
            '<thead><tr><th scope="col">Kind</th><th scope="col">File</th><th scope="col" class="num">Size</th><th scope="col">SHA-256</th></tr></thead>\n'
            f"<tbody>\n{rows}</tbody>\n</table>\n</div>\n"
        )
    return (
        '<section>\n<h2 id="gate-verdict">Truth-Engine Gate Verdict</h2>\n<table class="kv">\n'
        f'<tr><th>Status</th><td><span class="badge gate-{slug}">{status}</span></td></tr>\n'
        f"<tr><th>Gate</th><td>{_GATE_NAME}</td></tr>\n"
        f"<tr><th>Reason</th><td>{_often(g.reason)}</td></tr>\n"
        f"<tr><th>Evaluated</th><td>{_when(g.evaluated)}{initial}</td></tr>\n"
        f'{signature}</table>\n<p class="footnote">{_often(g.footnote)}</p>\n{artifacts}</section>\n\n'
    )


def _tier(c: RecordContext, ch: Chrome) -> str:
    dv = c.entry.derived
    tier, slug = _enum(dv.tier)
    checks = dv.checks
    found = "".join(f"<li><strong>{_often(k.label)}.</strong> {_often(k.text)}</li>" for k in checks)
    items = f"{found}{c.dupes_row if checks else c.dupes_none_row}"  # an f-string: Markup's + would escape `found`
    return (
        '<section>\n<h2 id="quality-tier">Quality Tier</h2>\n<table class="kv">\n'
        f'<tr><th>Tier</th><td><span class="badge tier-{slug}">{tier}</span></td></tr>\n'
        f"<tr><th>Basis</th><td>{_often(dv.tier_basis)}</td></tr>\n"
        f'<tr><th id="automated-checks">Automated checks</th><td><ul class="check-list">{items}</ul>'
        f'<a href="{ch.guide}#automated-checks">About the checks</a></td></tr>\n'
        f'</table>\n<p class="footnote">{_TIER_FOOTNOTE}</p>\n</section>\n\n'
    )


def _dimensions(c: RecordContext) -> str:
    return _dimensions_section(c.entry.derived.dimensions)


@functools.lru_cache(maxsize=256)
def _dimensions_section(dimensions: tuple[derive.Dimension, ...]) -> str:
    """The section for one combination of grades (a few dozen exist)."""
    rows = "".join(
        f'<tr><th>{_E(d.name)}</th><td><span class="grade grade-{_E(d.grade.value.lower())}">{_E(d.grade.value)}</span></td></tr>\n'
        for d in dimensions
    )
    return (
        '<section>\n<h2 id="quality-dimensions">Quality Dimensions</h2>\n<table class="kv dimensions">\n'
        f'{rows}</table>\n<p class="footnote">{_DIMENSIONS_FOOTNOTE}</p>\n</section>\n\n'
    )


def _corrections(c: RecordContext) -> str:
    r, dv = c.entry.record, c.entry.derived
    listed = ""
    if r.corrections:
        items = "".join(
            f'<li><time datetime="{_E(k.date.isoformat())}">{_E(long_date(k.date))}</time> <span class="badge">{_enum(k.type)[0]}</span> {_E(k.summary)}</li>\n'
            for k in r.corrections
        )
        listed = f'<ol class="corrections">\n{items}</ol>\n'
    edit = ""
    if c.edit_url:
        edit = (
            f'<p><a href="{_E(c.edit_url)}" rel="nofollow noopener">Suggest a correction</a> '
            "(opens the record's file in the repository; corrections are added as new entries).</p>\n"
        )
    return (
        '<section>\n<h2 id="correction-record">Correction Record</h2>\n<table class="kv">\n'
        f"<tr><th>Status</th><td>{_enum(dv.status)[0]}</td></tr>\n"
        f"<tr><th>Correction count</th><td>{len(r.corrections)}</td></tr>\n</table>\n"
        '<details class="contracts">\n<summary>Contracts</summary>\n<table class="kv">\n'
        f"<tr><th>Manifest contract</th><td>{_MANIFEST_CONTRACT}</td></tr>\n"
        f"<tr><th>Correction contract</th><td>{_CORRECTION_CONTRACT}</td></tr>\n</table>\n</details>\n"
        f'{listed}<p class="footnote">{_CORRECTIONS_FOOTNOTE}</p>\n{edit}</section>\n\n'
    )


def _provenance(c: RecordContext, ch: Chrome, v: Shared) -> str:
    r, dv = c.entry.record, c.entry.derived
    if not r.report_artifact:
        report = "Not available"
    elif r.report_url:
        report = f'<a href="{v.report_url}" rel="nofollow noopener">Available</a>'
    else:
        report = "Available (not linked from this record)"
    return (
        '<section>\n<h2 id="provenance">Provenance</h2>\n<table class="kv">\n'
        f"<tr><th>Publisher</th><td>{v.publisher}</td></tr>\n"
        f"<tr><th>Public provenance</th><td>{_enum(dv.provenance)[0]}</td></tr>\n"
        f"<tr><th>Report artifact</th><td>{report}</td></tr>\n"
        f"<tr><th>External record</th><td>{'Registered' if r.is_registered else 'Not registered'}</td></tr>\n"
        f"<tr><th>Claim lineage</th><td>{_E(derive.plural(r.claims.source_grounded, 'aggregate source-grounded claim'))}</td></tr>\n"
        f"<tr><th>Claim record source</th><td>{_claim_source(c)}</td></tr>\n"
        f"<tr><th>Review method</th><td>{_E(r.review.method or 'not publicly specified')}</td></tr>\n"
        f'<tr><th>Quality guide</th><td><a href="{ch.guide}">{_GUIDE_LINK_TEXT}</a></td></tr>\n'
        f"<tr><th>Note</th><td>{_E(r.note or c.config.provenance_note)}</td></tr>\n</table>\n"
        '<details class="contracts">\n<summary>Contracts</summary>\n<table class="kv">\n'
        f"<tr><th>Provenance contract</th><td>{_PROVENANCE_CONTRACT}</td></tr>\n</table>\n</details>\n</section>\n\n"
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


# --- the history section (templates/_history.html) -----------------------------------------------


def history_section(history: git_log.History, hex_id: str, repository: str | None, version_url: Callable[[str], str | None]) -> Markup:
    """The record's merged changes from git, newest first, or why there are none."""
    if history.missing:
        body = f"<p>No history is shown: {_E(history.missing)}.</p>\n"
    else:
        changes = history.of(hex_id)
        if not changes:
            body = "<p>No committed changes to this record's file yet.</p>\n"
        else:
            rows = []
            for k in changes:
                code = f"<code>{_E(k.short)}</code>"
                commit = f'<a href="{_E(version_url(k.commit))}" rel="nofollow noopener">{code}</a>' if repository else code
                rows.append(
                    f'<tr><td><time datetime="{_E(k.date.isoformat())}">{_E(long_date(k.date))}</time></td><td>{commit}</td>'
                    f'<td>{_E(k.what)}<span class="history-subject"> — {_E(k.subject)}</span></td></tr>\n'
                )
            links = "; each commit links to that version of the file" if repository else ""
            body = (
                '<div class="table-scroll">\n<table class="history rules">\n'
                "<caption class=\"visually-hidden\">Changes to this record's file, newest first</caption>\n"
                "<thead><tr><th>Date</th><th>Commit</th><th>What changed</th></tr></thead>\n"
                f"<tbody>\n{''.join(rows)}</tbody>\n</table>\n</div>\n"
                f"<p class=\"footnote\">Merged changes to the record's file in the registry's repository{links}.</p>\n"
            )
    return Markup(f'<section>\n<h2 id="history">History</h2>\n{body}</section>\n')


def related_section(prefix: str, related: Sequence[Summary]) -> str:
    """A record page's related-records section (templates/_related.html); `prefix` is url()'s."""
    if not related:
        return '<section>\n<h2 id="related-records">Related Records</h2>\n<p>No related records.</p>\n</section>'
    items = "".join(f'<li><a href="{_E(prefix + routes.record_page(o.hex))}">{_E(o.id)}</a> — {_E(o.short_title)}</li>\n' for o in related)
    return f'<section>\n<h2 id="related-records">Related Records</h2>\n<ul class="related">\n{items}</ul>\n</section>'


# --- a listing row (templates/_row.html) and an Atom entry (templates/_atom_entry.xml) -------------


def listing_row(e: Summary, prefix: str) -> str:
    """A record's row in every listing; `prefix` is url()'s (a stand-in, Renderer.listing_row)."""
    tier, tier_slug = _enum(e.tier)
    gate, gate_slug = _enum(e.gate)
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
