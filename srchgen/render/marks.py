"""The marks a record page is rendered with before every record is known, and how they are
filled once it is (Renderer.fill_related): its related records (links go both ways), the
duplicate-abstract finding, and the navigation's section items (a section may turn out empty).
No record can hold a NUL, so none of its text can be taken for a mark."""

from __future__ import annotations

import functools
import json
import re
from typing import Sequence

from markupsafe import Markup

from srchgen.derive import rules as derive
from srchgen.render import routes
from srchgen.check.schema import Section
from srchgen.render.summary import Summary

NAV_OPEN, NAV_CLOSE = "\x00srchgen:nav:{}\x00", "\x00srchgen:/nav\x00"  # Renderer._nav, fill_nav
RELATED_MARK = "\x00srchgen:related\x00"  # no record can hold a NUL (the listing rows' stand-in relies on it too)
# Where the duplicate-abstract finding goes (a check across records, known with the related links):
# a notice in the header, an item of the Automated checks row, and the search filter's value.
DUPES_HEAD, DUPES_INLINE, DUPES_ROW, DUPES_NONE_ROW, DUPES_NONE_FILTER = (
    f"\x00srchgen:dupes-{k}\x00" for k in ("head", "inline", "row", "none-row", "none-filter")
)
DUPES_MARKS = (DUPES_HEAD, DUPES_INLINE, DUPES_ROW, DUPES_NONE_ROW, DUPES_NONE_FILTER)
# And in a listing row (templates/_row.html), made once per record before the others are known:
# filled by Renderer.row when a listing is rendered (row_dupes).
ROW_DUPES = "\x00srchgen:row-dupes\x00"
RELATED_MARK_B = RELATED_MARK.encode()
DUPLICATE_LABEL = derive.CHECK_LABELS[derive.CHECK_DUPLICATE]
# A record page's duplicate-abstract marks when no other record shares its abstract.
_NO_DUPES = {
    DUPES_HEAD.encode(): b"", DUPES_INLINE.encode(): b"", DUPES_ROW.encode(): b"",
    DUPES_NONE_ROW.encode(): b"<li>No findings.</li>",
    DUPES_NONE_FILTER.encode(): Markup('<span data-pagefind-filter="automated check">{}</span>').format(derive.NO_CHECKS_LABEL).encode(),
}


def dupes_of(summaries: Sequence[Summary]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Records whose abstracts are the same (Facts.abstract): hex -> ((hex, id) of each other one), in listing order."""
    groups: dict[bytes, list[Summary]] = {}
    for s in summaries:
        digest = s.facts.abstract
        if digest:
            groups.setdefault(digest, []).append(s)
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for group in groups.values():
        if len(group) > 1:
            for s in group:
                out[s.hex] = tuple((o.hex, o.id) for o in group if o is not s)
    return out


_SAME_ABSTRACT = re.compile(rb'"\\u0000srchgen:same-abstract:([0-9A-F]{8})\\u0000"')  # feeds.same_abstract_mark, JSON-escaped




@functools.lru_cache(maxsize=8)
def pattern(sections: frozenset[str]) -> re.Pattern[bytes]:
    """Every mark `fill` fills or cuts, in one pattern: a navigation item of a section without
    records goes with its marks (items do not nest)."""
    alternatives = [re.escape(m.encode()) for m in (RELATED_MARK, *DUPES_MARKS, NAV_CLOSE)]
    for section in Section:
        opening = re.escape(NAV_OPEN.format(f"section:{section.value}").encode())
        alternatives.append(opening if section.value in sections else opening + rb".*?" + re.escape(NAV_CLOSE.encode()))
    return re.compile(b"|".join(alternatives), re.S)


def fill(unlinked: bytes, related_section: bytes, dupes: dict[bytes, bytes], sections: frozenset[str] | None) -> bytes:
    """A record page finished in one pass: its related-records section, the duplicate-abstract
    finding (dupes_fills) and the navigation of the `sections` that have records."""
    assert sections is not None, "a record page filled before every record is known"
    dupes[RELATED_MARK_B] = related_section
    return pattern(sections).sub(lambda m: dupes.get(m.group(), b""), unlinked)  # every other mark: cut


def dupes_fills(hex_id: str, dupes: dict[str, tuple[tuple[str, str], ...]]) -> dict[bytes, bytes]:
    """What each duplicate-abstract mark (DUPES_MARKS) of a record page becomes; `dupes`: dupes_of()."""
    others = dupes.get(hex_id)
    if not others:
        return dict(_NO_DUPES)
    links = Markup(", ").join(
        Markup('<a href="{}">{}</a>').format(routes.relative(routes.record_page(hex_id), routes.record_page(h)), i) for h, i in others
    )
    head = Markup(
        '<p class="notice checks" role="note" data-pagefind-ignore><strong>Automated check:</strong> the same abstract as {}. '
        'A signal, not a verdict; <a href="#automated-checks">what it means</a>.'
        '<span hidden data-pagefind-filter="automated check">{}</span></p>'
    ).format(links, DUPLICATE_LABEL).encode()
    inline = Markup('; same abstract as {}<span hidden data-pagefind-filter="automated check">{}</span>').format(links, DUPLICATE_LABEL).encode()
    row = Markup("<li><strong>{}.</strong> {} has the same abstract; the same text cannot answer two research questions, so one of them may carry the wrong abstract.</li>").format(DUPLICATE_LABEL, links).encode()
    return dict(zip((m.encode() for m in DUPES_MARKS), (head, inline, row, row, b"")))


ROW_DUPES_NAMED = 3  # ids a row's flag names; the rest are counted, so a row stays small however many share an abstract


def dupes_flag(hex_id: str, dupes: dict[str, tuple[tuple[str, str], ...]]) -> str:
    """The duplicate-abstract finding in a listing row's words: "Same abstract as SRCH:…" (""
    without one). Its first ROW_DUPES_NAMED records are named and the rest counted: 1,000 records
    with one abstract would otherwise make each of their rows name 999 ids, in every listing."""
    others = dupes.get(hex_id)
    if not others:
        return ""
    named = ", ".join(i for _, i in others[:ROW_DUPES_NAMED])
    rest = len(others) - ROW_DUPES_NAMED
    return f"Same abstract as {named}" + (f" and {rest} other record{'s' if rest > 1 else ''}" if rest > 0 else "")


def row_dupes(row: str, hex_id: str, dupes: dict[str, tuple[tuple[str, str], ...]]) -> str:
    """A listing row (Summary.row_html) with its duplicate-abstract flag filled in, or cut (no per-row
    bytes for a record without one, SPEC §8); ids only, not links: a row has one link, to its record."""
    flag = dupes_flag(hex_id, dupes)
    return row.replace(ROW_DUPES, Markup('<span class="flag">{}</span>').format(flag) if flag else "")


def fill_json(data: bytes | memoryview, dupes: dict[str, tuple[tuple[str, str], ...]]) -> bytes:
    """A record's JSON text with its `same_abstract_as` filled in (feeds.same_abstract_mark):
    the ids of the records sharing its abstract (dupes_of)."""
    return _SAME_ABSTRACT.sub(lambda m: json.dumps([i for _, i in dupes.get(m.group(1).decode("ascii"), ())]).encode("ascii"), bytes(data))
