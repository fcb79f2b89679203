"""A record's citations in a real browser (SPEC §8): on the page as text, with Copy and Download
added by assets/cite.js under the site's Content-Security-Policy (no inline script)."""
from __future__ import annotations

import json
import urllib.parse

from tests.browser.sitecheck import Served

RECORD = "records/08EA5386/"  # a seed with a DOI, in the valid corpus


def test_citation_downloads_carry_the_page_text(chromium_browser, paged_server: Served) -> None:
    page = chromium_browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(paged_server.url(RECORD), wait_until="load")
        box = page.locator("section.cite")
        assert "Cite as" in box.locator(".cite-as").inner_text()
        # BibTeX and RIS from the page's text at once; CSL-JSON once record.json is fetched
        page.wait_for_function("() => document.querySelectorAll('section.cite .cite-tools a[download]').length === 3", timeout=10_000)
        links = box.locator(".cite-tools a[download]")
        assert links.count() == 3
        got = {}
        for i in range(3):
            a = links.nth(i)
            head, _, body = a.get_attribute("href").partition(",")
            got[a.get_attribute("download")] = (head, urllib.parse.unquote(body))
        assert set(got) == {"srch-08ea5386.bib", "srch-08ea5386.ris", "srch-08ea5386.json"}
        bib_head, bib = got["srch-08ea5386.bib"]
        assert bib_head.startswith("data:application/x-bibtex") and bib.startswith("@techreport{srch08EA5386,")
        assert bib == box.locator("pre[data-cite='bib']").text_content()
        ris = got["srch-08ea5386.ris"][1]
        assert ris.startswith("TY  - RPRT\r\n") and ris.endswith("ER  - \r\n")  # CRLF restored
        csl = json.loads(got["srch-08ea5386.json"][1])
        assert csl[0]["id"] == "SRCH:08EA5386" and csl[0]["DOI"] == "10.5281/zenodo.20432521"
        assert box.locator(".cite-tools button").count() in (0, 3)  # Copy only where the clipboard API is
        assert errors == []  # no CSP violation, no script error
    finally:
        page.close()


def test_citations_readable_without_javascript(chromium_browser, paged_server: Served) -> None:
    context = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(paged_server.url(RECORD), wait_until="load")
        box = page.locator("section.cite")
        assert box.locator(".cite-tools").count() == 0
        for kind, label in (("bib", "BibTeX"), ("ris", "RIS")):
            box.locator(f"summary:text-is('{label}')").click()  # <details> opens without script
            assert box.locator(f"pre[data-cite='{kind}']").is_visible()
        assert "@techreport{srch08EA5386," in box.locator("pre[data-cite='bib']").inner_text()
        # CSL-JSON: one link away, in the record's data file, which a browser opens without script
        box.locator("[data-cite-csl] a").click()
        page.wait_for_load_state("load")
        csl = json.loads(page.locator("body").inner_text())["citations"]["csl"]
        assert csl["id"] == "SRCH:08EA5386" and csl["DOI"] == "10.5281/zenodo.20432521"
    finally:
        context.close()


# each Copy button's box in page coordinates (the page may scroll to #cite meanwhile)
BOXES = """() => [...document.querySelectorAll('section.cite button[data-copy]')].map(b => {
  const r = b.getBoundingClientRect(); return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })"""
COPY = (("text", "citation"), ("bib", "BibTeX"), ("ris", "RIS"))


