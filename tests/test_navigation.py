"""Issue 14: no link in the navigation to a section without records, on any page, whichever way
the page was made (rendered before every record was known and filled in, or after; a clean, an
incremental or an in-place build)."""

from __future__ import annotations

from pathlib import Path

import pytest

from srchgen.build.pipeline import build
from tests.conftest import manifest, project_for, write_record
from tests.test_build import digest

SECTIONS = ("research", "benchmarks", "mathematics")


def _nav_sections(page: Path) -> set[str]:
    html = page.read_text(encoding="utf-8")
    nav = html[html.index('<nav aria-label="Main">'): html.index("</nav>")]
    return {s for s in SECTIONS if f"sections/{s}/index.html" in nav}


def _site(root: Path) -> Path:
    report = build(project_for(root), search=False)
    assert not report.errors, [str(p) for p in report.errors]
    return root / "site"


def _clean_copy(tmp_path: Path, records: Path, n: int) -> Path:
    clean = tmp_path / f"clean-{n}"
    clean.mkdir()
    (clean / "records").symlink_to(records)
    return _site(clean)


@pytest.mark.parametrize("present", [{"research"}, {"research", "mathematics"}, set(SECTIONS)])
def test_the_navigation_links_only_sections_with_records(tmp_path: Path, present: set[str]) -> None:
    records = tmp_path / "reg" / "records"
    for i, section in enumerate(sorted(present)):
        write_record(records, manifest(id=f"SRCH:0000000{i + 1}", section=section))
    site = _site(tmp_path / "reg")
    pages = [site / "index.html", site / "guide/index.html", site / "404.html", *site.glob("records/*/index.html"),
             *site.glob("sections/*/index.html"), *site.glob("tiers/*/index.html")]
    for page in pages:
        assert _nav_sections(page) == present, page
        assert b"\x00" not in page.read_bytes(), page  # every mark filled or cut
    # a section without records has no listing at all (nothing links it), one with records has its own
    assert {s for s in SECTIONS if (site / f"sections/{s}/index.html").is_file()} == present


def test_a_first_record_in_a_section_adds_it_everywhere_and_the_last_removes_it(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    records = root / "records"
    for i in range(3):
        write_record(records, manifest(id=f"SRCH:0000000{i + 1}", section="research"))
    site = _site(root)
    assert _nav_sections(site / "records/00000001/index.html") == {"research"}
    math = write_record(records, manifest(id="SRCH:0000000A", section="mathematics"))
    site = _site(root)  # incremental: the other records' pages were made by the build before
    assert _nav_sections(site / "records/00000001/index.html") == {"research", "mathematics"}
    assert digest(site) == digest(_clean_copy(tmp_path, records, 1))
    math.unlink()
    site = _site(root)
    assert _nav_sections(site / "records/00000002/index.html") == {"research"}
    assert digest(site) == digest(_clean_copy(tmp_path, records, 2))
    # an edit in place (an abstract's wording) keeps the navigation as it was
    write_record(records, manifest(id="SRCH:00000003", section="research"), "A reworded abstract about the harness.\n")
    site = _site(root)
    assert _nav_sections(site / "records/00000003/index.html") == {"research"}
    assert digest(site) == digest(_clean_copy(tmp_path, records, 3))
