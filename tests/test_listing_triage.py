"""Listings show what a reader triages by (issue 24, item 3): each row the automated checks'
findings its record page shows, in words; each tier and gate page its rule, with a link to the guide."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from srchgen.config import Config, load_config
from srchgen.derive.quality_guide import listing_rule
from srchgen.derive.rules import CHECK_DUPLICATE, CHECK_LABELS, CHECK_MISMATCH, Gate, Tier
from srchgen.render import finder, marks, routes

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


RULE = re.compile(r'<p class="rule">([^<]*) See the <a href="([^"]*)">quality guide</a>\.</p>')


def test_tier_and_gate_pages_state_their_rule_with_a_link_to_the_guide(built_corpus: Path) -> None:
    """One sentence each, from quality_guide.listing_rule, and a link to the guide's section on them."""
    config = load_config(built_corpus.parent)
    guide = (built_corpus / "guide" / "index.html").read_text(encoding="utf-8")
    for kind, folder, anchor, values in (("tier", "tiers", "tiers", [t.value for t in Tier]), ("gate", "gate", "gate", [g.value for g in Gate])):
        for value in values:
            page = built_corpus / folder / routes.slug(value) / "index.html"
            found = RULE.findall(page.read_text(encoding="utf-8"))
            sentence = listing_rule(kind, value, config)
            assert sentence and found == [(html.escape(sentence, quote=False), f"../../guide/index.html#{anchor}")], page
            assert sentence.count(". ") == 0 and sentence.endswith("."), sentence  # one sentence
        assert f'id="{anchor}"' in guide
    for other in ("index.html", "sections/research/index.html", "levels/l1/index.html"):
        assert '<p class="rule">' not in (built_corpus / other).read_text(encoding="utf-8"), other


@pytest.mark.parametrize(("kind", "value", "words"), [
    ("tier", Tier.DOI_GRADE.value, ("at least 8.25", "at least 1 source-grounded claim,")),
    ("tier", Tier.WATCHLIST.value, ("at least 4.0", "at least 8.25", "at least 1 source-grounded claim)")),
    ("tier", Tier.QUARANTINE.value, ("below 4.0",)),
])
def test_the_rules_are_printed_from_config(kind: str, value: str, words: tuple[str, ...]) -> None:
    """SPEC §3: every threshold in a sentence is printed from config."""
    config = Config(doi_grade_min_score=8.25, doi_grade_min_claims=1, quarantine_below_score=4.0)
    sentence = listing_rule(kind, value, config)
    assert sentence is not None
    for w in words:
        assert w in sentence, sentence


@pytest.mark.parametrize(("n", "flag"), [
    (0, ""),
    (1, "Same abstract as SRCH:00000001"),
    (3, "Same abstract as SRCH:00000001, SRCH:00000002, SRCH:00000003"),
    (4, "Same abstract as SRCH:00000001, SRCH:00000002, SRCH:00000003 and 1 other record"),
    (999, "Same abstract as SRCH:00000001, SRCH:00000002, SRCH:00000003 and 996 other records"),
], ids=["none", "a-pair", "three-named", "one-more", "a-thousand"])
def test_a_rows_duplicate_flag_stays_small(n: int, flag: str) -> None:
    """A row names at most three records sharing its abstract and counts the rest (SPEC §8: a row
    repeats in every listing; the hostile case of 1,001 records with one abstract)."""
    others = tuple((f"{i:08X}", f"SRCH:{i:08X}") for i in range(1, n + 1))
    assert marks.dupes_flag("ABCDEF01", {"ABCDEF01": others} if others else {}) == flag
