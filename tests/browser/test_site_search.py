"""Finding records in a real browser (issue 6 §2): Pagefind under /repo/, search box, pagination."""
from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser.sitecheck import Served, find_page, page_url

# Filters the search bundle must offer (SPEC §4), matched loosely against Pagefind's filter names.
FILTER_WORDS = ("tier", "gate", "level", "section")


class _H1(HTMLParser):
    """Text of the first <h1>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.done = False
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "h1" and not self.done:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1" and self.depth:
            self.depth -= 1
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text += data


def _h1(path: Path) -> str:
    parser = _H1()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.text


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{5,}", text)}


@pytest.fixture(scope="session")
def search_target(site_root: Path) -> tuple[str, str]:
    """A record page and the word of its title/question that the fewest other records use."""
    require_bundle(site_root)
    rel = find_page(site_root, "record")
    pages = sorted(site_root.glob("records/*/index.html"))
    df = Counter(w for p in pages for w in _words(_h1(p)))
    words = _words(_h1(site_root / rel))
    assert words, f"{rel}: no word of 5+ letters in its <h1>"
    word = min(words, key=lambda w: (df[w], -len(w), w))
    return rel.removesuffix("index.html"), word


def require_bundle(site_root: Path) -> None:
    """The search bundle is part of every build (SPEC §4)."""
    assert (site_root / "pagefind" / "pagefind.js").is_file(), "no Pagefind bundle at pagefind/pagefind.js"


def _search_api(page, served: Served, query: str) -> dict:
    """Run Pagefind's JS API from a page under the prefix; result URLs and filter names."""
    return page.evaluate(
        """async ([bundle, q]) => {
            const pf = await import(bundle);
            await pf.init();
            const found = await pf.search(q);
            const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
            return {urls: data.map((d) => d.url), filters: Object.keys(await pf.filters())};
        }""",
        [served.url("pagefind/pagefind.js"), query],
    )


def test_search_bundle_finds_record_under_prefix(chromium_browser, site_server: Served, search_target) -> None:
    """A word of a record's question finds it; result URLs carry the /repo/ prefix and load."""
    rel, word = search_target
    page = chromium_browser.new_page()
    try:
        page.goto(site_server.base, wait_until="load")
        found = _search_api(page, site_server, word)
        assert found["urls"], f"search for {word!r} found nothing"
        assert all(u.startswith("/repo/") for u in found["urls"]), found["urls"]
        wanted = "/repo/" + rel
        assert any(u in (wanted, wanted + "index.html") for u in found["urls"]), (
            f"search for {word!r}: {wanted} not in top 10 {found['urls']}")
        response = page.goto(site_server.origin + found["urls"][0])
        assert response is not None and response.status == 200
    finally:
        page.close()


def test_search_offers_the_triage_filters(chromium_browser, site_server: Served, site_root: Path) -> None:
    """Tier, gate status, level and section are Pagefind filters (SPEC §4)."""
    require_bundle(site_root)
    page = chromium_browser.new_page()
    try:
        page.goto(site_server.base, wait_until="load")
        names = [n.lower() for n in _search_api(page, site_server, "")["filters"]]
    finally:
        page.close()
    missing = [w for w in FILTER_WORDS if not any(w in n for n in names)]
    assert not missing, f"no Pagefind filter for {missing}; filters: {names}"


SEARCH_INPUT = "input[type=search], .pagefind-ui__search-input, [role=search] input"


def test_typing_a_query_shows_the_record(chromium_browser, site_server: Served, site_root: Path, search_target) -> None:
    """On the search page, typing the word into the search box adds a link to the record."""
    rel, word = search_target
    start = page_url(site_server.base, find_page(site_root, "search"))
    page = chromium_browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(start, wait_until="load")
        box = page.locator(SEARCH_INPUT).first
        box.wait_for(state="visible", timeout=15000)  # Pagefind's UI draws it after load
        links = page.locator(f"a[href*='{rel}']")
        before = links.count()
        box.fill(word)
        page.wait_for_function(
            "([sel, n]) => document.querySelectorAll(sel).length > n",
            arg=[f"a[href*='{rel}']", before], timeout=15000)
        assert links.count() > before
    finally:
        page.close()
    assert not errors, errors


def test_pagination_next_and_back(chromium_browser, paged_server: Served) -> None:
    """The index links to page 2 (rel=next), and page 2 links back (rel=prev)."""
    page = chromium_browser.new_page()
    try:
        page.goto(paged_server.base, wait_until="load")
        page.locator("a[rel~='next']").first.click()
        page.wait_for_load_state("load")
        assert re.search(r"/repo/page/2/(index\.html)?$", page.url), page.url
        page.locator("a[rel~='prev']").first.click()
        page.wait_for_load_state("load")
        assert re.search(r"/repo/(index\.html)?$", page.url), page.url
    finally:
        page.close()


def test_search_cards_carry_the_triage_and_the_doi_is_indexed(chromium_browser, site_server: Served, site_root: Path) -> None:
    """Issue 14: a DOI finds its record; each result carries id, title, tier, gate, score and submitted
    date as Pagefind metadata (the result card shows them); only record pages are indexed."""
    require_bundle(site_root)
    page = chromium_browser.new_page()
    try:
        page.goto(site_server.base, wait_until="load")
        found = page.evaluate(
            """async ([bundle]) => {
                const pf = await import(bundle);
                await pf.init();
                const doi = await Promise.all((await pf.search("zenodo.20432521")).results.map((r) => r.data()));
                const all = await Promise.all((await pf.search(null, {filters: {}})).results.map((r) => r.data()));
                const publisher = (await pf.search("Assignee")).results.length;
                return {doi: doi.map((d) => [d.url, d.meta]), urls: all.map((d) => d.url), publisher};
            }""",
            [site_server.url("pagefind/pagefind.js")],
        )
    finally:
        page.close()
    assert [u for u, _ in found["doi"]] == ["/repo/records/08EA5386/index.html"] or [u for u, _ in found["doi"]] == ["/repo/records/08EA5386/"]
    meta = found["doi"][0][1]
    assert {k: meta.get(k) for k in ("id", "tier", "gate", "score", "submitted")} == {
        "id": "SRCH:08EA5386", "tier": "DOI grade", "gate": "Unverified", "score": "7.83", "submitted": "28 May 2026"}
    assert meta["title"].startswith("What is the inference throughput")
    assert found["publisher"] >= 1
    assert found["urls"] and all("/records/" in u for u in found["urls"]), found["urls"]
