"""Search results that read (issue 24, item 4), in a real browser on the shipped records.

Each result shows its title, id, tier, gate status and date, the automated checks' findings in
words, and an excerpt that is a passage of the abstract with the match marked, never the record
header's run of topic slugs and labels. The search box's label and the page's intro say the same
thing about what is searchable, and it is true.
"""
from __future__ import annotations

import re
from pathlib import Path

from tests.browser.sitecheck import Served, find_page, page_url
from tests.browser.test_site_search import SEARCH_INPUT, require_bundle

# What the label and the intro must both name, and the shipped records' values that prove each.
SEARCHABLE = ("title", "research question", "abstract", "id", "DOI", "publisher", "topic")


def _results(page, served: Served, site_root: Path, query: str) -> list[dict]:
    """The search page's results for `query` (typed into its box), as a reader sees each."""
    page.goto(page_url(served.base, find_page(site_root, "search")), wait_until="load")
    box = page.locator(SEARCH_INPUT).first
    box.wait_for(state="visible", timeout=15000)
    box.fill(query)
    page.wait_for_function(
        "() => document.querySelectorAll('.pagefind-ui__result .pagefind-ui__result-tag').length > 0", timeout=15000)
    page.wait_for_timeout(300)  # every result's data loaded (each arrives on its own)
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.pagefind-ui__result')).map((r) => ({
            title: (r.querySelector('.pagefind-ui__result-link') || {}).textContent || '',
            href: (r.querySelector('.pagefind-ui__result-link') || {href: ''}).href,
            excerpt: (r.querySelector('.pagefind-ui__result-excerpt') || {}).textContent || '',
            marks: Array.from(r.querySelectorAll('.pagefind-ui__result-excerpt mark')).map((m) => m.textContent),
            tags: Object.fromEntries(Array.from(r.querySelectorAll('.pagefind-ui__result-tag')).map(
                (t) => [t.dataset.pagefindUiMeta, t.textContent.trim()])),
        }))"""
    )


def _search(browser, served: Served, site_root: Path, query: str) -> list[dict]:
    """_results() in a page of its own (the site must have its Pagefind bundle)."""
    require_bundle(site_root)
    page = browser.new_page()
    try:
        return _results(page, served, site_root, query)
    finally:
        page.close()


def excerpt_start(excerpt: str) -> str:
    return " ".join(excerpt.split()[:9])


def _record_text(site_root: Path, hex_id: str) -> str:
    return (site_root / "records" / hex_id / "index.html").read_text(encoding="utf-8")


def test_results_show_the_triage_and_an_excerpt_of_the_abstract(chromium_browser, site_server: Served, site_root: Path) -> None:
    """Searching "mixture": every result names its id, tier, gate and date; its excerpt marks the
    match and holds no topic slug, no "By <publisher>" byline and no "Abstract." heading."""
    results = _search(chromium_browser, site_server, site_root, "mixture")
    assert len(results) == 5, [r["title"] for r in results]
    for r in results:
        hex_id = re.search(r"/records/([0-9A-F]{8})/", r["href"]).group(1)
        tags, excerpt = r["tags"], r["excerpt"]
        assert tags.get("ID") == f"ID: SRCH:{hex_id}", tags
        assert re.fullmatch(r"Tier: (DOI grade|Watchlist|Quarantine candidate)", tags.get("Tier", "")), tags
        assert re.fullmatch(r"Gate: (Verified|Pending|Failed|Unverified)", tags.get("Gate", "")), tags
        assert re.fullmatch(r"Submitted: \d{1,2} [A-Z][a-z]+ 20\d\d", tags.get("Submitted", "")), tags
        assert all("mixture" in m.lower() for m in r["marks"]), r
        if hex_id == "D5E0A418":  # matched by its topic alone (its abstract is about astronomy): the abstract's start, nothing marked
            assert excerpt_start(excerpt) == "In performing a Bayesian analysis of astronomical data, two", excerpt
        else:
            assert r["marks"], f"{hex_id}: nothing marked in {excerpt!r}"
        for slug in ("vision-language-models", "inference-efficiency", "multimodal-routing", "scaling-laws"):
            assert slug not in excerpt, f"{hex_id}: the excerpt is a run of topic slugs: {excerpt!r}"
        assert "Assignee Research" not in excerpt and "Abstract." not in excerpt and f"SRCH:{hex_id}" not in excerpt, excerpt


def test_a_match_in_the_question_excerpts_the_abstract_not_the_question(chromium_browser, site_server: Served, site_root: Path) -> None:
    """"throughput" is in three records' questions (their titles), not in their abstracts: each result
    shows its title and the start of its abstract, not a run of the question."""
    results = _search(chromium_browser, site_server, site_root, "throughput")
    assert len(results) == 3, [r["title"] for r in results]
    for r in results:
        assert "throughput" in r["title"].lower() and "throughput" not in r["excerpt"].lower(), r


def test_results_show_the_checks_in_words(chromium_browser, site_server: Served, site_root: Path) -> None:
    """The findings the record pages show are in the results too, as words: D5E0A418 fails the
    relevance lint; 08EA5386 and 8F12A054 share an abstract; a record without a finding has no item."""
    results = _search(chromium_browser, site_server, site_root, "mixture")
    checks = {re.search(r"/records/([0-9A-F]{8})/", r["href"]).group(1): " ".join(
        v for k, v in r["tags"].items() if k.startswith("Automated check")) for r in results}
    assert "Abstract may not address the question" in checks["D5E0A418"], checks
    for hex_id in ("08EA5386", "8F12A054"):
        assert "Same abstract as another record" in checks[hex_id], checks
    for hex_id, text in checks.items():
        page_text = _record_text(site_root, hex_id)
        assert ("Same abstract as another record" in text) == ("same abstract as <a " in page_text), (hex_id, text)


def test_label_and_intro_say_the_same_and_it_is_true(chromium_browser, site_server: Served, site_root: Path) -> None:
    """The search box's label and the intro name the same fields; a query for each field's value
    in a shipped record (an id, a DOI, a publisher, a topic, a word only in a title) finds it."""
    require_bundle(site_root)
    page = chromium_browser.new_page()
    try:
        page.goto(page_url(site_server.base, find_page(site_root, "search")), wait_until="load")
        page.locator(SEARCH_INPUT).first.wait_for(state="visible", timeout=15000)
        label = page.evaluate("() => document.querySelector('label[for=search-input]').textContent")
        intro = page.evaluate("() => document.querySelector('main .lede').textContent")
        found = page.evaluate(
            """async ([bundle, queries]) => {
                const pf = await import(bundle);
                await pf.init();
                const out = {};
                for (const q of queries) {
                    const data = await Promise.all((await pf.search(q)).results.map((r) => r.data()));
                    out[q] = data.map((d) => d.url);
                }
                return out;
            }""",
            [site_server.url("pagefind/pagefind.js"),
             ["SRCH:6B2F97C5", "10.5281/zenodo.20432521", "Assignee", "multimodal-routing", "Sparse", "Does the inference efficiency gain"]],
        )
    finally:
        page.close()
    for field in SEARCHABLE:
        assert re.search(rf"\b{field}\b", label, re.I), f"the label does not name {field}: {label!r}"
        assert re.search(rf"\b{field}\b", intro, re.I), f"the intro does not name {field}: {intro!r}"

    def first(q: str) -> str:
        assert found[q], f"{q!r} found nothing"
        return re.search(r"/records/([0-9A-F]{8})/", found[q][0]).group(1)

    assert first("SRCH:6B2F97C5") == "6B2F97C5"  # an id
    assert first("10.5281/zenodo.20432521") == "08EA5386"  # a DOI
    assert len(found["Assignee"]) == 5  # the publisher of every shipped record
    assert first("multimodal-routing") == "3C71B9E2"  # a topic only that record has
    assert first("Sparse") == "8F12A054"  # its title: "Scaling Vision-Language Models with Sparse Mixture of Experts"
    assert first("Does the inference efficiency gain") == "8F12A054"  # its question (its title is its own)
