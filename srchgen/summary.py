"""Summary: what every page but a record's own needs of a record — small, plain, cacheable.

Listings, feeds, the graph, the guide's counts and related-record links are all built
from Summaries, whether the record was just processed or comes from the build cache, so
an incremental build and a clean build write the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from srchgen.derive import Gate, Level, Status, Tier
from srchgen.schema import Section
from srchgen.validate import Facts


@dataclass(frozen=True)
class Summary:
    id: str
    hex: str
    short_title: str
    display_title: str
    submitted: dt.date
    updated: dt.date
    score: float
    section: Section
    topics: tuple[str, ...]
    related: tuple[str, ...]
    tier: Tier
    gate: Gate
    level: Level
    status: Status
    publisher: str
    doi: str | None
    feed_item: bytes  # this record's JSON Feed item, as UTF-8 JSON text
    record_json: bytes  # its records.json element, as UTF-8 JSON text
    atom: bytes  # its Atom <entry>, as UTF-8 XML text
    facts: Facts
    content_key: str  # digest of everything its own page shows (manifest, derived fields, body)

    @property
    def sort_key(self) -> tuple[int, str]:
        """Newest first; the same day by id (SPEC §4)."""
        return (-self.submitted.toordinal(), self.id)

    @cached_property
    def row_key(self) -> str:
        """Everything a listing row shows; a listing page is re-rendered only when one of these changes."""
        return "\x1f".join((self.id, self.short_title, self.submitted.isoformat(), f"{self.score:.2f}", self.tier.value, self.gate.value, self.level.name, self.section.value))

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
        """Plain values for the cache (marshal-able); the three texts are stored apart (see `texts`)."""
        f = self.facts
        return (
            self.id, self.hex, self.short_title, self.display_title, self.submitted.isoformat(), self.updated.isoformat(), self.score,
            self.section.value, self.topics, self.related, self.tier.value, self.gate.value, self.level.name, self.status.value,
            self.publisher, self.doi, (f.path, f.id, f.doi, f.related, f.question, f.pos), self.content_key,
        )

    @property
    def texts(self) -> tuple[bytes, bytes, bytes]:
        return (bytes(self.feed_item), bytes(self.record_json), bytes(self.atom))

    @classmethod
    def thaw(cls, t: tuple[Any, ...], texts: tuple[Any, Any, Any]) -> "Summary":
        fp = t[16]
        return cls(
            t[0], t[1], t[2], t[3], dt.date.fromisoformat(t[4]), dt.date.fromisoformat(t[5]), t[6], Section(t[7]), tuple(t[8]),
            tuple(t[9]), Tier(t[10]), Gate(t[11]), Level[t[12]], Status(t[13]), t[14], t[15], texts[0], texts[1], texts[2],
            Facts(fp[0], fp[1], fp[2], tuple(fp[3]), fp[4], dict(fp[5])), t[17],
        )


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
