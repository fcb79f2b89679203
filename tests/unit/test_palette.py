"""The chart and graph colours (issue 24, item 5): within each chart every category keeps a colour
of its own for readers with protanopia, deuteranopia or tritanopia, and every colour stands out
from the page (3:1, WCAG 1.4.11), in the light palette and in the dark one.

Colour vision deficiency is simulated with Machado, Oliveira & Fernandes (2009), severity 1, in
linear RGB; differences are CIEDE2000 in CIELAB (D65). The palettes are read from assets/style.css.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "assets" / "style.css").read_text(encoding="utf-8")

MIN_DELTA_E = 11.0  # CIEDE2000: about 10 reads as another colour at a glance; a margin above it
MIN_CONTRAST = 3.0  # WCAG 1.4.11, graphical objects against the page

MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}
VISION = ("typical", *MACHADO)

# What each chart (and the graph) tells apart by colour, as CSS variables; the classes that use them
FAMILIES = {
    "tiers (score, tier charts; graph)": ("chart-good", "chart-warn", "chart-bad"),
    "gate statuses": ("chart-good", "chart-warn", "chart-bad", "chart-none"),
    "verification levels": ("chart-l1", "chart-l2", "chart-l3"),
}
USES = {
    ".chart-svg .bar.tier-doi-grade": "chart-good", ".chart-svg .bar.tier-watchlist": "chart-warn",
    ".chart-svg .bar.tier-quarantine-candidate": "chart-bad", ".chart-svg .bar.gate-verified": "chart-good",
    ".chart-svg .bar.gate-pending": "chart-warn", ".chart-svg .bar.gate-failed": "chart-bad",
    ".chart-svg .bar.gate-unverified": "chart-none", ".chart-svg .bar.level-l1": "chart-l1",
    ".chart-svg .bar.level-l2": "chart-l2", ".chart-svg .bar.level-l3": "chart-l3",
    ".graph-svg .node.tier-doi-grade .mark": "chart-good", ".graph-svg .node.tier-watchlist .mark": "chart-warn",
    ".graph-svg .node.tier-quarantine-candidate .mark": "chart-bad",
}


def linear(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    c = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c)
    return r, g, b


def simulate(rgb: tuple[float, float, float], vision: str) -> tuple[float, float, float]:
    if vision == "typical":
        return rgb
    m = MACHADO[vision]
    r, g, b = (min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3))
    return r, g, b


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e2000(c1: tuple[float, float, float], c2: tuple[float, float, float]) -> float:
    """CIEDE2000 (Sharma, Wu & Dalal 2005), kL = kC = kH = 1."""
    (l1, a1, b1), (l2, a2, b2) = c1, c2
    cb = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cb ** 7 / (cb ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = math.degrees(math.atan2(b1, a1p)) % 360, math.degrees(math.atan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2p - h1p if abs(h2p - h1p) <= 180 else h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360)
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hbp - 30)) + 0.24 * math.cos(math.radians(2 * hbp))
         + 0.32 * math.cos(math.radians(3 * hbp + 6)) - 0.20 * math.cos(math.radians(4 * hbp - 63)))
    sl = 1 + 0.015 * (lbp - 50) ** 2 / math.sqrt(20 + (lbp - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    rt = -math.sin(math.radians(60 * math.exp(-(((hbp - 275) / 25) ** 2)))) * 2 * math.sqrt(cbp ** 7 / (cbp ** 7 + 25 ** 7))
    dl, dc = (l2 - l1) / sl, (c2p - c1p) / sc
    return math.sqrt(dl ** 2 + dc ** 2 + (d_h / sh) ** 2 + rt * dc * (d_h / sh))


def difference(a: str, b: str, vision: str) -> float:
    return delta_e2000(lab(simulate(linear(a), vision)), lab(simulate(linear(b), vision)))


def contrast(a: str, b: str) -> float:
    def lum(c: str) -> float:
        r, g, b_ = linear(c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def palette(scheme: str) -> dict[str, str]:
    """The custom properties of :root (light) or of the prefers-color-scheme: dark block."""
    start = CSS.index(":root {") if scheme == "light" else CSS.index("@media (prefers-color-scheme: dark)")
    block = CSS[start:CSS.index("}", start)]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", block))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_chart_tells_its_categories_apart_for_colour_blind_readers(scheme: str, family: str) -> None:
    colours = palette(scheme)
    names = FAMILIES[family]
    for vision in VISION:
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                d = difference(colours[a], colours[b], vision)
                assert d >= MIN_DELTA_E, f"{scheme}, {vision}: {a} {colours[a]} and {b} {colours[b]} differ by ΔE2000 {d:.1f} in {family}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_category_colour_stands_out_from_the_page(scheme: str) -> None:
    colours = palette(scheme)
    for name in {n for names in FAMILIES.values() for n in names}:
        c = contrast(colours[name], colours["bg"])
        assert c >= MIN_CONTRAST, f"{scheme}: {name} {colours[name]} has {c:.2f}:1 against the page {colours['bg']}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_levels_do_not_borrow_the_tiers_colours(scheme: str) -> None:
    """Issue 24 found L2 and Watchlist drawn in one colour: a level never looks like a tier or gate status."""
    colours = palette(scheme)
    for level in FAMILIES["verification levels"]:
        for other in FAMILIES["gate statuses"]:
            assert difference(colours[level], colours[other], "typical") >= MIN_DELTA_E, (scheme, level, other)


def test_the_charts_use_the_palette() -> None:
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", CSS)
    for selector, var in USES.items():
        fills = [body for sel, body in rules if selector in [s.strip() for s in sel.split(",")] and "fill:" in body]
        assert any(f"var(--{var})" in body for body in fills), f"{selector} is not filled with var(--{var})"


def test_the_check_can_fail() -> None:
    """The measure itself: a red and a green that deuteranopes confuse, and the old amber/red pair."""
    assert difference("#e41a1c", "#4daf4a", "deuteranopia") < MIN_DELTA_E < difference("#e41a1c", "#4daf4a", "typical")
    assert difference("#7fd69a", "#ff8b95", "deuteranopia") < MIN_DELTA_E  # the old dark-mode DOI grade and Quarantine candidate
    assert delta_e2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)  # Sharma et al., pair 1
    assert delta_e2000((50.0, 0.0, 0.0), (50.0, -1.0, 2.0)) == pytest.approx(2.3669, abs=1e-4)  # pair 7
