"""A listing page (templates/listing.html in base.html) without Jinja, byte for byte the same.

Jinja took ~0.6 ms a listing page, ~1 s of a clean build at 10,000 records (1,621 pages) and
~10 s at 100,000, all of it in the parent process while the worker writes record pages. Used,
like srchgen/render/fastpage.py, only when the registry overrides none of LISTING_PARTS;
tests/test_fastpage.py renders every listing page of its registries both ways and compares.
"""

from __future__ import annotations

from typing import Any, Sequence

from markupsafe import escape as _E

from srchgen.derive import rules as derive
from srchgen.render import routes
from srchgen.config import Config
from srchgen.render.fastparts import Chrome
from srchgen.render.render import Facet, Page

LISTING_PARTS = ("listing.html", "base.html", "_macros.html")

_HEADINGS = {"section": "Section", "tier": "Quality tier", "gate": "Gate status", "level": "Verification level", "topic": "Topic"}
_NOSCRIPT_TIERS = (("Quarantine candidate", "tiers/quarantine-candidate/"), ("Watchlist", "tiers/watchlist/"), ("DOI grade", "tiers/doi-grade/"))
_TABLE_HEAD = (
    '<table class="records">\n  <caption class="visually-hidden">Records, newest first</caption>\n  <thead>\n'
    '    <tr><th scope="col">ID</th><th scope="col">Title</th><th scope="col">Submitted</th><th scope="col">Score</th>'
    '<th scope="col">Tier</th><th scope="col">Level</th><th scope="col">Gate</th></tr>\n  </thead>\n  <tbody>\n  '
)


def listing_page(
    config: Config, page: Page, ch: Chrome, facet: Facet, rows: str, pager: dict[str, Any],
    counts: dict[str, Any], choices: Sequence[tuple[str, str, Sequence[tuple[str, str]]]],
) -> str:
    """Renderer.listing_page's page; `ch`: base.html's parts for it (fastparts.chrome); `rows`:
    the listing rows, ready (Renderer.row)."""
    assert not page.extra.get("inline_style"), "listing pages carry no inline style"
    url = page.url
    kind = facet.kind
    heading = str(_E(config.title if kind == "all" else f"{_HEADINGS[kind]}: {facet.label}"))
    title = heading
    if pager["total"] > 1:
        title += f" (page {pager['n']} of {pager['total']})"
    if kind != "all":
        title += " · " + ch.site_name
    canonical = page.canonical()
    head = (
        f'{ch.head_open}{title}</title>\n<meta name="description" content="{_E(config.description)}">\n'
        + (f'<link rel="canonical" href="{_E(canonical)}">\n' if canonical else "")
        + ch.links
        + f'<link rel="alternate" type="application/feed+json" title="{ch.site_name} (JSON Feed)" href="{_E(url(routes.FEED_JSON))}">\n'
        f'<link rel="alternate" type="application/atom+xml" title="{ch.site_name} (Atom)" href="{_E(url(routes.FEED_ATOM))}">\n'
        f'<script src="{_E(url("assets/filter.js"))}" defer></script>\n'
    )
    crumbs = ""
    if kind != "all":
        topics = f'<li><a href="{_E(url(routes.TOPICS))}">Topics</a></li>' if kind == "topic" else ""
        crumbs = (
            f'<nav class="breadcrumb" aria-label="Breadcrumb"><ol>\n  <li><a href="{ch.home}">Index</a></li>\n'
            f'{topics}  <li><span aria-current="page">{_E(facet.label)}</span></li>\n</ol></nav>\n'
        )
    if kind == "all":
        lede = f'<p class="lede">{_E(config.description)} {_E(derive.plural(counts["total"], "record"))}, newest first.</p>\n'
    else:
        lede = f'<p class="lede">{_E(derive.plural(len(facet.entries), "record"))}, newest first.</p>\n'
    return f"{head}{ch.body_open}{crumbs}<h1>{heading}</h1>\n{lede}{_filters(kind, url)}{_form(facet, pager, url, choices)}{_table(rows)}{_pager(pager, url)}{ch.footer}"


def _filters(kind: str, url: Any) -> str:
    if kind != "all":
        return ""
    tiers = "".join(f'    <a href="{_E(url(t + "index.html"))}">{name}</a>\n' for name, t in _NOSCRIPT_TIERS)
    gates = "".join(f'    <a href="{_E(url("gate/" + routes.slug(name) + "/index.html"))}">{name}</a>\n' for name in ("Verified", "Pending", "Failed", "Unverified"))
    levels = "".join(f'    <a href="{_E(url("levels/" + lv.lower() + "/index.html"))}">{lv}</a>\n' for lv in ("L1", "L2", "L3"))
    return (
        '<noscript>\n<nav class="filters" aria-label="Filter records">\n'
        f'  <p><span class="filter-label">Tier:</span>\n{tiers}</p>\n'
        f'  <p><span class="filter-label">Gate:</span>\n{gates}</p>\n'
        f'  <p><span class="filter-label">Level:</span>\n{levels}</p>\n'
        "</nav>\n</noscript>\n"
    )


def _form(facet: Facet, pager: dict[str, Any], url: Any, choices: Sequence[tuple[str, str, Sequence[tuple[str, str]]]]) -> str:
    if not facet.entries:
        return ""
    scope_kind = "" if facet.kind == "all" else facet.kind
    scope_value = facet.base.rstrip("/").split("/")[-1]
    fields = "".join(
        f'    <label>{_E(label)} <select name="{_E(field)}"><option value="">Any</option>'
        + "".join(f'<option value="{_E(value)}">{_E(text)}</option>' for value, text in options)
        + "</select></label>\n"
        for field, label, options in choices
        if field != scope_kind
    )
    return (
        f'<form class="instant-filter" hidden data-index="{_E(url("filter-index.json"))}" data-root="{_E(url(routes.HOME)[:-10])}" '
        f'data-scope-kind="{_E(scope_kind)}" data-scope-value="{_E(scope_value)}" data-total="{len(facet.entries)}" '
        f'data-pages="{pager["total"]}" aria-label="Filter these records">\n  <div class="filter-fields">\n'
        '    <label>Words in ID or title <input type="search" name="q" autocomplete="off" spellcheck="false"></label>\n'
        f'{fields}    <button type="reset">Clear</button>\n  </div>\n  <p class="filter-status" role="status"></p>\n</form>\n'
    )


def _table(rows: str) -> str:
    if not rows:
        return '<p class="empty">No records.</p>\n'
    return f"{_TABLE_HEAD}{rows}\n  </tbody>\n</table>\n\n"  # the macro's own newline, then the template's


def _pager(pager: dict[str, Any], url: Any) -> str:
    if pager["total"] <= 1:
        return ""
    items = []
    if pager["prev"]:
        items.append(f'<li><a href="{_E(url(pager["prev"]))}" rel="prev">Previous</a></li>')
    for k, target in pager["pages"]:
        if k is None:
            items.append('    <li class="gap">…</li>\n')
        elif k == pager["n"]:
            items.append(f'    <li><span aria-current="page">{k}</span></li>\n')
        else:
            items.append(f'    <li><a href="{_E(url(target))}">{k}</a></li>\n')
    if pager["next"]:
        items.append(f'<li><a href="{_E(url(pager["next"]))}" rel="next">Next</a></li>')
    return '<nav class="pager" aria-label="Pages">\n  <ul>\n' + "".join(items) + "  </ul>\n</nav>\n"
