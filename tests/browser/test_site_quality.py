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
                overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
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
