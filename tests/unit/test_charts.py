"""Charts are inline SVG built from counts: proportional, escaped, deterministic (SPEC §4)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from srchgen.render import charts
from srchgen.derive.rules import Gate, Level, Tier

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """Every chart must be well-formed XML (it is inline SVG in HTML)."""
    return ET.fromstring(svg)


def bar_widths(svg: str) -> list[float]:
    return [float(r.get("width", "0")) for r in parse(svg).iter(SVG + "rect")]


def row(score: float, tier: Tier = Tier.WATCHLIST, gate: Gate = Gate.UNVERIFIED, level: Level = Level.L2, day: dt.date = dt.date(2026, 5, 1)):
    return (score, tier, gate, level, day)


def test_bars_are_proportional_to_counts() -> None:
    svg = charts.bar_chart("c", "T", [("a", 10, "x"), ("b", 5, "y"), ("c", 0, "z"), ("d", 1, "w")])
    widths = bar_widths(svg)
    assert widths[0] == pytest.approx(2 * widths[1])
    assert widths[2] == 0
    assert widths[3] == pytest.approx(widths[0] / 10, abs=0.1)


def test_stacked_heights_are_proportional_and_stack() -> None:
    series = [("A", "a", [2, 0, 1]), ("B", "b", [2, 4, 0])]
    root = parse(charts.stacked_histogram("h", "T", series, ["0", "1", "2"], "d"))
    bars = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    heights = {r.find(SVG + "title").text: float(r.get("height")) for r in bars}
    assert heights["0: 2 A"] == pytest.approx(heights["0: 2 B"])
    assert heights["1: 4 B"] == pytest.approx(2 * heights["0: 2 A"])
    assert heights["2: 1 A"] == pytest.approx(heights["0: 2 A"] / 2)
    # the B bar of bin 0 sits on top of the A bar
    a0 = next(r for r in bars if r.find(SVG + "title").text == "0: 2 A")
    b0 = next(r for r in bars if r.find(SVG + "title").text == "0: 2 B")
    assert float(b0.get("y")) + float(b0.get("height")) == pytest.approx(float(a0.get("y")), abs=0.1)


@pytest.mark.parametrize(
    ("score", "expected_bin"),
    [(0.0, 0), (0.99, 0), (1.0, 1), (4.99, 4), (5.0, 5), (9.99, 9), (10.0, 9)],
    ids=lambda v: str(v),
)
def test_score_bins_at_boundaries(score: float, expected_bin: int) -> None:
    assert charts.score_bin(score) == expected_bin


@pytest.mark.parametrize(("n", "top", "grid"), [(0, 1, [0, 1]), (1, 1, [0, 1]), (3, 3, [0, 1, 2, 3]), (39, 40, [0, 10, 20, 30, 40]), (200, 200, [0, 50, 100, 150, 200]), (10001, 15000, [0, 5000, 10000, 15000])])
def test_axis_is_round_and_covers_the_maximum(n: int, top: int, grid: list[int]) -> None:
    assert charts.axis(n) == (top, grid)


def test_empty_registry_gives_valid_charts_that_say_so() -> None:
    figures = charts.registry_charts(charts.gather([]))
    for name, chart in figures.items():
        root = parse(chart.svg)
        assert root.get("role") == "img", name
        assert "No records yet" in chart.summary, name
        data_bars = [r for r in root.iter(SVG + "rect") if "swatch" not in r.get("class", "")]
        assert all(float(r.get("width")) == 0 or float(r.get("height")) == 0 for r in data_bars), name
        assert not re.search(r'="-?(nan|inf)', chart.svg.lower()), name
    assert figures["months"].rows == ()


def test_text_is_escaped() -> None:
    nasty = '<script>alert("x")</script> & \'q\''
    svg = charts.bar_chart("id\"x", nasty, [(nasty, 3, "c")], desc=nasty)
    root = parse(svg)  # would raise if anything broke out of its element or attribute
    assert "<script>" not in svg
    assert root.find(SVG + "title").text == nasty
    labels = [t.text for t in root.iter(SVG + "text")]
    assert nasty in labels


def test_text_alternative_is_wired() -> None:
    chart = charts.tier_chart(charts.gather([row(8.0, Tier.DOI_GRADE), row(6.0)]))
    root = parse(chart.svg)
    ids = root.get("aria-labelledby", "").split()
    assert ids == ["chart-tiers-title", "chart-tiers-desc"]
    assert root.find(SVG + "title").get("id") == ids[0]
    assert root.find(SVG + "desc").get("id") == ids[1]
    assert "DOI grade: 1 record" in chart.summary and "Watchlist: 1 record" in chart.summary
    assert ("DOI grade", "1") in chart.rows


def test_no_inline_style_and_deterministic() -> None:
    rows = [row(s / 10, t, g, lv, dt.date(2025, 1 + s % 12, 1)) for s, (t, g, lv) in enumerate([(t, g, lv) for t in Tier for g in Gate for lv in Level] * 3)]
    a = charts.registry_charts(charts.gather(rows))
    b = charts.registry_charts(charts.gather(list(reversed(rows))))
    assert a == b
    for chart in a.values():
        assert "style=" not in chart.svg
        assert not re.search(r"-0(?![.\d])", chart.svg)


def test_month_chart_fills_gaps_and_names_years() -> None:
    stats = charts.gather([row(5, day=dt.date(2025, 11, 3)), row(5, day=dt.date(2026, 2, 1)), row(5, day=dt.date(2026, 2, 9))])
    chart = charts.month_chart(stats)
    assert [r[0] for r in chart.rows] == ["Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026"]
    assert [r[1] for r in chart.rows] == ["1", "0", "0", "2"]
    assert "busiest month was Feb 2026 with 2 submissions" in chart.summary
    texts = [t.text for t in parse(chart.svg).iter(SVG + "text")]
    assert "2025" in texts and "2026" in texts


def test_gather_counts_every_record_once() -> None:
    stats = charts.gather([row(9.5, Tier.DOI_GRADE, Gate.VERIFIED, Level.L3), row(3.0, Tier.QUARANTINE, Gate.PENDING, Level.L1)])
    assert stats.total == 2
    assert stats.tiers[Tier.DOI_GRADE] == 1 and stats.tiers[Tier.WATCHLIST] == 0
    assert stats.gates[Gate.VERIFIED] == 1 and stats.levels[Level.L1] == 1
    assert stats.scores[Tier.DOI_GRADE][9] == 1 and stats.scores[Tier.QUARANTINE][3] == 1
