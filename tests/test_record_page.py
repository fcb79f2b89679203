"""The record page of issue 14: header, automated checks, dates, Signposting, licence, hosting."""

from __future__ import annotations

import base64
import hashlib

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from srchgen.build.pipeline import build
from srchgen.config import Config
from srchgen.render.render import NOT_FOUND_SCRIPT, NOT_FOUND_SCRIPT_HASH, NOT_FOUND_STYLE, NOT_FOUND_STYLE_HASH, not_found_prefix
from srchgen.render.values import is_pdf, when
from tests.conftest import manifest, project_for, write_record
from tests.pages import facts, visible_text


def test_the_known_mismatched_abstract_is_flagged_on_its_page(built_site: Path) -> None:
    """SRCH:D5E0A418 asks about MoE-VLM throughput and carries a nested-sampling abstract."""
    html = (built_site / "records/D5E0A418/index.html").read_text(encoding="utf-8")
    start = html.index('<header class="record-header"')  # data-pagefind-ignore: search excerpts the abstract (issue 24)
    header = html[start : html.index("</header>", start)]
    assert "Automated checks:" in header and "Abstract may not address the question" in header
    assert "Signals, not verdicts" in header
    assert facts(html)["Quality tier"] == "DOI grade"  # no new tier: the notice stands beside it
    assert 'data-pagefind-filter="automated check">Abstract may not address the question<' in html
    data = json.loads((built_site / "records/D5E0A418/record.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["derived"]["automated_checks"]] == ["abstract-question-mismatch", "abstract-cut-short"]


def test_a_matching_abstract_raises_no_relevance_notice(built_site: Path) -> None:
    html = (built_site / "records/08EA5386/index.html").read_text(encoding="utf-8")
    assert "Abstract may not address the question" not in html
    data = json.loads((built_site / "records/08EA5386/record.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in data["derived"]["automated_checks"]] == ["abstract-cut-short"]


def test_guide_explains_the_automated_checks(built_site: Path) -> None:
    text = visible_text((built_site / "guide/index.html").read_text(encoding="utf-8"))
    assert "Automated checks" in text and "not verdicts" in text and "Abstract cut short in its source" in text


def test_header_shows_topics_section_publisher_and_links(built_site: Path) -> None:
    html = (built_site / "records/08EA5386/index.html").read_text(encoding="utf-8")
    assert 'class="chip chip-section" href="../../sections/research/index.html" data-pagefind-filter="section">Research<' in html
    assert 'href="../../topics/mixture-of-experts/index.html">mixture-of-experts<' in html
    assert '<span class="publisher" data-pagefind-meta="publisher">Assignee Research</span>' in html  # searchable as metadata (issue 24)
    assert '<details class="contracts">' in html  # the technical contract rows are folded away


@pytest.mark.parametrize(
    "text,shown",
    [
        ("2026-06-10T06:30:49+00:00", '<time datetime="2026-06-10T06:30:49+00:00">10 June 2026, 06:30 UTC</time>'),
        ("2026-07-01T14:05:00+02:00", '<time datetime="2026-07-01T14:05:00+02:00">1 July 2026, 12:05 UTC</time>'),
        ("Not evaluated", "Not evaluated"),
        ("Not yet evaluated", "Not yet evaluated"),
    ],
)
def test_evaluated_reads_humanly(text: str, shown: str) -> None:
    assert str(when(text)) == shown


@pytest.mark.parametrize(
    "url,pdf", [("https://x.org/r.pdf", True), ("https://x.org/R.PDF?dl=1", True), ("https://x.org/r.html", False), (None, False)]
)
def test_report_pdf(url: str | None, pdf: bool) -> None:
    assert is_pdf(url) is pdf


@pytest.mark.parametrize(
    "overrides,prefix",
    [
        ({"base_url": "https://org.github.io/repo/"}, "/repo/"),
        ({"cname": "registry.example.org"}, "/"),
        ({"repository": "https://github.com/org/registry"}, "/registry/"),
        ({"repository": "https://github.com/org/org.github.io"}, ""),
        ({}, ""),
    ],
)
def test_404_prefix(overrides: dict[str, str], prefix: str) -> None:
    assert not_found_prefix(Config(**overrides)) == prefix


def test_404_without_base_url_is_styled_inline_by_hash(tmp_project: Path) -> None:
    report = build(project_for(tmp_project), search=False)
    assert not report.errors
    html = (tmp_project / "site/404.html").read_text(encoding="utf-8")
    assert f"<style>{NOT_FOUND_STYLE}</style>" in html and f"style-src 'self' '{NOT_FOUND_STYLE_HASH}';" in html
    assert 'href="/assets/style.css"' not in html and 'href="index.html"' in html


def test_404_without_base_url_finds_its_root_by_a_script_allowed_by_hash(tmp_project: Path) -> None:
    """Issue 24: the script that points a deep 404's links at the site's root runs under the page's
    CSP only because its SHA-256, as the browser computes it over the script's text, is listed."""
    report = build(project_for(tmp_project), search=False)
    assert not report.errors
    html = (tmp_project / "site/404.html").read_text(encoding="utf-8")
    text = html.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert text == NOT_FOUND_SCRIPT and digest == NOT_FOUND_SCRIPT_HASH
    assert f"script-src 'self' 'wasm-unsafe-eval' '{digest}';" in html
    assert html.count("<script") == 1  # no other page carries an inline script
    assert all("<script>" not in p.read_text(encoding="utf-8") for p in (tmp_project / "site").rglob("*.html") if p.name != "404.html")


def test_404_with_base_url_uses_its_path(built_site: Path) -> None:
    html = (built_site / "404.html").read_text(encoding="utf-8")
    assert 'href="/repo/assets/style.css"' in html and "<style>" not in html and "<script>" not in html


def _one_record_site(root: Path, **config: str) -> str:
    extra = "".join(f'{k} = "{v}"\n' for k, v in config.items())
    (root / "pyproject.toml").write_text(f'[tool.srchgen]\ntitle = "T"\n{extra}', encoding="utf-8")
    data = manifest(doi="10.5555/abc.1", report_url="https://example.org/report.pdf",
                    corrections=[{"date": dt.date(2026, 7, 3), "type": "clarification", "summary": "Clarified a figure."}])
    write_record(root / "records", data)
    report = build(project_for(root), search=False)
    assert not report.errors, [str(p) for p in report.errors]
    return (root / "site/records" / data["id"][5:] / "index.html").read_text(encoding="utf-8")


def test_signposting_licence_and_correction_link(empty_project: Path) -> None:
    html = _one_record_site(empty_project, license="CC-BY-4.0", repository="https://github.com/org/registry")
    hex_id = re.search(r'data-pagefind-meta="id">SRCH:([0-9A-F]{8})<', html).group(1)  # type: ignore[union-attr]
    assert '<link rel="cite-as" href="https://doi.org/10.5555/abc.1">' in html
    assert '<link rel="describedby" href="record.json" type="application/json">' in html
    assert '<link rel="type" href="https://schema.org/ScholarlyArticle">' in html
    assert '<link rel="item" href="https://example.org/report.pdf" type="application/pdf">' in html
    assert '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">' in html
    assert '<meta name="citation_pdf_url" content="https://example.org/report.pdf">' in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert ld["dateModified"] == "2026-07-03" and ld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert f'href="https://github.com/org/registry/edit/main/records/{hex_id}.md"' in html
    assert ">CC-BY-4.0</a>" in html  # the licence in the footer
    assert '<time datetime="2026-07-03">3 July 2026</time>' in html  # correction dates read humanly too
    assert facts(html)["Report artifact"] == "Available"


def test_without_licence_or_repository_nothing_is_invented(empty_project: Path) -> None:
    html = _one_record_site(empty_project)
    assert 'rel="license"' not in html and "/edit/main/" not in html and "Suggest a correction" not in html


def test_a_shared_abstract_is_shown_on_both_pages(built_site: Path) -> None:
    """Seeds 000 and 002 (SRCH:08EA5386, SRCH:8F12A054) carry the same abstract: a check across records."""
    for me, other in (("08EA5386", "8F12A054"), ("8F12A054", "08EA5386")):
        html = (built_site / f"records/{me}/index.html").read_text(encoding="utf-8")
        assert f'same abstract as <a href="../../records/{other}/index.html">SRCH:{other}</a>' in html  # in the header notice
        assert '<span hidden data-pagefind-filter="automated check">Same abstract as another record</span>' in html
        assert "\x00" not in html  # every stand-in filled
    lone = (built_site / "records/D5E0A418/index.html").read_text(encoding="utf-8")
    assert "Same abstract as another record" not in lone


def test_status_badges_are_shared_and_embeddable(built_site: Path) -> None:
    """Issue 14: one SVG per tier and gate status (12, not one per record), the page shows its own
    and, with base_url, a snippet to embed it."""
    import xml.etree.ElementTree as ET

    found = sorted(p.name for p in (built_site / "badges").glob("*.svg"))
    assert len(found) == 12 and "doi-grade--unverified.svg" in found
    for name in found:
        root = ET.fromstring((built_site / "badges" / name).read_bytes())
        assert root.get("role") == "img" and not root.findall(".//{http://www.w3.org/2000/svg}script")
    html = (built_site / "records/D5E0A418/index.html").read_text(encoding="utf-8")
    width = ET.fromstring((built_site / "badges/doi-grade--unverified.svg").read_bytes()).get("width")
    # issue 24: the <img> has the SVG's own width and height, on the page and in the HTML snippet
    assert f'<img src="../../badges/doi-grade--unverified.svg" alt="SRCH: DOI grade · Gate 2 Unverified" width="{width}" height="20">' in html
    assert f'alt="SRCH: DOI grade · Gate 2 Unverified" width="{width}" height="20"&gt;&lt;/a&gt;' in html
    assert "[![SRCH: DOI grade · Gate 2 Unverified](https://example.org/repo/badges/doi-grade--unverified.svg)](https://example.org/repo/records/D5E0A418/)" in html


def _same_abstract_as(site: Path) -> dict[str, list[str]]:
    """Each record's `same_abstract_as`, from its record.json and from the data export (which must agree)."""
    import gzip

    files = {p.parent.name: json.loads(p.read_bytes())["derived"]["same_abstract_as"] for p in site.glob("records/*/record.json")}
    export = json.loads(gzip.decompress((site / "records.json.gz").read_bytes()))
    assert {r["path"].split("/")[1]: r["derived"]["same_abstract_as"] for r in export["records"]} == files
    return files


def test_a_shared_abstract_is_in_the_record_data_and_the_export(tmp_path: Path) -> None:
    """Issue 14: the duplicate-abstract finding is in each record's JSON too, and an edit that makes or
    undoes the duplicate gives the same files as a clean build (the list is known only at the end)."""
    from tests.test_build import digest

    root = tmp_path / "reg"
    records = root / "records"
    texts = {"0000000A": "Sparse routing halves the cost of inference at equal accuracy on MMMU.\n",
             "0000000B": "Dense models keep their accuracy at twice the memory on MathVista.\n",
             "0000000C": "A third abstract about something else entirely, cited for context only.\n"}
    for h, body in texts.items():
        write_record(records, manifest(id=f"SRCH:{h}"), body)

    def site_after(changes: dict[str, str]) -> dict[str, list[str]]:
        for h, body in changes.items():
            write_record(records, manifest(id=f"SRCH:{h}"), body)
        report = build(project_for(root), search=False)  # incremental: the cache of the last build
        assert not report.errors, [str(p) for p in report.errors]
        clean = tmp_path / f"clean-{len(list(tmp_path.iterdir()))}"
        clean.mkdir()
        (clean / "records").symlink_to(records)
        assert not build(project_for(clean), search=False).errors
        assert digest(root / "site") == digest(clean / "site")  # every byte as a clean build's
        assert b"u0000" not in b"".join(p.read_bytes() for p in (root / "site").glob("records/*/record.json"))
        return _same_abstract_as(root / "site")

    assert site_after({}) == {"0000000A": [], "0000000B": [], "0000000C": []}
    assert site_after({"0000000B": texts["0000000A"]}) == {"0000000A": ["SRCH:0000000B"], "0000000B": ["SRCH:0000000A"], "0000000C": []}
    assert site_after({"0000000C": texts["0000000A"]}) == {
        "0000000A": ["SRCH:0000000B", "SRCH:0000000C"], "0000000B": ["SRCH:0000000A", "SRCH:0000000C"],
        "0000000C": ["SRCH:0000000A", "SRCH:0000000B"]}
    assert site_after({"0000000B": texts["0000000B"], "0000000C": texts["0000000C"]}) == {"0000000A": [], "0000000B": [], "0000000C": []}


@pytest.mark.parametrize("tier,gate,colour", [
    ("DOI grade", "Verified", "#1f6b36"),  # green only when the gate verified it
    ("DOI grade", "Unverified", "#4a5866"), ("DOI grade", "Pending", "#4a5866"),
    ("DOI grade", "Failed", "#a11d2b"), ("Watchlist", "Failed", "#a11d2b"),
    ("Watchlist", "Verified", "#8a4b00"), ("Watchlist", "Unverified", "#8a4b00"),
    ("Quarantine candidate", "Verified", "#a11d2b"), ("Quarantine candidate", "Pending", "#a11d2b"),
])
def test_a_badge_is_green_only_for_a_verified_doi_grade_record(tier: str, gate: str, colour: str) -> None:
    """Issue 24: the badge's colour does not say "good" for a record whose gate is not Verified."""
    from srchgen.derive.rules import Gate, Tier
    from srchgen.render import badges

    svg = badges.badge_svg(Tier(tier), Gate(gate)).decode()
    assert f'fill="{colour}"' in svg
    assert f'width="{badges.badge_parts(tier, gate)[0] + badges.badge_parts(tier, gate)[1]}"' in svg
