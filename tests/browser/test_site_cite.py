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
        page.wait_for_function("document.querySelectorAll('section.cite .cite-tools a[download]').length === 3", timeout=10_000)
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
