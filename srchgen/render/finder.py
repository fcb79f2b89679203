"""The compact record list behind the listings' instant filter (SPEC §4).

Listings are paged, so filtering only the rows of one page would hide records on
other pages. assets/filter.js therefore fetches this list on first use (one static
file, same origin, no server) and filters every record of the listing. Values are
indices into small tables, so 10,000 records cost about 1.3 MB (~300 kB gzipped, as
GitHub Pages serves it). Without JavaScript the static facet pages remain.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from srchgen.render import marks, routes
from srchgen.derive.rules import CHECK_LABELS, Gate, Level, Tier
from srchgen.render.summary import Summary
from srchgen.render.render import Output
from srchgen.check.schema import Section

FILTER_INDEX = "filter-index.json"
FORMAT = 2
Dupes = dict[str, tuple[tuple[str, str], ...]]


def flags(e: Summary, dupes: Dupes) -> list[str]:
    """What the automated checks found in a record, in its listing row's words (templates/_row.html)."""
    same = marks.dupes_flag(e.hex, dupes)
    return [CHECK_LABELS[c] for c in e.checks] + ([same] if same else [])


def filter_index(entries: Sequence[Summary], dupes: Dupes | None = None) -> dict[str, Any]:
    """Every record, newest first, as [hex, title cut for listings, ISO date, score, tier, gate, level, section, [topics]],
    and then [its checks' findings] for a record with any (as its row shows them; none: no bytes)."""
    tiers = list(Tier)
    gates = list(Gate)
    levels = list(Level)
    sections = list(Section)
    topic_names = sorted({t for e in entries for t in e.topics})
    topic_at = {t: i for i, t in enumerate(topic_names)}
    t_at = {v: i for i, v in enumerate(tiers)}
    g_at = {v: i for i, v in enumerate(gates)}
    l_at = {v: i for i, v in enumerate(levels)}
    s_at = {v: i for i, v in enumerate(sections)}
    rows = []
    for e in entries:
        row: list[Any] = [
            e.hex, e.short_title, e.submitted.isoformat(), f"{e.score:.2f}",
            t_at[e.tier], g_at[e.gate], l_at[e.level], s_at[e.section], [topic_at[t] for t in e.topics],
        ]
        found = flags(e, dupes or {})
        if found:
            row.append(found)
        rows.append(row)
    return {
        "format": FORMAT,
        "fields": ["hex", "title", "submitted", "score", "tier", "gate", "level", "section", "topics", "checks"],
        # [label, filter value (the rows' data-* value), listing directory]
        "tier": [[t.value, routes.slug(t.value), routes.tier_dir(t)] for t in tiers],
        "gate": [[g.value, routes.slug(g.value), routes.gate_dir(g)] for g in gates],
        "level": [[lv.name, lv.name.lower(), routes.level_dir(lv)] for lv in levels],
        "section": [[s.value.capitalize(), s.value, routes.section_dir(s)] for s in sections],
        "topic": [[t, t, routes.topic_dir(t)] for t in topic_names],
        "records": rows,
    }


def filter_output(entries: Sequence[Summary], dupes: Dupes | None = None) -> Output:
    """Compact JSON (no indentation): this file is fetched by browsers, not read by people."""
    text = json.dumps(filter_index(entries, dupes), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Output(FILTER_INDEX, (text.replace("</", "<\\/") + "\n").encode("utf-8"))


def choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The instant filter's select boxes: (field, label, [(value, option text)]); values match the rows' data-* attributes."""
    return [
        ("tier", "Tier", [(routes.slug(t.value), t.value) for t in Tier]),
        ("gate", "Gate", [(routes.slug(g.value), g.value) for g in Gate]),
        ("level", "Level", [(lv.name.lower(), lv.value) for lv in Level]),
        ("section", "Section", [(s.value, s.value.capitalize()) for s in Section]),
    ]
