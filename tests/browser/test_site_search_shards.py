"""Search over a site indexed in several shards (search_shard_size), in a real browser: the search
page merges every bundle (pagefind/srchgen-shards.json, PagefindUI mergeIndex) under /repo/."""
from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from srchgen.build.pipeline import build
from srchgen.build.search import SHARDS_FILE, pagefind_command
from tests.browser.conftest import VALID_CORPUS
from tests.browser.sitecheck import Served, serve_directory
from tests.conftest import project_for

SEARCH_INPUT = ".pagefind-ui__search-input"


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The valid corpus (14 records) built with search_shard_size = 3: five bundles."""
    if pagefind_command(Path(".")) is None:
        pytest.skip("Pagefind is not installed")
    root = tmp_path_factory.mktemp("sharded") / "project"
    shutil.copytree(VALID_CORPUS, root, symlinks=True)
    report = build(project_for(root, base_url="https://example.org/repo/", search_shard_size=3), search=True)
    assert not report.errors, [str(p) for p in report.errors]
    return root / "site"


@pytest.fixture(scope="module")
def sharded_server(sharded_site: Path) -> Iterator[Served]:
    with serve_directory(sharded_site) as served:
        yield served


def _shard_of(site: Path) -> tuple[dict[str, int], dict[str, dict]]:
    """Which bundle indexed each record (its /records/<HEX>/ URL), and each record's Pagefind filters."""
    root = site / "pagefind"
    bundles = [root] + [root / d for d in json.loads((root / SHARDS_FILE).read_text())["merge"]]
    shard, filters = {}, {}
    for i, b in enumerate(bundles):
        for f in (b / "fragment").iterdir():
            data = gzip.decompress(f.read_bytes())
            frag = json.loads(data[data.index(b"{"):])
            shard[frag["url"]] = i
            filters[frag["url"]] = frag["filters"]
    return shard, filters


def _results(page) -> tuple[int, list[str]]:
    """The result count PagefindUI announces, and every result link (after "Load more results")."""
    page.wait_for_function("() => /\\d+ results? for/.test(document.querySelector('.pagefind-ui__message')?.textContent || '')",
                           timeout=15000)
    page.wait_for_timeout(300)  # the count and the first results are drawn together; let both settle
    message = page.locator(".pagefind-ui__message").inner_text()
    more = page.locator(".pagefind-ui__button")
    while more.count() and more.first.is_visible():
        more.first.click()
        page.wait_for_timeout(200)
    page.wait_for_function("(n) => document.querySelectorAll('.pagefind-ui__result-link').length >= n",
                           arg=int(re.search(r"(\d+)", message).group(1)), timeout=15000)
    hrefs = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => new URL(e.href).pathname)")
    return int(re.search(r"(\d+)", message).group(1)), hrefs


def test_search_page_merges_every_shard_and_filters_across_them(chromium_browser, sharded_server: Served, sharded_site: Path) -> None:
    shard, filters = _shard_of(sharded_site)
    assert len(set(shard.values())) == 5 and len(shard) == 14
    page = chromium_browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(sharded_server.url("search/?q=research"), wait_until="load")
        count, hrefs = _results(page)
        assert all(h.startswith("/repo/records/") for h in hrefs), hrefs  # the path prefix is kept for every shard
        urls = [h.removeprefix("/repo") for h in hrefs]
        assert count == len(urls) == len(set(urls))
        found_in = {shard[u] for u in urls}
        assert len(found_in) >= 3, f"results from bundles {found_in} only: {urls}"
        # the tier filter offers counts summed over the shards, and narrows results from every shard
        watch = [u for u in urls if "Watchlist" in filters[u].get("tier", [])]
        assert watch and len(watch) < count and len({shard[u] for u in watch}) >= 2, (watch, filters)
        # Pagefind 1.5 counts a search's filters over the filter chunks each bundle has loaded so
        # far, and its UI loads them alongside the first search: under load the first counts can
        # miss a bundle (CI once showed "Watchlist (6)" of 7). Once every chunk is in, the same
        # search again must show the counts summed over all five bundles.
        page.wait_for_load_state("networkidle")
        page.fill(SEARCH_INPUT, "")  # the UI searches again only when the term changes
        page.wait_for_function("() => !document.querySelector('.pagefind-ui__message')", timeout=15000)
        page.fill(SEARCH_INPUT, "research")
        assert _results(page)[0] == count
        page.locator("details.pagefind-ui__filter-panel, .pagefind-ui__filter-panel").first.evaluate("el => { if (el.tagName === 'DETAILS') el.open = true; }")
        block = page.locator(".pagefind-ui__filter-block", has_text=re.compile("tier", re.I)).first
        block.evaluate("el => { el.open = true; }")
        option = block.locator(".pagefind-ui__filter-value", has_text="Watchlist").first
        assert re.search(rf"\b{len([u for u in filters if 'Watchlist' in filters[u].get('tier', [])])}\b", option.inner_text()), option.inner_text()
        option.locator("input").check()
        page.wait_for_function("(n) => { const m = document.querySelector('.pagefind-ui__message'); return m && /\\d+ results? for/.test(m.textContent) && parseInt(m.textContent.match(/\\d+/)[0]) === n; }",
                               arg=len(watch), timeout=15000)
        narrowed, hrefs = _results(page)
        assert narrowed == len(watch) and sorted(h.removeprefix("/repo") for h in hrefs) == sorted(watch)
    finally:
        page.close()
    assert not errors, errors
