"""GitHub Pages prefix crawl (issue 6 §5, SPEC §4): zero broken links, no foreign resources."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.browser.sitecheck import CrawlResult, Served, _LinkParser, crawl

DEEP_MISSING = "no/such/page/at/depth/"
OWN_BASE_URL = "https://example.org/repo/"  # the base_url `built_site` is built with


@pytest.fixture(scope="session")
def site_crawl(site_server: Served) -> CrawlResult:
    """One crawl of the served site, from /repo/ and from a deep missing URL (404.html)."""
    return crawl(site_server, extra_starts=(DEEP_MISSING,), own_base_url=OWN_BASE_URL)


def test_prefix_crawl_finds_no_broken_link(site_crawl: CrawlResult) -> None:
    """Every internal href/src/url() under /repo/ resolves (4xx = broken)."""
    assert len(site_crawl.status) > 1, "the crawl reached nothing beyond the start page"
    assert not site_crawl.broken, "broken links:\n" + "\n".join(map(str, site_crawl.broken))


def test_no_resource_from_another_origin(site_crawl: CrawlResult) -> None:
    """No script, stylesheet, image or font from elsewhere (SPEC §4: no CDN)."""
    assert not site_crawl.foreign, "foreign resources:\n" + "\n".join(map(str, site_crawl.foreign))


def test_every_html_page_is_reachable(site_crawl: CrawlResult, site_server: Served, site_root: Path) -> None:
    """A page nobody links to cannot be found without search; every page is linked from somewhere."""
    reached = {u.removeprefix(site_server.base) for u in site_crawl.html}
    reached |= {r + "index.html" for r in reached if r == "" or r.endswith("/")}
    on_disk = {p.relative_to(site_root).as_posix() for p in site_root.rglob("*.html")}
    orphans = sorted(p for p in on_disk - reached if p != "404.html" and not p.startswith("pagefind/"))
    assert not orphans, f"{len(orphans)} HTML page(s) never linked: {orphans[:20]}"


@pytest.mark.parametrize("path", ["", "index.html", "feed.json", "404.html"])
def test_served_under_prefix(site_server: Served, path: str) -> None:
    """The prefix root and its files are served with 200."""
    with urllib.request.urlopen(site_server.url(path)) as resp:
        assert resp.status == 200


@pytest.mark.parametrize("path", [DEEP_MISSING, "records/FFFFFFFF/", "nope.html"])
def test_missing_page_gets_404_html(site_server: Served, site_root: Path, path: str) -> None:
    """GitHub Pages answers any miss under the prefix with 404 and the site's 404.html."""
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(site_server.url(path))
    assert err.value.code == 404
    assert err.value.read() == (site_root / "404.html").read_bytes()


@pytest.mark.parametrize("depth", ["missing.html", "a/b/", "a/b/c/d/e/f/"])
def test_404_page_resources_load_at_any_depth(site_server: Served, depth: str) -> None:
    """404.html served at any depth loads its stylesheets, scripts and links (SPEC §4)."""
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(site_server.url(depth))
    parser = _LinkParser()
    parser.feed(err.value.read().decode("utf-8"))
    here = site_server.url(depth)
    targets = {urllib.parse.urljoin(here, r.url).split("#")[0] for r in parser.refs
               if not r.url.startswith("#") and urllib.parse.urljoin(here, r.url).startswith(site_server.origin)}
    assert any(t.endswith(".css") for t in targets), "404.html links no stylesheet"
    bad = [t for t in sorted(targets) if _status(t) != 200]
    assert not bad, f"from 404.html at /repo/{depth}: {bad}"


def _status(url: str) -> int:
    """HTTP status of a GET."""
    try:
        with urllib.request.urlopen(url) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
