"""Real tools on every page type (issue 6 §6): Nu Html Checker, axe-core, screenshots, file://."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.sitecheck import (
    PAGE_TYPES, SCREENSHOTS, Served, VnuMessage, find_page, format_axe, page_url,
    run_axe,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def vnu_errors(vnu_all: dict[Path, tuple[list[VnuMessage], int]], site_root: Path) -> tuple[list[VnuMessage], int]:
    """The Nu Html Checker's errors for the site under test, and how many files it checked."""
    return vnu_all[site_root.resolve()]


def _site_for(kind: str, request: pytest.FixtureRequest) -> tuple[Served, Path]:
    """Server and root holding a page of `kind`: paginated pages may need the paged build."""
    if kind == "paginated":
        return request.getfixturevalue("paged_server"), request.getfixturevalue("paged_site")
    return request.getfixturevalue("site_server"), request.getfixturevalue("site_root")


@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_page_type_exists(request: pytest.FixtureRequest, kind: str) -> None:
    """Every page type of SPEC §4 is built, so the checks below cover it."""
    _, root = _site_for(kind, request)
    assert (root / find_page(root, kind)).is_file()


def test_nu_html_checker_finds_no_error(vnu_errors: tuple[list[VnuMessage], int], site_root: Path) -> None:
    """vnu --errors-only over all pages and the site's CSS: zero errors (file:line:col: message)."""
    messages, checked = vnu_errors
    assert checked == sum(1 for _ in site_root.rglob("*.html")) + sum(1 for _ in site_root.glob("assets/**/*.css"))
    assert checked >= len(PAGE_TYPES)
    assert not messages, f"{len(messages)} Nu Html Checker error(s):\n" + "\n".join(map(str, messages))


def test_nu_html_checker_on_a_pager_that_leaves_pages_out(vnu_all: dict[Path, tuple[list[VnuMessage], int]], paged_site: Path) -> None:
    """The paged build (seven index pages): its pagers show a gap, and vnu finds no error in any page."""
    index = (paged_site / "index.html").read_text(encoding="utf-8")
    assert '<li class="gap">…</li>' in index and 'href="page/7/index.html">7</a>' in index
    assert 'href="page/5/index.html"' not in index  # left out: the pager's size does not grow with the listing
    messages, checked = vnu_all[paged_site.resolve()]
    assert checked > 7
    assert not messages, f"{len(messages)} Nu Html Checker error(s):\n" + "\n".join(map(str, messages))


@pytest.fixture(scope="module", params=["light", "dark"])
def scheme_context(request: pytest.FixtureRequest, chromium_browser) -> Iterator[object]:
    """One browser context per colour scheme for the module (tests are grouped by scheme)."""
    # bypass_csp: the pages forbid inline script (good); axe is injected as one.
    context = chromium_browser.new_context(color_scheme=request.param, bypass_csp=True)
    yield context
    context.close()


@pytest.mark.parametrize("kind", list(PAGE_TYPES))
def test_axe_finds_no_violation(scheme_context, axe_ready, request: pytest.FixtureRequest, kind: str) -> None:
    """axe-core: zero violations on one page of each type, light and dark (prefers-color-scheme)."""
    served, root = _site_for(kind, request)
    url = page_url(served.base, find_page(root, kind))
    if kind == "404":
        url = served.url("no/such/page/")  # as a reader meets it: at depth, status 404
    page = scheme_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url, wait_until="load")
        violations = run_axe(page)
    finally:
        page.close()
    assert not violations, f"axe on {url}:\n{format_axe(violations)}"
    assert not errors, f"JavaScript errors on {url}: {errors}"


def _effective_colors(page) -> list[str]:
    """Text colour and the first non-transparent background from body up to html."""
    return page.evaluate(
        """() => {
            let bg = 'rgba(0, 0, 0, 0)';
            for (const el of [document.body, document.documentElement]) {
                const c = getComputedStyle(el).backgroundColor;
                if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
            }
            return [getComputedStyle(document.body).color, bg];
        }"""
    )


@pytest.mark.parametrize("kind", ["index", "record"])
def test_screenshots_phone_desktop_dark(chromium_browser, site_server: Served, site_root: Path, kind: str) -> None:
    """Screenshots for a person to look at; no sideways scroll on a phone; dark mode changes colours."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    url = page_url(site_server.base, find_page(site_root, kind))
    colors: dict[str, list[str]] = {}
    for scheme in ("light", "dark"):
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            context = chromium_browser.new_context(
                viewport=viewport, color_scheme=scheme, device_scale_factor=1,
                is_mobile=name == "phone", has_touch=name == "phone")
            page = context.new_page()
            try:
                page.goto(url, wait_until="load")
                shot = SCREENSHOTS / f"{kind}-{name}-{scheme}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 1000
                # against the viewport asked for: an emulated phone widens its layout viewport to fit content
                overflow = page.evaluate("() => document.documentElement.scrollWidth") - viewport["width"]
                assert overflow <= 0, f"{kind} at {name} width ({viewport['width']}px) scrolls sideways by {overflow}px"
                colors[scheme] = _effective_colors(page)
            finally:
                context.close()
    assert colors["light"] != colors["dark"], f"{kind}: prefers-color-scheme: dark changes nothing ({colors})"


def test_print_stylesheet_changes_the_page(chromium_browser, site_server: Served, site_root: Path) -> None:
    """A print stylesheet exists: the record page's computed styles differ under print media."""
    page = chromium_browser.new_page()
    try:
        page.goto(page_url(site_server.base, find_page(site_root, "record")), wait_until="load")
        probe = """() => Array.from(document.querySelectorAll('body, body *')).slice(0, 400)
            .map(e => { const s = getComputedStyle(e); return [s.display, s.color, s.backgroundColor, s.fontSize].join(); })
            .join('|')"""
        page.emulate_media(media="screen", color_scheme="light")
        screen = page.evaluate(probe)
        page.emulate_media(media="print", color_scheme="light")
        printed = page.evaluate(probe)
    finally:
        page.close()
    assert screen != printed, "no @media print rule changes anything on the record page"


