"""Charts drawn at build time as inline SVG, each with a text alternative (SPEC §4).

Pure functions: counts in, SVG markup out. No JavaScript, no inline style (the pages'
Content-Security-Policy forbids it): colours come from classes in assets/style.css,
so they follow the light and dark palettes. Every number is formatted with a fixed
precision, so the same counts always give the same bytes. Aggregation is one pass
over the entries (O(n)); drawing depends only on the number of bins.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from html import escape
from typing import Iterable, Mapping, Sequence

from srchgen.derive.rules import Gate, Level, Tier, plural
from srchgen.render.routes import slug

BINS = 10  # review scores 0..10 in 1-point bins; 10.00 falls in the last bin (9–10)
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Chart:
    """One figure: the SVG, a visible one-sentence summary, and the data as a table."""

    id: str
    title: str
    summary: str
    svg: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def esc(text: object) -> str:
    """Text and attribute values in SVG markup: &, <, >, and both quotes escaped."""
    return escape(str(text), quote=True)


def num(x: float) -> str:
    """Coordinates with at most one decimal and no '-0', so output bytes are stable."""
    s = f"{x:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def nice_step(x: float) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above x (at least 1)."""
    if x <= 1:
        return 1
    mag = 10 ** int(math.floor(math.log10(x)))
    for step in (1, 2, 5, 10):
        if step * mag >= x:
            return step * mag
    return 10 * mag  # pragma: no cover


def axis(n: int, count: int = 4) -> tuple[int, list[int]]:
    """A round axis maximum at or above n and its gridlines: about `count` steps of 1, 2 or 5 × 10^k."""
    step = nice_step(n / count)
    top = max(step, math.ceil(n / step) * step)
    return top, list(range(0, top + 1, step))


