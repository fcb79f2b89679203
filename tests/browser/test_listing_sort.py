"""Listings sort by score as well as by date (issue 24, item 3): newest first without JavaScript,
as the static pages are; with it, a labelled select that the keyboard works, whose result the
status line announces, across every page of a paged listing (from filter-index.json)."""
from __future__ import annotations

from pathlib import Path

from tests.browser.sitecheck import serve_directory

ROWS = """() => Array.from(document.querySelectorAll('table.records tbody')).filter((b) => !b.hidden)
  .flatMap((b) => Array.from(b.rows)).filter((r) => !r.hidden)
  .map((r) => ({id: r.cells[0].textContent, score: parseFloat(r.cells[3].textContent), date: r.cells[2].textContent,
                flags: Array.from(r.cells[1].querySelectorAll('.flag')).map((f) => f.textContent)}))"""
STATUS = "() => document.querySelector('.filter-status').textContent"


def _choose_by_keyboard(page, option_text: str) -> None:
    """Focus the Sort select by its label and move through its options with the arrow keys."""
    select = page.get_by_label("Sort")
    select.focus()
    for _ in range(4):
        if select.evaluate("(s) => s.options[s.selectedIndex].text") == option_text:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {option_text!r} reached by the keyboard")


def test_a_paged_listing_sorts_every_record_by_score(chromium_browser: object, local_site: Path) -> None:
    with serve_directory(local_site, "/repo/") as served:
        page = chromium_browser.new_page()  # type: ignore[attr-defined]
        try:
            page.goto(served.url("index.html"))
            page.wait_for_function("() => !document.querySelector('form.instant-filter fieldset').disabled", timeout=10_000)
            static = page.evaluate(ROWS)
            assert len(static) == 5 and page.locator("nav.pager").is_visible()
            _choose_by_keyboard(page, "Highest score first")
            page.wait_for_function(f"() => ({STATUS})().includes('highest score first')", timeout=10_000)
            rows = page.evaluate(ROWS)
            total = len(list((local_site / "records").glob("*/index.html")))
            assert len(rows) == total, rows  # every record of every page, not this page's five
            scores = [r["score"] for r in rows]
            assert scores == sorted(scores, reverse=True), scores
            assert page.evaluate(STATUS) == f"All {total} records, highest score first."
            assert page.get_by_role("status").text_content() == page.evaluate(STATUS)  # announced
            assert page.evaluate("() => document.querySelector('table.records caption').textContent") == "Records, highest score first"
            assert not page.locator("nav.pager").is_visible()
            by_id = {r["id"]: r["flags"] for r in rows}  # rows drawn from filter-index.json carry the checks' flags
            assert "Same abstract as SRCH:8F12A054" in by_id["SRCH:08EA5386"], by_id["SRCH:08EA5386"]
            _choose_by_keyboard(page, "Lowest score first")
            page.wait_for_function(f"() => ({STATUS})().includes('lowest score first')", timeout=10_000)
            scores = [r["score"] for r in page.evaluate(ROWS)]
            assert scores == sorted(scores), scores
            page.keyboard.press("ArrowUp")
            page.keyboard.press("ArrowUp")  # back to "Newest first": the static page as it was
            page.wait_for_function(f"() => ({STATUS})() === ''", timeout=10_000)
            assert page.evaluate(ROWS) == static and page.locator("nav.pager").is_visible()
        finally:
            page.close()


def _one_page_listing(site: Path) -> str:
    """A listing of one page with records of different scores (the valid corpus has several)."""
    for path in sorted(site.glob("*/*/index.html")):
        text = path.read_text(encoding="utf-8")
        if 'class="records"' in text and 'class="pager"' not in text and text.count("<tr data-f=") >= 3:
            return path.relative_to(site).as_posix()
    raise AssertionError("no one-page listing of 3 records or more")


def test_a_one_page_listing_sorts_in_place_and_filters_still_apply(chromium_browser: object, local_site: Path) -> None:
    with serve_directory(local_site, "/repo/") as served:
        page = chromium_browser.new_page()  # type: ignore[attr-defined]
        try:
            page.goto(served.url(_one_page_listing(local_site)))
            page.wait_for_function("() => !document.querySelector('form.instant-filter fieldset').disabled", timeout=10_000)
            static = page.evaluate(ROWS)
            assert 2 <= len(static) <= 5 and len({r["score"] for r in static}) > 1, static
            page.get_by_label("Sort").select_option("score")
            page.wait_for_function(f"() => ({STATUS})().includes('highest score first')", timeout=10_000)
            rows = page.evaluate(ROWS)
            assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in static)  # the same rows, moved
            assert [r["score"] for r in rows] == sorted((r["score"] for r in static), reverse=True)
            assert page.evaluate(STATUS) == f"All {len(static)} records, highest score first."
            page.fill("input[name=q]", "zzzz-no-such-record")
            page.wait_for_function(f"() => ({STATUS})().startsWith('0 records of')", timeout=10_000)
            assert page.evaluate(STATUS) == f"0 records of {len(static)} match, highest score first."
        finally:
            page.close()


def test_without_javascript_a_listing_is_newest_first(chromium_browser: object, local_site: Path) -> None:
    with serve_directory(local_site, "/repo/") as served:
        context = chromium_browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
        page = context.new_page()
        try:
            page.goto(served.url("index.html"))
            rows = page.evaluate(ROWS)
            assert rows and not page.locator("select[name=sort]").is_visible()
        finally:
            context.close()
    text = (local_site / "index.html").read_text(encoding="utf-8")
    assert "newest first" in text
