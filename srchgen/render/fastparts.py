"""What the default theme's pages written without Jinja share: base.html around them, and escaping.

srchgen/render/fastpage.py (the record page, row and Atom entry), fastsections.py (the record page's
long sections) and fastlisting.py (listing pages) each print templates/base.html's head,
navigation and footer (Chrome, made once per depth and section: Renderer.chrome) and escape the
derived values that recur across records once (enum_text, often). Apart so that those modules
depend on this one and not on each other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

from markupsafe import escape

from srchgen.render import routes
from srchgen.config import Config
from srchgen.render.render import Nav, Page
from srchgen.check.schema import Section

_E = escape  # short, since it is on almost every value
_CURRENT = ' aria-current="page"'


@functools.lru_cache(maxsize=None)
def enum_text(member: Enum) -> tuple[str, str]:
    """A derived value's escaped text and its escaped |slug: members of a few small enums, done once each."""
    return str(_E(member.value)), str(_E(routes.slug(member.value)))


@functools.lru_cache(maxsize=4096)
def often(text: str) -> str:
    """Escaped text that recurs across records (reasons, footnotes, the tier's basis, check texts)."""
    return str(_E(text))


# --- what every page of one build shares (templates/base.html) -----------------------------------


@dataclass(frozen=True)
class Chrome:
    """base.html around a page (record or listing), for one config, navigation and page section (computed once)."""

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
