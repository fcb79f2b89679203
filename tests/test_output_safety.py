"""Output safety (SPEC §2 sanitising, §6): the hostile corpus builds, and no page can run its data.

One registry holds every "safe rendering" case of tests/hostile/cases.py; it is built once
(with a base_url, so canonical/Open Graph/sitemap output is covered too, and with the
Pagefind index) and EVERY page is parsed with html.parser. Feeds must parse as JSON / XML.
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from srchgen.config import Config
from tests.hostile.cases import SAFE, numbered
from tests.hostile.registry import TRACEBACK, build
from tests.hostile.scan import csp_problems, scan_html, scan_site

BASE_URL = "https://example.org/registry/"
PYPROJECT = """[tool.srchgen]
title = "Registry <script>alert('config')</script>"
description = "About <img src=x onerror=alert(1)>"
page_size = 3
"""
ACTIVE = {".html", ".htm", ".xhtml", ".svg", ".xml", ".js", ".mjs", ".swf", ".xsl"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("safe-corpus")
    # Small pages, so every listing has a pager and each hostile title appears at several depths;
    # the site title carries markup too (config is trusted, but it is still escaped).
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    for hex_id, case in numbered():
        if case.outcome == SAFE and case.combinable:
            case.setup(root / "records", hex_id)
    run = build(root, "--search", "--base-url", BASE_URL, timeout=600)
    assert run.code == 0, run.output[-3000:]
    assert TRACEBACK not in run.output
    return root / "site"


def test_every_safe_case_is_in_the_registry(site: Path) -> None:
    combinable = [h for h, c in numbered() if c.outcome == SAFE and c.combinable]
    assert len(combinable) >= 35
    for hex_id in combinable:
        assert (site / "records" / hex_id / "index.html").is_file(), hex_id


def test_every_page_is_free_of_script_and_has_the_csp(site: Path) -> None:
    findings, pages = scan_site(site)
    assert findings == []
    n_records = len(list((site / "records").glob("*/index.html")))
    assert pages > n_records  # record pages plus listings, topics, guide, about, graph, search, 404
    print(f"\nscanned {pages} pages")


def test_only_our_own_scripts_are_referenced(site: Path) -> None:
    # The search page loads Pagefind's bundle and assets/search.js, nothing inline.
    text = (site / "search" / "index.html").read_text(encoding="utf-8")
    findings, csp = scan_html(text, "search/index.html")
    assert findings == [] and csp is not None
    assert "pagefind/pagefind-ui.js" in text and text.count("<script") == text.count("<script src=")


def test_record_pages_carry_valid_json_ld(site: Path) -> None:
    for page in (site / "records").glob("*/index.html"):
        text = page.read_text(encoding="utf-8")
        assert text.count('<script type="application/ld+json">') == 1, page


def test_json_outputs_parse(site: Path) -> None:
    files = sorted(p for p in site.rglob("*.json") if "pagefind" not in p.parts)
    assert {"feed.json", "record.json"} <= {p.name for p in files}
    for p in files:
        data = json.loads(p.read_bytes())
        assert isinstance(data, (dict, list)), p
    feed = json.loads((site / "feed.json").read_bytes())
    records = json.loads(gzip.decompress((site / "records.json.gz").read_bytes()))  # the data export
    pages = len(list((site / "records").glob("*/index.html")))
    # The export holds every record; the feed the newest feed_size (SPEC §8)
    assert len(records["records"]) == pages and len(feed["items"]) == min(pages, Config.model_fields["feed_size"].default)


@pytest.mark.parametrize("name", ["feed.atom", "sitemap.xml"])
def test_xml_outputs_are_well_formed(site: Path, name: str) -> None:
    root = ET.parse(site / name).getroot()
    assert root.tag.endswith(("feed", "urlset", "sitemapindex"))


def test_atom_carries_the_control_character_record(site: Path) -> None:
    root = ET.parse(site / "feed.atom").getroot()
    titles = [e.text or "" for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(t.startswith("bell ") for t in titles)


def test_no_attached_file_is_published_as_an_active_type(site: Path) -> None:
    published = [p for p in (site / "records").glob("*/artifacts/**/*") if p.is_file()]
    assert published, "the corpus attaches artifacts"
    assert [p for p in published if p.suffix.lower() in ACTIVE] == []


# The scanner itself must catch what it is for: each snippet below is one finding.
BAD = [
    ("<script>alert(1)</script>", "inline <script"),
    ('<script src="https://evil.example/x.js"></script>', "not one of our files"),
    ('<script src="../records/X/x.js"></script>', "outside assets/"),
    ('<script type="application/ld+json">{"a": "</script><script>alert(1)</script>"}</script>', "inline <script"),
    ('<script type="application/ld+json">{not json}</script>', "not valid JSON"),
    ("<img src=x onerror=alert(1)>", "event handler"),
    ('<a href="javascript:alert(1)">x</a>', "script or data URL"),
    ('<a href="&#106;ava&#x09;script:alert(1)">x</a>', "script or data URL"),
    ('<a href=" VBScript:x">x</a>', "script or data URL"),
    ('<img src="data:image/svg+xml,<svg onload=alert(1)>">', "script or data URL"),
    ('<form action="https://evil.example/login"></form>', "another origin"),
    ('<form action="search/" method="post"></form>', "POST"),
    ('<button formaction="https://evil.example/">', "formaction"),
    ('<button formaction="javascript:alert(1)">', "formaction"),
    ('<iframe src="/x"></iframe>', "<iframe>"),
    ('<object data="x.swf"></object>', "<object>"),
    ('<embed src="x.swf">', "<embed>"),
    ('<base href="https://evil.example/">', "<base>"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "refresh"),
    ('<svg><animate attributeName="href" to="javascript:alert(1)"/></svg>', "animates"),
    ('<img src="https://evil.example/t.png">', "another origin"),
]


@pytest.mark.parametrize("snippet,expected", BAD)
def test_scanner_catches(snippet: str, expected: str) -> None:
    findings, _ = scan_html(snippet, "records/X/index.html")
    assert findings and any(expected in f for f in findings), findings


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="../../assets/search.js" defer></script>',
        '<script src="../../pagefind/pagefind-ui.js"></script>',
        '<script type="application/ld+json">{"name": "\\u003c/script\\u003e"}</script>',
        '<a href="https://example.org/" rel="nofollow noopener">x</a>',
        '<a href="mailto:a@example.org">x</a>',
        '<form class="site-search" role="search" action="../../search/index.html" method="get"></form>',
        '<form class="instant-filter" hidden data-index="../filter-index.json"></form>',
        "<p>javascript: is only text here</p>",
    ],
)
def test_scanner_passes(snippet: str) -> None:
    assert scan_html(snippet, "records/X/index.html")[0] == []


@pytest.mark.parametrize(
    "policy,ok",
    [
        ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'", True),
        ("default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'", False),
        ("default-src 'self'; script-src 'self' https://cdn.example; object-src 'none'; base-uri 'none'", False),
        ("default-src 'self'; object-src 'none'; base-uri 'none'", True),
        ("script-src 'self'; base-uri 'none'", False),  # object-src missing
        ("img-src 'self'", False),
    ],
)
def test_csp_rules(policy: str, ok: bool) -> None:
    assert (csp_problems(policy) == []) is ok
