"""Statistics and graph on a phone (issue 24, item 5), measured in Chromium as a reader sees them:
chart text at least 12 CSS px after the SVG is scaled to the screen, axis text of one size across
charts, and the graph usable by touch (each record's link at least 24 × 24 px, labels at least
12 px) or, on a small screen, left out for the list of the same links."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.sitecheck import serve_directory

MIN_TEXT_PX = 12
MIN_TARGET_PX = 24

# Every chart text's rendered size: its computed font size times the SVG's scale on screen
CHART_TEXT = """() => [...document.querySelectorAll('svg.chart-svg')].flatMap(svg => {
  const scale = svg.getScreenCTM().a, chart = svg.closest('.chart').id;
  return [...svg.querySelectorAll('text')].map(t => ({
    chart, cls: t.getAttribute('class'), text: t.textContent,
    px: parseFloat(getComputedStyle(t).fontSize) * scale, height: t.getBoundingClientRect().height }));
})"""

GRAPH = """() => {
  const svg = document.querySelector('svg.graph-svg');
  const shown = !!svg && svg.getBoundingClientRect().width > 0;
  const list = document.querySelector('.graph-list');
  return {
    shown,
    listShown: !!list && list.getBoundingClientRect().height > 0,
    listed: [...document.querySelectorAll('.graph-list > li > a')].map(a => a.textContent),
    nodes: shown ? [...svg.querySelectorAll('a.node')].map(a => {
      const r = a.getBoundingClientRect(), t = a.querySelector('text');
      return {label: t.textContent, width: r.width, height: r.height, px: parseFloat(getComputedStyle(t).fontSize) * svg.getScreenCTM().a};
    }) : [],
    drawn: svg ? [...svg.querySelectorAll('a.node text')].map(t => t.textContent) : [],
  };
}"""


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)], ids=["phone", "desktop"])
def test_chart_text_is_readable_and_axes_are_one_size(chromium_browser: object, local_site: Path, width: int, height: int) -> None:
    with serve_directory(local_site, "/repo/") as served:
        context = chromium_browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        try:
            page = context.new_page()
            page.goto(served.url("stats/index.html"), wait_until="load")
            texts = page.evaluate(CHART_TEXT)
            charts = {t["chart"] for t in texts}
            assert charts == {"chart-scores-figure", "chart-months-figure", "chart-tiers-figure", "chart-gates-figure", "chart-levels-figure"}
            small = [t for t in texts if t["px"] < MIN_TEXT_PX or t["height"] < MIN_TEXT_PX]
            assert not small, f"chart text under {MIN_TEXT_PX} px at {width} px: {small[:5]}"
            axes = {round(t["px"], 2) for t in texts if t["cls"] == "chart-axis"}
            assert len(axes) == 1, f"axis text of {len(axes)} sizes across charts at {width} px: {sorted(axes)}"
        finally:
            context.close()


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)], ids=["phone", "desktop"])
def test_graph_is_usable_by_touch_or_replaced_by_its_list(chromium_browser: object, local_site: Path, width: int, height: int) -> None:
    with serve_directory(local_site, "/repo/") as served:
        context = chromium_browser.new_context(viewport={"width": width, "height": height}, has_touch=True)  # type: ignore[attr-defined]
        try:
            page = context.new_page()
            page.goto(served.url("graph/index.html"), wait_until="load")
            g = page.evaluate(GRAPH)
            assert g["drawn"], "the valid corpus has related records: the page draws them"
            # the list is always there, and names every record the drawing shows
            assert g["listShown"] and sorted(i.removeprefix("SRCH:") for i in g["listed"]) == sorted(g["drawn"])
            if width <= 390:
                assert not g["shown"], "on a phone the list stands in for the drawing"
                assert page.get_by_text("On a small screen the drawing is left out").is_visible()
                links = page.locator(".graph-list a")
                for i in range(links.count()):
                    box = links.nth(i).bounding_box()
                    assert box and box["height"] >= MIN_TARGET_PX, f"list link {i} is {box} at {width} px"
            else:
                assert g["shown"]
                bad = [n for n in g["nodes"] if n["width"] < MIN_TARGET_PX or n["height"] < MIN_TARGET_PX or n["px"] < MIN_TEXT_PX]
                assert not bad, f"graph nodes too small to tap or read at {width} px: {bad[:5]}"
        finally:
            context.close()
