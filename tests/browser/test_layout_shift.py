"""Listing pages do not move when their script runs (issue 24, item 2): the instant filter is laid
out from the first paint, its fields enabled by assets/filter.js; without JavaScript it is hidden.
Layout shift is read as Lighthouse reads it, from Chromium's layout-shift entries (CLS)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.sitecheck import serve_directory

CLS_MAX = 0.05  # issue 24: Lighthouse mobile CLS at most 0.05 on the index and a listing

CLS = """() => new Promise(done => {
  let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
    .observe({type: "layout-shift", buffered: true});
  setTimeout(() => done(total), 1500);
})"""


@pytest.mark.parametrize("path", ["index.html", "sections/research/index.html", "tiers/watchlist/index.html"])
@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)], ids=["phone", "desktop"])
def test_a_listing_does_not_shift_when_its_filter_starts(chromium_browser: object, local_site: Path, path: str, width: int, height: int) -> None:
    with serve_directory(local_site, "/repo/") as served:
        context = chromium_browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        page = context.new_page()
        # a slow script, as on a phone: the form must already have its place when it runs
        page.route("**/assets/filter.js", lambda route: (time.sleep(0.4), route.continue_()))
        try:
            page.goto(served.url(path))
            # the script has run: the form shown and its fields enabled (either is how a page could do it)
            page.wait_for_function(
                "() => { const f = document.querySelector('form.instant-filter');"
                " return f && !f.hidden && !(f.querySelector('fieldset') || {}).disabled; }", timeout=10_000,
            )
            shift = page.evaluate(CLS)
            assert shift <= CLS_MAX, f"layout shift {shift:.3f} on {path} at {width} px"
            page.fill("input[name=q]", "zzzz-no-such-record")  # and the filter works once enabled
            page.wait_for_function("() => document.querySelector('.filter-status').textContent.length > 0", timeout=10_000)
        finally:
            context.close()


def test_without_javascript_the_filter_is_hidden_and_the_links_stand_in(chromium_browser: object, local_site: Path) -> None:
    with serve_directory(local_site, "/repo/") as served:
        context = chromium_browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
        page = context.new_page()
        try:
            page.goto(served.url("index.html"))
            page.wait_for_load_state("load")
            assert not page.locator("form.instant-filter").is_visible()
            assert page.get_by_role("navigation", name="Filter records").is_visible()
        finally:
            context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)], ids=["phone", "desktop"])
def test_search_with_a_query_does_not_shift_as_its_results_arrive(chromium_browser: object, site_server, site_root: Path, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    """The search page opened with ?q= (as every page header's search box submits): Pagefind's UI
    draws its box, the filters and each result as its data arrives, and nothing on screen moves."""
    from tests.browser.sitecheck import find_page, page_url
    from tests.browser.test_site_search import require_bundle

    require_bundle(site_root)
    context = chromium_browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(page_url(site_server.base, find_page(site_root, "search")) + "?q=mixture")
        page.wait_for_function("() => document.querySelectorAll('.pagefind-ui__result-title').length > 0"
                               " && !document.querySelector('.pagefind-ui__loading')", timeout=15_000)
        shift = page.evaluate(CLS)
        assert shift <= CLS_MAX, f"layout shift {shift:.3f} on search?q=mixture at {width} px"
        assert page.locator(".pagefind-ui__result-title").first.is_visible()  # and the results are shown
        assert page.locator(".pagefind-ui__filter-panel").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)], ids=["phone", "desktop"])
def test_a_record_page_does_not_shift(chromium_browser: object, local_site: Path, width: int, height: int) -> None:
    record = sorted((local_site / "records").glob("*/index.html"))[0].parent.name
    with serve_directory(local_site, "/repo/") as served:
        context = chromium_browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        page = context.new_page()
        try:
            page.goto(served.url(f"records/{record}/index.html"))
            page.wait_for_load_state("load")
            shift = page.evaluate(CLS)
            assert shift <= CLS_MAX, f"layout shift {shift:.3f} on record {record} at {width} px"
        finally:
            context.close()
