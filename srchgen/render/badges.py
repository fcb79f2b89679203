"""Status badges (issue 14): one small SVG per quality tier and Gate 2 status, shared by every
record with that pair (3 x 4 files, not one per record: SPEC §8), for READMEs and other pages
to embed. Drawn as text, no fonts or scripts; the same bytes every build."""

from __future__ import annotations

from html import escape

from srchgen.render import routes
from srchgen.derive.rules import Gate, Tier
from srchgen.render.render import Output
from srchgen.render.values import BADGE_LABEL as _LABEL
from srchgen.render.values import badge_parts

_COLOURS = {Tier.DOI_GRADE: "#1f6b36", Tier.WATCHLIST: "#8a4b00", Tier.QUARANTINE: "#a11d2b"}
_NOT_VERIFIED = "#4a5866"  # slate: a DOI-grade tier whose Gate 2 did not verify it is not shown as "good"


def colour(tier: Tier, gate: Gate) -> str:
    """The value's colour: the tier's, except that green (DOI grade) needs a Verified gate (issue
    24); a failed gate is red whatever the tier."""
    if gate is Gate.FAILED:
        return _COLOURS[Tier.QUARANTINE]
    if tier is Tier.DOI_GRADE and gate is not Gate.VERIFIED:
        return _NOT_VERIFIED
    return _COLOURS[tier]


def badge_path(tier: Tier, gate: Gate) -> str:
    return f"badges/{routes.slug(tier.value)}--{routes.slug(gate.value)}.svg"


def badge_svg(tier: Tier, gate: Gate) -> bytes:
    left, right, value = badge_parts(tier.value, gate.value)
    width = left + right
    text = escape(f"{_LABEL}: {value}")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{text}">'
        f"<title>{text}</title>"
        f'<rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{colour(tier, gate)}"/>'
        f'<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">'
        f'<text x="{left / 2:g}" y="14">{_LABEL}</text><text x="{left + right / 2:g}" y="14">{escape(value)}</text></g></svg>\n'
    )
    return svg.encode("utf-8")


def badge_outputs() -> list[Output]:
    return [Output(badge_path(t, g), badge_svg(t, g)) for t in Tier for g in Gate]
