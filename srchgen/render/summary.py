"""Summary: what every page but a record's own needs of a record — small, plain, cacheable.

Listings, feeds, the graph, the guide's counts and related-record links are all built
from Summaries, whether the record was just processed or comes from the build cache, so
an incremental build and a clean build write the same bytes.

A Summary is a view over one plain tuple (the form the cache stores, see `freeze`) and
four texts in the cache's text file (feed item, records.json element, Atom entry, listing
row): fields are decoded when read, so taking 10,000 Summaries from the cache costs one
small object each, and a build that reads only their texts decodes nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cached_property
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from srchgen.derive.rules import Gate, Level, Status, Tier
from srchgen.check.schema import Section
from srchgen.check.validate import Facts

if TYPE_CHECKING:
    from srchgen.build.cache import TextFile

T = TypeVar("T")

# Positions in the frozen tuple.
_ID, _HEX, _SHORT, _TITLE, _SUBMITTED, _UPDATED, _SCORE, _SECTION, _TOPICS, _RELATED = range(10)
_TIER, _GATE, _LEVEL, _STATUS, _PUBLISHER, _DOI, _FACTS, _CONTENT, _CHECKS = range(10, 19)

SUMMARY_RELATED = _RELATED

_SECTIONS = {m.value: m for m in Section}
_TIERS = {m.value: m for m in Tier}
_GATES = {m.value: m for m in Gate}
_LEVELS = {m.name: m for m in Level}
_STATUSES = {m.value: m for m in Status}


def _field(i: int) -> property:
    return property(lambda self: self.t[i])


def _text(i: int, doc: str) -> property:
    return property(lambda self: self.file.read(self.spans[i]), doc=doc)


class Texts:
    """A record's four texts in the build cache's text file (cache.TextBlob), read when wanted:
    all the feeds, records.json and the listings need of it."""

    __slots__ = ("file", "spans")
    file: "TextFile"
    spans: tuple[tuple[int, int], ...]

    @property
    def content_key(self) -> str:
        raise NotImplementedError

    @property
    def updated_iso(self) -> str:
        raise NotImplementedError

    feed_item = _text(0, "Its JSON Feed item (UTF-8 JSON text).")
    record_json = _text(1, "Its records.json element (UTF-8 JSON text).")
    atom = _text(2, "Its Atom <entry> (UTF-8 XML text).")
    row_html = _text(3, "Its listing row (UTF-8 HTML, NUL for the link prefix: render.Renderer.listing_row).")


class StoredTexts(Texts):
    """A record's texts as the cache's row has them, without its Summary (cache.CONTENT, UPDATED)."""

    __slots__ = ("_content_key", "_updated")

    def __init__(self, file: "TextFile", spans: tuple[tuple[int, int], ...], content_key: str, updated: str):
        self.file, self.spans, self._content_key, self._updated = file, spans, content_key, updated

    @property
    def content_key(self) -> str:
        return self._content_key

    @property
    def updated_iso(self) -> str:
        return self._updated


class Summary(Texts):
    __slots__ = ("t", "__dict__")

    def __init__(self, t: tuple[Any, ...], file: "TextFile", spans: tuple[tuple[int, int], ...]):
        self.t = t
        self.file, self.spans = file, spans

    @classmethod
    def make(
        cls, id: str, hex: str, short_title: str, display_title: str, submitted: dt.date, updated: dt.date, score: float,
        section: Section, topics: tuple[str, ...], related: tuple[str, ...], tier: Tier, gate: Gate, level: Level, status: Status,
        publisher: str, doi: str | None, file: "TextFile", spans: tuple[tuple[int, int], ...], facts: Facts, content_key: str,
        checks: tuple[str, ...] = (),
    ) -> "Summary":
        """content_key: digest of its three texts, which hold everything its own page shows (manifest, derived fields, body).
        checks: the ids of what the automated checks found in the record alone (derive.Check.id)."""
        t = (
            id, hex, short_title, display_title, submitted.isoformat(), updated.isoformat(), score, section.value, tuple(topics),
            tuple(related), tier.value, gate.value, level.name, status.value, publisher, doi, tuple(facts), content_key, tuple(checks),
        )
        return cls(t, file, spans)

    id = _field(_ID)
    hex = _field(_HEX)
    short_title = _field(_SHORT)
    display_title = _field(_TITLE)
    score = _field(_SCORE)
    publisher = _field(_PUBLISHER)
    doi = _field(_DOI)
    content_key = _field(_CONTENT)  # type: ignore[assignment]
    updated_iso = _field(_UPDATED)  # type: ignore[assignment]

    @property
    def listing_key(self) -> str:
        """Everything any page but the record's own and the feeds shows of it: its listing row,
        topics, related ids and its last update (the sitemap's lastmod)."""
        t = self.t
        return "\x1e".join((self.row_key, "\x1f".join(t[_TOPICS]), "\x1f".join(t[_RELATED]), t[_UPDATED]))

    @cached_property
    def submitted(self) -> dt.date:
        return dt.date.fromisoformat(self.t[_SUBMITTED])

    @cached_property
    def updated(self) -> dt.date:
        return dt.date.fromisoformat(self.t[_UPDATED])

    @property
    def section(self) -> Section:
        return _SECTIONS[self.t[_SECTION]]

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self.t[_TOPICS])

    @property
    def related(self) -> tuple[str, ...]:
        return tuple(self.t[_RELATED])

    @property
    def tier(self) -> Tier:
        return _TIERS[self.t[_TIER]]

    @property
    def gate(self) -> Gate:
        return _GATES[self.t[_GATE]]

    @property
    def level(self) -> Level:
        return _LEVELS[self.t[_LEVEL]]

    @property
    def status(self) -> Status:
        return _STATUSES[self.t[_STATUS]]

    @property
    def checks(self) -> tuple[str, ...]:
        """What the automated checks found in the record alone, by id (derive.CHECK_LABELS names
        each); the duplicate-abstract check, across records, is render.dupes_of's."""
        return tuple(self.t[_CHECKS])

    @property
    def facts(self) -> Facts:
        return facts_of(self.t)

    @property
    def sort_key(self) -> tuple[int, str]:
        """Newest first; the same day by id (SPEC §4)."""
        return (-self.submitted.toordinal(), self.id)

    @property
    def row_key(self) -> str:
        """Everything a listing row shows; a listing page is re-rendered only when one of these changes."""
        t = self.t
        return "\x1f".join((t[_ID], t[_SHORT], t[_SUBMITTED], f"{t[_SCORE]:.2f}", t[_TIER], t[_GATE], t[_LEVEL], t[_SECTION], *t[_CHECKS]))

    # Templates read records and derived fields through the same paths as on an Entry.
    @cached_property
    def record(self) -> SimpleNamespace:
        return SimpleNamespace(
            id=self.id, hex=self.hex, submitted=self.submitted, review=SimpleNamespace(score=self.score), section=self.section,
            topics=self.topics, related=self.related, display_title=self.display_title, publisher=self.publisher, doi=self.doi,
        )

    @cached_property
    def derived(self) -> SimpleNamespace:
        return SimpleNamespace(tier=self.tier, gate=SimpleNamespace(status=self.gate), level=self.level, status=self.status)

    def freeze(self) -> tuple[Any, ...]:
        """Plain values for the cache (marshal-able); the three texts are stored apart (`spans`)."""
        return self.t


def facts_of(t: tuple[Any, ...]) -> Facts:
    """The cross-record Facts kept in a frozen Summary."""
    return Facts._make(t[_FACTS])


def listing_order(items: Iterable[T], frozen: Callable[[T], tuple[Any, ...]]) -> list[T]:
    """`items` in Summary.sort_key order (newest first, the same day by id), from their frozen
    Summaries: ISO dates sort as their text, and two stable sorts need no key objects."""
    out = sorted(items, key=lambda x: frozen(x)[_ID])
    out.sort(key=lambda x: frozen(x)[_SUBMITTED], reverse=True)  # reverse=True keeps ties in order
    return out


def latest_update(summaries: Iterable[Texts]) -> dt.date | None:
    """The newest `updated` of `summaries` (None when there are none)."""
    newest = max((s.updated_iso for s in summaries), default=None)
    return None if newest is None else dt.date.fromisoformat(newest)


def texts_key(before: bytes, after: bytes, summaries: Iterable[Texts]) -> str:
    """Stands for the bytes of a file made of `before`, the summaries' texts in this order, and
    `after` (the feeds, records.json): each content_key is a digest of the texts, so the file
    need not be read to tell whether it changed."""
    return digest(before, after, *(s.content_key for s in summaries))


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
