"""Listings show what a reader triages by (issue 24, item 3): each row the automated checks'
findings its record page shows, in words; each tier and gate page its rule, with a link to the guide."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from srchgen.derive.rules import CHECK_DUPLICATE, CHECK_LABELS, CHECK_MISMATCH
from srchgen.render import finder

ROW = re.compile(r'<tr data-f="[^"]*"><td>SRCH:([0-9A-F]{8})</td><td><a href="[^"]*">[^<]*</a>(.*?)</td>')
FLAG = re.compile(r'<span class="flag">([^<]*)</span>')
PAGE_CHECK = re.compile(r'<li><strong>([^<]*)\.</strong>(.*?)</li>')


def listing_pages(site: Path) -> list[Path]:
    pages = [site / "index.html", *site.glob("page/*/index.html")]
    for kind in ("sections", "tiers", "gate", "levels", "topics"):
        pages += sorted(site.glob(f"{kind}/*/index.html")) + sorted(site.glob(f"{kind}/*/page/*/index.html"))
    return pages


def page_flags(site: Path, hex_id: str) -> list[str]:
    """What the record page's Automated checks row lists, in a listing row's words."""
    text = (site / "records" / hex_id / "index.html").read_text(encoding="utf-8")
    row = text.split('<th id="automated-checks">', 1)[1].split("</ul>", 1)[0]
    out = []
    for label, rest in PAGE_CHECK.findall(row):
        label = html.unescape(label)
        if label == CHECK_LABELS[CHECK_DUPLICATE]:
            out.append("Same abstract as " + ", ".join(re.findall(r">(SRCH:[0-9A-F]{8})</a>", rest)))
        else:
            out.append(label)
    return out


def rows_of(page: Path) -> dict[str, list[str]]:
    return {hex_id: [html.unescape(f) for f in FLAG.findall(cell)] for hex_id, cell in ROW.findall(page.read_text(encoding="utf-8"))}


def test_every_row_shows_the_checks_its_record_page_shows(built_corpus: Path) -> None:
    seen = 0
    for page in listing_pages(built_corpus):
        for hex_id, flags in rows_of(page).items():
            assert flags == page_flags(built_corpus, hex_id), f"{page.relative_to(built_corpus)}: {hex_id}"
            seen += 1
    assert seen > 50


def test_the_shipped_findings_are_visible_in_the_lists(built_corpus: Path) -> None:
    """Issue 24: D5E0A418 (the relevance lint) first in "Quality tier: DOI grade" with no flag, and
    the abstract shared by 08EA5386 and 8F12A054 in no list: both now in words on every listing."""
    doi_grade = rows_of(built_corpus / "tiers" / "doi-grade" / "index.html")
    assert CHECK_LABELS[CHECK_MISMATCH] in doi_grade["D5E0A418"]
    for page in listing_pages(built_corpus):
        rows = rows_of(page)
        if "08EA5386" in rows:
            assert "Same abstract as SRCH:8F12A054" in rows["08EA5386"], page
        if "8F12A054" in rows:
            assert "Same abstract as SRCH:08EA5386" in rows["8F12A054"], page


def test_a_row_without_findings_costs_no_bytes(built_corpus: Path) -> None:
    """SPEC §8: a row repeats in ~6 listings; a flag adds bytes only where there is a finding."""
    text = (built_corpus / "index.html").read_text(encoding="utf-8")
    clean = [h for h, cell in ROW.findall(text) if not page_flags(built_corpus, h)]
    assert clean, "the valid corpus has records without findings"
    for hex_id, cell in ROW.findall(text):
        if hex_id in clean:
            assert cell == "", (hex_id, cell)
        assert "\x00" not in cell and "srchgen:" not in cell, cell


def test_the_instant_filter_draws_the_same_flags(built_corpus: Path) -> None:
    """filter-index.json gives a filtered row (assets/filter.js) the flags the static row has; none: no field."""
    data = json.loads((built_corpus / finder.FILTER_INDEX).read_text(encoding="utf-8"))
    assert data["fields"][9] == "checks"
    rows = rows_of(built_corpus / "index.html")
    for r in data["records"]:
        if r[0] in rows:
            assert (r[9] if len(r) > 9 else []) == rows[r[0]], r[0]
