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


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{esc(chart_id)}-title {esc(chart_id)}-desc">',
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>',
        f'<desc id="{esc(chart_id)}-desc">{esc(desc)}</desc>',
    ]


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, int, str]], desc: str = "", compact: bool = False) -> str:
    """Horizontal bars, one per (label, count, css class); bar length is proportional to count."""
    label_w, plot_w, count_w, row_h, pad = (190, 120, 50, 24, 4) if compact else (220, 300, 60, 26, 6)
    width = label_w + plot_w + count_w
    height = max(1, len(items)) * row_h + pad * 2
    top = max((c for _, c, _ in items), default=0)
    parts = _open(chart_id, title, desc or sentence_counts(items), width, height)
    for i, (label, count, cls) in enumerate(items):
        y = pad + i * row_h
        w = plot_w * count / top if top else 0.0
        parts.append(f'<text class="chart-label" x="{label_w - 8}" y="{num(y + row_h / 2)}" text-anchor="end" dominant-baseline="middle">{esc(label)}</text>')
        parts.append(f'<rect class="bar {esc(cls)}" x="{label_w}" y="{num(y + 4)}" width="{num(w)}" height="{row_h - 8}"/>')
        parts.append(
            f'<text class="chart-value" x="{num(label_w + w + 6)}" y="{num(y + row_h / 2)}" dominant-baseline="middle">{count}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def stacked_histogram(chart_id: str, title: str, series: Sequence[tuple[str, str, Sequence[int]]], bin_labels: Sequence[str], desc: str) -> str:
    """Vertical bars per bin, stacked by series (label, css class, counts per bin), with a legend."""
    left, right, top_pad, bottom, legend_h = 40, 10, 10, 34, 26
    bin_w = 50
    plot_w = bin_w * len(bin_labels)
    plot_h = 180
    width = left + plot_w + right
    height = top_pad + plot_h + bottom + legend_h
    totals = [sum(s[2][i] for s in series) for i in range(len(bin_labels))]
    top, grid = axis(max(totals, default=0))
    parts = _open(chart_id, title, desc, width, height)
    base_y = top_pad + plot_h
    for t in grid:
        y = base_y - plot_h * t / top
        parts.append(f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{num(y)}" y2="{num(y)}"/>')
        parts.append(f'<text class="chart-axis" x="{left - 6}" y="{num(y)}" text-anchor="end" dominant-baseline="middle">{t}</text>')
    for i, label in enumerate(bin_labels):
        x = left + i * bin_w
        y = float(base_y)
        for name, cls, counts in series:
            c = counts[i]
            if not c:
                continue
            h = plot_h * c / top
            y -= h
            parts.append(
                f'<rect class="bar {esc(cls)}" x="{num(x + 6)}" y="{num(y)}" width="{bin_w - 12}" height="{num(h)}">'
                f"<title>{esc(label)}: {c} {esc(name)}</title></rect>"
            )
        parts.append(f'<text class="chart-axis" x="{num(x + bin_w / 2)}" y="{base_y + 18}" text-anchor="middle">{esc(label)}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{left + plot_w}" y1="{base_y}" y2="{base_y}"/>')
    lx = left
    ly = height - legend_h / 2
    for name, cls, _ in series:
        parts.append(f'<rect class="bar swatch {esc(cls)}" x="{lx}" y="{num(ly - 6)}" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="{lx + 16}" y="{num(ly)}" dominant-baseline="middle">{esc(name)}</text>')
        lx += 24 + 8 * len(name) + 16
    parts.append("</svg>")
    return "\n".join(parts)


def column_geometry(n: int) -> tuple[int, float, int]:
    """Plot width, bar width and label step for n columns: labels need about 64 units each."""
    plot_w = max(300, min(640, 28 * max(1, n)))
    bin_w = plot_w / max(1, n)
    return plot_w, bin_w, max(1, math.ceil(64 / bin_w))


def column_chart(chart_id: str, title: str, items: Sequence[tuple[str, int]], desc: str) -> str:
    """Vertical bars in order (a time series); labels thinned so they never overlap (about 64 units each)."""
    left, right, top_pad, bottom = 40, 10, 10, 36
    plot_w, bin_w, label_every = column_geometry(len(items))
    plot_h = 150
    width = left + plot_w + right
    height = top_pad + plot_h + bottom
    top, grid = axis(max((c for _, c in items), default=0))
    base_y = top_pad + plot_h
    parts = _open(chart_id, title, desc, width, height)
    for t in grid:
        y = base_y - plot_h * t / top
        parts.append(f'<line class="grid" x1="{left}" x2="{num(left + plot_w)}" y1="{num(y)}" y2="{num(y)}"/>')
        parts.append(f'<text class="chart-axis" x="{left - 6}" y="{num(y)}" text-anchor="end" dominant-baseline="middle">{t}</text>')
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
            parts.append(f'<text class="chart-axis" x="{num(x + bin_w / 2)}" y="{base_y + 16}" text-anchor="middle">{esc(month)}</text>')
            if year:
                parts.append(f'<text class="chart-axis" x="{num(x + bin_w / 2)}" y="{base_y + 30}" text-anchor="middle">{esc(year)}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{num(left + plot_w)}" y1="{base_y}" y2="{base_y}"/>')
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


def _count_chart(chart_id: str, title: str, what: str, items: list[tuple[str, int, str]], total: int, compact: bool) -> Chart:
    summary = f"{what} of {plural(total, 'record')}: {sentence_counts(items)}" if total else f"No records yet, so every {what.lower()} count is 0."
    svg = bar_chart(chart_id, title, items, summary, compact)
    return Chart(chart_id, title, summary, svg, ("Value", "Records"), tuple((label, str(c)) for label, c, _ in items))


def tier_chart(stats: Stats, compact: bool = False) -> Chart:
    items = [(t.value, stats.tiers[t], "tier-" + slug(t.value)) for t in Tier]
    return _count_chart("chart-tiers", "Records by quality tier", "Quality tiers", items, stats.total, compact)


def gate_chart(stats: Stats, compact: bool = False) -> Chart:
    items = [(g.value, stats.gates[g], "gate-" + slug(g.value)) for g in Gate]
    return _count_chart("chart-gates", "Records by Gate 2 status", "Gate 2 statuses", items, stats.total, compact)


def level_chart(stats: Stats, compact: bool = False) -> Chart:
    items = [(lv.value, stats.levels[lv], "level-" + lv.name.lower()) for lv in Level]
    return _count_chart("chart-levels", "Records by verification level", "Verification levels", items, stats.total, compact)


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
        "tiers_compact": tier_chart(stats, compact=True),
        "gates_compact": gate_chart(stats, compact=True),
        "levels_compact": level_chart(stats, compact=True),
    }
