"""Triage on a phone (issue 24, item 1), measured in Chromium at 390 x 844 on the registry this
repository ships (records/, built through the public CLI as `make site` does):

- every item of the main navigation is on screen, wrapped, with no hidden horizontal scroll, and
  Search is in the first screen of every kind of page;
- each shipped record page's abstract starts within ABSTRACT_TOP_MAX px of the top.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.sitecheck import REPO, serve_directory

PHONE = {"width": 390, "height": 844}
ABSTRACT_TOP_MAX = 560  # issue 24: the abstract's first line at most 560 px from the top
TARGET_MIN = 24  # WCAG 2.2 target size (minimum), CSS px

SHIPPED = sorted(p.stem for p in (REPO / "records").glob("*.md"))

# one page of every kind the navigation is on
PAGE_KINDS = [
    "index.html", "sections/research/index.html", "tiers/watchlist/index.html", "topics/index.html",
    "graph/index.html", "stats/index.html", "guide/index.html", "about/index.html", "search/index.html",
    "404.html", f"records/{SHIPPED[0]}/index.html",
]

NAV_GEOMETRY = """() => {
  const ul = document.querySelector('header nav[aria-label="Main"] ul');
  const links = [...ul.querySelectorAll('a')].map(a => { const r = a.getBoundingClientRect();
    return {text: a.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            visible: getComputedStyle(a).visibility !== 'hidden' && r.width > 0 && r.height > 0}; });
  return {links, overflow: ul.scrollWidth - ul.clientWidth, page: document.documentElement.scrollWidth};
}"""

ABSTRACT_TOP = """() => { const first = document.querySelector('#abstract + .prose > *');
  return first.getBoundingClientRect().top + window.scrollY; }"""


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped registry (records/ and pyproject.toml), built as `make site` builds it."""
    project = tmp_path_factory.mktemp("shipped") / "project"
    shutil.copytree(REPO / "records", project / "records")
    shutil.copy(REPO / "pyproject.toml", project / "pyproject.toml")
    proc = subprocess.run([sys.executable, "-m", "srchgen", "build", "--no-search"], cwd=project, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"build failed:\n{proc.stdout}\n{proc.stderr}"
    return project / "site"


@pytest.fixture(scope="module")
def phone(chromium_browser: object, shipped_site: Path):  # type: ignore[no-untyped-def]
    with serve_directory(shipped_site) as served:
        context = chromium_browser.new_context(viewport=PHONE)  # type: ignore[attr-defined]
        try:
            yield served, context.new_page()
        finally:
            context.close()


def test_the_shipped_registry_has_records() -> None:
    assert len(SHIPPED) >= 5, SHIPPED


@pytest.mark.parametrize("path", PAGE_KINDS)
def test_every_navigation_item_is_on_screen_and_search_in_the_first_one(phone, path: str) -> None:  # type: ignore[no-untyped-def]
    served, page = phone
    page.goto(served.url(path))
    nav = page.evaluate(NAV_GEOMETRY)
    assert nav["overflow"] <= 0, f"{path}: the navigation scrolls sideways by {nav['overflow']} px"
    assert nav["page"] <= PHONE["width"], f"{path}: the page is {nav['page']} px wide"
    for link in nav["links"]:
        assert link["visible"], f"{path}: {link['text']} is hidden"
        assert 0 <= link["left"] and link["right"] <= PHONE["width"], f"{path}: {link['text']} is off screen ({link['left']:.0f}-{link['right']:.0f} px)"
        assert link["bottom"] - link["top"] >= TARGET_MIN, f"{path}: {link['text']} is {link['bottom'] - link['top']:.0f} px tall"
    search = [link for link in nav["links"] if link["text"] == "Search"]
    assert search and search[0]["bottom"] <= PHONE["height"], f"{path}: Search is not in the first screen"


@pytest.mark.parametrize("record", SHIPPED)
def test_the_abstract_starts_in_the_first_screen(phone, record: str) -> None:  # type: ignore[no-untyped-def]
    served, page = phone
    page.goto(served.url(f"records/{record}/index.html"))
    top = page.evaluate(ABSTRACT_TOP)
    assert top <= ABSTRACT_TOP_MAX, f"{record}: the abstract starts {top:.0f} px from the top (at most {ABSTRACT_TOP_MAX})"
    # the header's facts stay whole: every fact is on screen, none cut at the right edge
    overflow = page.evaluate("() => Math.max(...[...document.querySelectorAll('.facts > div:not([hidden])')].map(d => d.getBoundingClientRect().right))")
    assert overflow <= PHONE["width"], f"{record}: a fact reaches {overflow:.0f} px"