# Every chart is drawn WIDTH units wide and shown at one scale (assets/style.css: width 100%, at most
# 24rem), so 1 unit is the same size in every chart and its text the same size; at 390 px a unit is
# 1.05 CSS px, so 13-unit text is 13.7 px (issue 24: at least 12 px on a phone, axes of one size).
WIDTH = 340
FONT = 13  # every chart text: labels, values and axes (style.css sets it; used here to fit text)
CHAR_W = 0.6 * FONT  # a generous average advance of one character of the sans-serif font
# A second cue beside colour where a category is told only by colour (the score chart's stacked
# tiers): the n-th series is overlaid with the n-th hatching (none, diagonal lines, cross-hatching).
HATCHES = ("", '<path d="M0 8L8 0M-2 2L2 -2M6 10L10 6"/>', '<path d="M0 8L8 0M-2 2L2 -2M6 10L10 6M0 0L8 8M-2 6L2 10M6 -2L10 2"/>')


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{esc(chart_id)}-title {esc(chart_id)}-desc">',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-desc">{esc(desc)}</desc>',
    ]


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, int, str]], desc: str = "") -> str:
    """Horizontal bars, one per (label, count, css class), each under its label (any label fits a
    phone's width); bar length is proportional to count, the count printed at its end."""
    count_w, row_h, pad = 8 + CHAR_W * 6, 42, 4
    plot_w = WIDTH - count_w
    height = max(1, len(items)) * row_h + pad * 2
    top = max((c for _, c, _ in items), default=0)
    parts = _open(chart_id, title, desc or sentence_counts(items), WIDTH, height)
    for i, (label, count, cls) in enumerate(items):
        y = pad + i * row_h
        w = plot_w * count / top if top else 0.0
        parts.append(f'<text class="chart-label" x="0" y="{y + FONT}">{esc(label)}</text>')
        parts.append(f'<rect class="bar {esc(cls)}" x="0" y="{y + 19}" width="{num(w)}" height="16"/>')
        parts.append(f'<text class="chart-value" x="{num(w + 6)}" y="{y + 19 + 8}" dominant-baseline="middle">{count}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _hatch_defs(chart_id: str, n: int) -> list[str]:
    out = ["<defs>"]
    for i in range(1, min(n, len(HATCHES))):
        out.append(
            f'<pattern id="{esc(chart_id)}-hatch-{i}" class="hatch" width="8" height="8" patternUnits="userSpaceOnUse">{HATCHES[i]}</pattern>'
        )
    out.append("</defs>")
    return out


def _hatched(chart_id: str, i: int, x: str, y: str, w: str, h: str, cls: str = "hatch-fill") -> str:
    """The overlay that gives the i-th series its hatching (nothing for the first)."""
    if not 0 < i < len(HATCHES):
        return ""
    return f'<rect class="{cls}" x="{x}" y="{y}" width="{w}" height="{h}" fill="url(#{esc(chart_id)}-hatch-{i})"/>'


def stacked_histogram(chart_id: str, title: str, series: Sequence[tuple[str, str, Sequence[int]]], bin_labels: Sequence[str], desc: str) -> str:
    """Vertical bars per bin, stacked by series (label, css class, counts per bin), each series hatched
    differently as well as coloured, with a legend that wraps. Axis labels name the bins' edges when
    the labels are ranges ("0–1"), so each is short enough for a phone."""
    left, right, top_pad, bottom = 8 + CHAR_W * 3, 10, 10, 26
    plot_w = WIDTH - left - right
    bin_w = plot_w / max(1, len(bin_labels))
    plot_h = 170
    legend: list[tuple[float, float, str, str, int]] = []  # x, y, name, css class, series index
    lx, ly = 0.0, top_pad + plot_h + bottom + 14
    for i, (name, cls, _) in enumerate(series):
        item_w = 16 + CHAR_W * len(name)
        if lx and lx + item_w > WIDTH:
            lx, ly = 0.0, ly + 22
        legend.append((lx, ly, name, cls, i))
        lx += item_w + 16
    height = math.ceil(ly + 14) if series else top_pad + plot_h + bottom
    totals = [sum(s[2][i] for s in series) for i in range(len(bin_labels))]
    top, grid = axis(max(totals, default=0))
    parts = _open(chart_id, title, desc, WIDTH, height)
    parts += _hatch_defs(chart_id, len(series))
    base_y = top_pad + plot_h
    for t in grid:
        y = base_y - plot_h * t / top
        parts.append(f'<line class="grid" x1="{num(left)}" x2="{num(left + plot_w)}" y1="{num(y)}" y2="{num(y)}"/>')
        parts.append(f'<text class="chart-axis" x="{num(left - 6)}" y="{num(y)}" text-anchor="end" dominant-baseline="middle">{t}</text>')
    gap = min(6.0, bin_w / 5)
    for i, label in enumerate(bin_labels):
        x = left + i * bin_w
        y = float(base_y)
        for k, (name, cls, counts) in enumerate(series):
            c = counts[i]
            if not c:
                continue
            h = plot_h * c / top
            y -= h
            box = (num(x + gap / 2), num(y), num(bin_w - gap), num(h))
            parts.append(f'<rect class="bar {esc(cls)}" x="{box[0]}" y="{box[1]}" width="{box[2]}" height="{box[3]}">'
                         f"<title>{esc(label)}: {c} {esc(name)}</title></rect>")
            parts.append(_hatched(chart_id, k, *box))
    edges = [b.partition("–") for b in bin_labels]
    if all(sep for _, sep, _ in edges):  # ranges: label each edge once, the last range's end too
        ticks = [(left + i * bin_w, lo) for i, (lo, _, _) in enumerate(edges)] + [(left + plot_w, edges[-1][2])]
    else:
        ticks = [(left + (i + 0.5) * bin_w, b) for i, b in enumerate(bin_labels)]
    for x, text in ticks:
        parts.append(f'<text class="chart-axis" x="{num(x)}" y="{base_y + 18}" text-anchor="middle">{esc(text)}</text>')
    parts.append(f'<line class="axis" x1="{num(left)}" x2="{num(left + plot_w)}" y1="{base_y}" y2="{base_y}"/>')
    for x, y, name, cls, i in legend:
        box = (num(x), num(y - 6), "12", "12")
        parts.append(f'<rect class="bar swatch {esc(cls)}" x="{box[0]}" y="{box[1]}" width="12" height="12"/>')
        parts.append(_hatched(chart_id, i, *box, cls="hatch-fill swatch"))
        parts.append(f'<text class="chart-label" x="{num(x + 16)}" y="{num(y)}" dominant-baseline="middle">{esc(name)}</text>')
    parts.append("</svg>")
    return "\n".join(p for p in parts if p)


COLUMN_LEFT = 8 + CHAR_W * 3


def column_geometry(n: int) -> tuple[float, float, int]:
    """Plot width, bar width and label step for n columns: a label needs about 5 characters."""
    plot_w = WIDTH - COLUMN_LEFT - 10
    bin_w = plot_w / max(1, n)
    return plot_w, bin_w, max(1, math.ceil(CHAR_W * 5 / bin_w))


def column_chart(chart_id: str, title: str, items: Sequence[tuple[str, int]], desc: str) -> str:
    """Vertical bars in order (a time series); labels thinned so they never overlap."""
    left, top_pad, bottom = COLUMN_LEFT, 10, 40
    plot_w, bin_w, label_every = column_geometry(len(items))
    plot_h = 150
    height = top_pad + plot_h + bottom
    top, grid = axis(max((c for _, c in items), default=0))
    base_y = top_pad + plot_h
    parts = _open(chart_id, title, desc, WIDTH, height)
    for t in grid:
        y = base_y - plot_h * t / top
        parts.append(f'<line class="grid" x1="{num(left)}" x2="{num(left + plot_w)}" y1="{num(y)}" y2="{num(y)}"/>')
        parts.append(f'<text class="chart-axis" x="{num(left - 6)}" y="{num(y)}" text-anchor="end" dominant-baseline="middle">{t}</text>')
    gap = min(4.0, bin_w / 5)
    for i, (label, c) in enumerate(items):
        x = left + i * bin_w
        h = plot_h * c / top
        if c:
            parts.append(
                f'<rect class="bar bar-time" x="{num(x + gap / 2)}" y="{num(base_y - h)}" width="{num(bin_w - gap)}" height="{num(h)}">'
                f"<title>{esc(label)}: {c}</title></rect>"
            )
        if i % label_every == 0:
            month, _, year = label.partition(" ")
            parts.append(f'<text class="chart-axis" x="{num(x + bin_w / 2)}" y="{base_y + 18}" text-anchor="middle">{esc(month)}</text>')
            if year:
                parts.append(f'<text class="chart-axis" x="{num(x + bin_w / 2)}" y="{base_y + 34}" text-anchor="middle">{esc(year)}</text>')
    parts.append(f'<line class="axis" x1="{num(left)}" x2="{num(left + plot_w)}" y1="{base_y}" y2="{base_y}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def sentence_counts(items: Sequence[tuple[str, int, str]]) -> str:
    return "; ".join(f"{label}: {plural(c, 'record')}" for label, c, _ in items) + "."


def score_bin(score: float) -> int:
    """0 <= s < 1 -> 0, ..., 9 <= s <= 10 -> 9."""
    return min(BINS - 1, max(0, int(math.floor(score))))


def bin_labels() -> list[str]:
    return [f"{i}–{i + 1}" for i in range(BINS)]


def month_label(ym: tuple[int, int], with_year: bool) -> str:
    return f"{MONTHS_SHORT[ym[1] - 1]} {ym[0]}" if with_year else MONTHS_SHORT[ym[1] - 1]


def month_range(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every month from first to last inclusive, so gaps show as empty bars."""
    out = []
    y, m = first
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass(frozen=True)
class Stats:
    """What the charts need, gathered in one pass over the entries."""

    scores: Mapping[Tier, tuple[int, ...]]
    tiers: Mapping[Tier, int]
    gates: Mapping[Gate, int]
    levels: Mapping[Level, int]
    months: Mapping[tuple[int, int], int]
    total: int


def gather(rows: Iterable[tuple[float, Tier, Gate, Level, dt.date]]) -> Stats:
    """One pass: (score, tier, gate status, level, submitted) per record."""
    scores = {t: [0] * BINS for t in Tier}
    tiers = {t: 0 for t in Tier}
    gates = {g: 0 for g in Gate}
    levels = {lv: 0 for lv in Level}
    months: dict[tuple[int, int], int] = {}
    total = 0
    for score, tier, gate, level, day in rows:
        scores[tier][score_bin(score)] += 1
        tiers[tier] += 1
        gates[gate] += 1
        levels[level] += 1
        key = (day.year, day.month)
        months[key] = months.get(key, 0) + 1
        total += 1
    return Stats({t: tuple(v) for t, v in scores.items()}, tiers, gates, levels, months, total)


def score_chart(stats: Stats) -> Chart:
    """Review-score distribution, stacked by quality tier."""
    labels = bin_labels()
    series = [(t.value, "tier-" + slug(t.value), stats.scores[t]) for t in Tier]
    if stats.total:
        busiest = max(range(BINS), key=lambda i: (sum(s[2][i] for s in series), -i))
        summary = (
            f"Review scores of {plural(stats.total, 'record')} in 1-point bins, stacked by quality tier; "
            f"the most common bin is {labels[busiest]} with {plural(sum(s[2][busiest] for s in series), 'record')}."
        )
    else:
        summary = "No records yet, so there are no review scores to show."
    rows = tuple((labels[i], *(str(s[2][i]) for s in series), str(sum(s[2][i] for s in series))) for i in range(BINS))
    svg = stacked_histogram("chart-scores", "Review-score distribution by quality tier", series, labels, summary)
    return Chart("chart-scores", "Review scores by quality tier", summary, svg, ("Score", *(t.value for t in Tier), "All"), rows)


def _count_chart(chart_id: str, title: str, what: str, items: list[tuple[str, int, str]], total: int) -> Chart:
    summary = f"{what} of {plural(total, 'record')}: {sentence_counts(items)}" if total else f"No records yet, so every {what.lower()} count is 0."
    svg = bar_chart(chart_id, title, items, summary)
    return Chart(chart_id, title, summary, svg, ("Value", "Records"), tuple((label, str(c)) for label, c, _ in items))


def tier_chart(stats: Stats) -> Chart:
    items = [(t.value, stats.tiers[t], "tier-" + slug(t.value)) for t in Tier]
    return _count_chart("chart-tiers", "Records by quality tier", "Quality tiers", items, stats.total)


def gate_chart(stats: Stats) -> Chart:
    items = [(g.value, stats.gates[g], "gate-" + slug(g.value)) for g in Gate]
    return _count_chart("chart-gates", "Records by Gate 2 status", "Gate 2 statuses", items, stats.total)


def level_chart(stats: Stats) -> Chart:
    items = [(lv.value, stats.levels[lv], "level-" + lv.name.lower()) for lv in Level]
    return _count_chart("chart-levels", "Records by verification level", "Verification levels", items, stats.total)


def month_chart(stats: Stats) -> Chart:
    """Submissions per month, from the first month with a record to the last, gaps included."""
    title = "Submissions per month"
    if not stats.months:
        summary = "No records yet, so there are no submissions to show."
        return Chart("chart-months", title, summary, column_chart("chart-months", title, [], summary), ("Month", "Records"), ())
    keys = month_range(min(stats.months), max(stats.months))
    every = column_geometry(len(keys))[2]
    items = []
    last_year = 0
    for i, k in enumerate(keys):  # a labelled bar names its year when the year changed since the last label
        shown = i % every == 0
        items.append((month_label(k, shown and k[0] != last_year), stats.months.get(k, 0)))
        if shown:
            last_year = k[0]
    peak = max(range(len(keys)), key=lambda i: (items[i][1], -i))
    full = [month_label(k, True) for k in keys]
    summary = (
        f"{plural(stats.total, 'record')} submitted from {full[0]} to {full[-1]}; "
        f"the busiest month was {full[peak]} with {plural(items[peak][1], 'submission')}."
    )
    svg = column_chart("chart-months", title, items, summary)
    return Chart("chart-months", title, summary, svg, ("Month", "Records"), tuple((full[i], str(c)) for i, (_, c) in enumerate(items)))


def registry_charts(stats: Stats) -> dict[str, Chart]:
    """Every chart the site shows, by name."""
    return {
        "scores": score_chart(stats),
        "tiers": tier_chart(stats),
        "gates": gate_chart(stats),
        "levels": level_chart(stats),
        "months": month_chart(stats),
    }
