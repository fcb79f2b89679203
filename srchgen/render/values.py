"""The values pages print, formatted once for both renderers (SPEC §3, §4).

Dates read humanly, scores and file sizes have one format, and a record page's JSON-LD and
signature line are made here, for the Jinja filters of templates.make_environment and for the
data files and feeds, which print the same values. Plain functions of their arguments: no
templates, no pages, no build state.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from markupsafe import Markup

from srchgen.config import Config
from srchgen.derive.entry import Entry

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def long_date(d: dt.date) -> str:
    """'28 May 2026' whatever the locale (SPEC §3)."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


@functools.lru_cache(maxsize=1024)  # the few evaluation times of a registry, printed on many pages
def when(text: str) -> Markup:
    """An "Evaluated" value: an ISO timestamp reads "10 June 2026, 06:30 UTC" in a <time> keeping
    the ISO form (SPEC §3: headers show dates humanly); anything else ("Not evaluated") as it is."""
    try:
        t = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return Markup.escape(text)
    if t.tzinfo is None:
        return Markup.escape(text)
    u = t.astimezone(dt.timezone.utc)
    return Markup('<time datetime="{}">{}, {:02d}:{:02d} UTC</time>').format(text, long_date(u.date()), u.hour, u.minute)


BADGE_LABEL = "SRCH"
BADGE_CHAR_W = 6.6  # 11px sans-serif, an average character's advance (the badge is sized, not measured)


def badge_parts(tier: str, gate: str) -> tuple[int, int, str]:
    """A status badge's two widths (label, value) and its value text (render/badges.py draws it;
    record pages give the <img> its width, so nothing moves when it loads)."""
    value = f"{tier} · Gate 2 {gate}"
    return round(len(BADGE_LABEL) * BADGE_CHAR_W + 12), round(len(value) * BADGE_CHAR_W + 12), value


def badge_width(tier: str, gate: str) -> int:
    left, right, _ = badge_parts(tier, gate)
    return left + right


def is_pdf(url: str | None) -> bool:
    """Whether a report URL names a PDF (its path ends in .pdf): then citation_pdf_url and the Signposting item say so."""
    if not url:
        return False
    path = url.split("#", 1)[0].split("?", 1)[0]
    return path.lower().endswith(".pdf")


def score(x: float) -> str:
    return f"{x:.2f}"


def filesize(n: int) -> str:
    if n < 1024:
        return f"{n} bytes" if n != 1 else "1 byte"
    for unit in ("KiB", "MiB", "GiB"):
        n_ = n / 1024
        if n_ < 1024 or unit == "GiB":
            return f"{n_:.1f} {unit}"
        n = int(n_)
    return f"{n} bytes"  # pragma: no cover


def json_script(obj: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block: '<', '>' and '&' escaped so data cannot end the element."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def jsonld(entry: Entry, config: Config, canonical: str | None) -> dict[str, Any]:
    """schema.org ScholarlyArticle for the record page (SPEC §4)."""
    r = entry.record
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "identifier": r.id,
        "headline": r.display_title,  # the abstract is the page's own text: not repeated here (SPEC §8)
        "datePublished": r.submitted.isoformat(),
        "dateModified": entry.updated.isoformat(),
        "author": {"@type": "Organization", "name": r.publisher},
        "publisher": {"@type": "Organization", "name": r.publisher},
        "keywords": list(r.topics),
        "isPartOf": {"@type": "WebSite", "name": config.title},
    }
    if r.doi:
        data["sameAs"] = f"https://doi.org/{r.doi}"
    if canonical:
        data["url"] = canonical
    if config.license is not None:
        data["license"] = config.license.url
    return data


def signature_text(entry: Entry) -> str:
    """The Signature row: who signed and when, or why the evaluation counts as unsigned (SPEC §2)."""
    gate, ev = entry.derived.gate, entry.record.gate_evaluation
    if gate.signed is None or ev is None:
        return ""
    if gate.signer is not None:
        when = ev.evaluated.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"Signed by {gate.signer.principal} (key {gate.signer.key}) on {when}; verified against the registry's gate signers"
    if ev.signature is None:
        return "Unsigned: the evaluation carries no signature"
    return "Unsigned: this registry configures no gate signers, so the evaluation's signature was not checked"