def test_file_url_index_to_record_with_css(chromium_browser, site_root: Path) -> None:
    """From file://, index.html links to a record page that loads with its stylesheet (SPEC §4)."""
    page = chromium_browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda req: failed.append(f"{req.url}: {req.failure}"))
    try:
        page.goto("about:blank")
        default = page.evaluate(_STYLE_PROBE)
        page.goto((site_root / "index.html").resolve().as_uri(), wait_until="load")
        link = page.locator("main a[href*='records/']").first
        require_link = link.count() > 0
        assert require_link, "index.html has no link to a record page inside <main>"
        link.click()
        page.wait_for_load_state("load")
        assert page.url.startswith("file://") and "/records/" in page.url, page.url
        assert page.url.endswith(".html"), (
            f"{page.url}: from file:// a folder link shows a directory listing; link to …/index.html")
        assert page.locator("link[rel~='stylesheet']").count() > 0, "record page links no stylesheet"
        styled = page.evaluate(_STYLE_PROBE)
        assert styled != default, "record page opened from file:// has no CSS applied"
    finally:
        page.close()
    assert not failed, f"failed loads from file://: {failed}"


# Computed styles that any site theme changes from Chromium's defaults.
_STYLE_PROBE = """() => {
    if (!document.body) document.documentElement.appendChild(document.createElement('body'));
    const s = getComputedStyle(document.body);
    return [s.fontFamily, s.margin, s.color, s.backgroundColor, s.maxWidth, s.lineHeight,
            getComputedStyle(document.documentElement).backgroundColor].join('|');
}"""


# --- issue 14: the first screen on a phone, Signposting, search from file:// ---------------------

def _phone_page(chromium_browser):
    context = chromium_browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    return context, context.new_page()


def test_abstract_starts_in_the_first_phone_screen(chromium_browser, site_server: Served, site_root: Path) -> None:
    """On every record page at 390 px, the abstract's text and the link to the Cite box are within the first 844 px."""
    context, page = _phone_page(chromium_browser)
    try:
        for rel in sorted(p.relative_to(site_root).as_posix() for p in site_root.glob("records/*/index.html")):
            page.goto(page_url(site_server.base, rel), wait_until="load")
            top = page.evaluate("() => document.querySelector('#abstract').parentElement.querySelector('.prose > *').getBoundingClientRect().top + window.scrollY")
            assert top < PHONE["height"], f"{rel}: the abstract starts at {top:.0f}px on a 390x844 phone"
            # how to cite it is in the first screen too: the header's link to the Cite box
            cite = page.evaluate("() => { const a = document.querySelector('.record-header a[href=\"#cite\"]'); return a && document.getElementById('cite') ? a.getBoundingClientRect().bottom + window.scrollY : null; }")
            assert cite is not None and cite < PHONE["height"], f"{rel}: no link to the Cite box in the first phone screen ({cite})"
    finally:
        context.close()


def test_first_index_row_is_in_the_first_phone_screen(chromium_browser, site_server: Served) -> None:
    context, page = _phone_page(chromium_browser)
    try:
        page.goto(site_server.base, wait_until="load")
        box = page.evaluate("() => { const r = document.querySelector('table.records tbody tr').getBoundingClientRect(); return [r.top + window.scrollY, r.bottom + window.scrollY]; }")
        assert box[1] < PHONE["height"], f"the first record row ends at {box[1]:.0f}px on a 390x844 phone"
        label = page.evaluate("() => getComputedStyle(document.querySelector('table.records tbody td:nth-child(4)'), '::before').content")
        assert "Score" in label  # phone cells are labelled
    finally:
        context.close()


def test_signposting_on_every_record_page(site_root: Path) -> None:
    """FAIR Signposting level 1 (signposting.org/FAIR): cite-as, describedby, type and item links."""
    import re as _re

    for page in sorted(site_root.glob("records/*/index.html")):
        head = page.read_text(encoding="utf-8").split("</head>", 1)[0]
        links = _re.findall(r'<link rel="([^"]+)" href="([^"]+)"(?: type="([^"]+)")?>', head)
        rels = {rel for rel, _, _ in links}
        assert {"cite-as", "describedby", "type"} <= rels, f"{page}: {sorted(rels)}"
        (described,) = [(href, t) for rel, href, t in links if rel == "describedby"]
        assert described[1] == "application/json" and (page.parent / described[0]).is_file()
        assert ("type", "https://schema.org/ScholarlyArticle", "") in links
        cite = [href for rel, href, _ in links if rel == "cite-as"]
        assert len(cite) == 1 and cite[0].startswith("https://")
        for rel, href, _ in links:
            if rel == "item" and not href.startswith("https://"):
                assert (page.parent / href).is_file(), f"{page}: item {href} is missing"


def test_search_from_file_url_says_it_needs_a_server(chromium_browser, site_root: Path) -> None:
    page = chromium_browser.new_page()
    try:
        page.goto((site_root / "search" / "index.html").resolve().as_uri(), wait_until="load")
        page.wait_for_selector("#search-needs-server:not([hidden])", timeout=5000)
        text = page.inner_text("#search-needs-server")
        assert "srchgen serve" in text and "python3 -m http.server" in text
    finally:
        page.close()