def test_copy_buttons_copy_the_text_shown_and_say_what_they_copied(chromium_browser, paged_server: Served) -> None:
    """Issue 24, item 8: a visible, labelled Copy button for "Cite as", BibTeX and RIS; each puts
    the text the page shows on the clipboard, says so on the button and in a polite live region."""
    context = chromium_browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(paged_server.url(RECORD), wait_until="load")
        box = page.locator("section.cite")
        status = box.locator("[role=status]")
        assert status.count() == 1 and status.get_attribute("aria-live") in (None, "polite")  # role=status is polite
        for kind, what in COPY:
            button = box.locator(f"button[data-copy='{kind}']")
            assert button.is_visible() and button.is_enabled() and button.inner_text() == f"Copy {what}"
            button.click()
            page.wait_for_function(
                "m => document.querySelector('section.cite [role=status]').textContent === m", arg=f"Copied {what} to the clipboard.", timeout=5_000,
            )
            shown = box.locator(f"[data-cite='{kind}']").text_content()
            assert page.evaluate("navigator.clipboard.readText()") == shown
            assert button.inner_text() == f"Copied {what}"
        assert "SRCH:08EA5386" in shown and shown.startswith("TY  - RPRT")
        # the other buttons are back to "Copy …": the last one says what is on the clipboard now
        assert box.locator("button[data-copy]").all_inner_texts() == ["Copy citation", "Copy BibTeX", "Copied RIS"]
        assert errors == []
    finally:
        context.close()


def test_copy_without_the_clipboard_api_leaves_the_text_selected(chromium_browser, paged_server: Served) -> None:
    """No Clipboard API (an insecure context, an old browser): the button still does something
    honest (copies by selection, or selects the text and says to press Ctrl+C), never a script error."""
    context = chromium_browser.new_context()
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(paged_server.url(RECORD), wait_until="load")
        box = page.locator("section.cite")
        box.get_by_role("button", name="Copy BibTeX").click()
        page.wait_for_function("() => document.querySelector('section.cite [role=status]').textContent.length > 0", timeout=5_000)
        said = box.locator("[role=status]").text_content()
        assert said == "Copied BibTeX to the clipboard." or "press Ctrl+C" in said
        assert box.locator("pre[data-cite='bib']").is_visible()  # its <details> opened
        selected = page.evaluate("getSelection().toString()")  # a selection's text drops the last newline
        assert selected == box.locator("pre[data-cite='bib']").text_content().rstrip("\n")
        assert errors == []
    finally:
        context.close()


def test_copy_buttons_hidden_without_javascript_and_in_place_before_it_runs(chromium_browser, paged_server: Served) -> None:
    nojs = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = nojs.new_page()
        page.goto(paged_server.url(RECORD), wait_until="load")
        assert page.locator("section.cite button").count() == 3
        assert not page.locator("section.cite .cite-copy").is_visible()
    finally:
        nojs.close()
    # with JavaScript, the buttons are laid out (disabled) before the script runs: nothing moves when it does
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        release: list[object] = []
        page.route("**/assets/cite.js", lambda route: release.append(route))
        page.goto(paged_server.url(RECORD) + "#cite", wait_until="commit")  # held: a deferred script holds DOMContentLoaded
        page.wait_for_selector("section.cite [data-cite-csl]", state="attached")  # parsed up to the end of the section
        page.wait_for_timeout(200)  # and painted
        buttons = page.locator("section.cite button[data-copy]")
        before = page.evaluate(BOXES)
        assert all(b["width"] > 0 for b in before) and all(buttons.nth(i).is_disabled() for i in range(3))
        for route in release:
            route.continue_()  # type: ignore[attr-defined]
        page.wait_for_function("() => !document.querySelector('section.cite button[data-copy]').disabled", timeout=10_000)
        assert page.evaluate(BOXES) == before
        assert all(b["height"] >= 24 and b["width"] >= 24 for b in before)  # targets at least 24 × 24 px
    finally:
        context.close()


def test_the_citation_does_not_move_when_its_downloads_arrive(chromium_browser, paged_server: Served) -> None:
    """A reader sent to #cite (the byline's Cite link): the CSL-JSON download, added once record.json
    is fetched, fills a line kept for it, so nothing moves (it moved 0.017 CLS at 390 px before)."""
    import time

    from tests.browser.test_layout_shift import CLS

    for width, height in ((390, 844), (1366, 768)):
        context = chromium_browser.new_context(viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            page.route("**/record.json", lambda route: (time.sleep(0.4), route.continue_()))
            page.goto(paged_server.url(RECORD) + "#cite")
            shift = page.evaluate(CLS)
            page.wait_for_selector("section.cite .cite-json a[download]", timeout=10_000)
            assert shift < 0.001, f"the citation moved: CLS {shift:.4f} at {width} px"
        finally:
            context.close()
