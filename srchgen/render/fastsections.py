"""The record page's long sections in Python: the record-sections block of templates/record.html
(verification level, gate verdict, quality tier, quality dimensions, correction record and
provenance) and the history section (templates/_history.html).

Part of srchgen/render/fastpage.py's record page, which says why it is written without Jinja and how
tests/test_fastpage.py keeps it byte-identical to the templates. Apart because these sections
are half of the page's code, each a table of the record's derived values that reads on its own.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable

from markupsafe import Markup, escape

from srchgen.derive import rules as derive
from srchgen.load import git_log
from srchgen.render import routes
from srchgen.render.fastparts import Chrome, enum_text, often
from srchgen.render.values import filesize, long_date, when

if TYPE_CHECKING:
    from srchgen.render.fastpage import RecordContext, Shared

_E = escape  # short, since it is on almost every value
_when = functools.lru_cache(maxsize=1024)(when)  # most records share one of a few "Evaluated" values


# Constants of derive.py the page prints, escaped once.
_GATE_NAME = _E(derive.GATE_NAME)
_VERIFICATION_FOOTNOTE = _E(derive.VERIFICATION_FOOTNOTE)
_VERIFICATION_FOOTNOTE_SOURCED = _E(derive.VERIFICATION_FOOTNOTE_SOURCED)
_TIER_FOOTNOTE = _E(derive.TIER_FOOTNOTE)
_DIMENSIONS_FOOTNOTE = _E(derive.DIMENSIONS_FOOTNOTE)
_CORRECTIONS_FOOTNOTE = _E(derive.CORRECTIONS_FOOTNOTE)
_MANIFEST_CONTRACT = _E(derive.MANIFEST_CONTRACT)
_CORRECTION_CONTRACT = _E(derive.CORRECTION_CONTRACT)
_PROVENANCE_CONTRACT = _E(derive.PROVENANCE_CONTRACT)
_GUIDE_LINK_TEXT = _E(derive.GUIDE_LINK_TEXT)


def record_sections(c: RecordContext, ch: Chrome, v: Shared) -> str:
    """record.html's <div class="record-sections">, from the verification level to the provenance."""
    return "".join((
        '<div class="record-sections" data-pagefind-ignore>\n',
        _verification(c), _gate(c), _tier(c, ch), _dimensions(c), _corrections(c), _provenance(c, ch, v),
        "</div>\n",
    ))


def _claim_source(c: RecordContext) -> str:
    src = c.entry.record.claims.record_source
    return f'<a href="{_E(src)}" rel="nofollow noopener">{_E(src)}</a>' if src else "not publicly specified"


def _verification(c: RecordContext) -> str:
    r, dv = c.entry.record, c.entry.derived
    foot = _VERIFICATION_FOOTNOTE_SOURCED if r.claims.record_source else _VERIFICATION_FOOTNOTE
    return (
        '<section>\n<h2 id="verification-level">Verification Level</h2>\n<table class="kv">\n'
        f"<tr><th>Paper level</th><td>{enum_text(dv.level)[0]}</td></tr>\n"
        f"<tr><th>Source-grounded claims</th><td>{r.claims.source_grounded}</td></tr>\n"
        f"<tr><th>Claim record source</th><td>{_claim_source(c)}</td></tr>\n"
        f'</table>\n<p class="footnote">{foot}</p>\n</section>\n\n'
    )


def _gate(c: RecordContext) -> str:
    e, r, g = c.entry, c.entry.record, c.entry.derived.gate
    status, slug = enum_text(g.status)
    initial = ""
    if r.gate_evaluation is None and g.evaluated[:1].isdigit():
        initial = " (when the Gate 2 pipeline was activated; this record itself was not evaluated)"
    signature = f"<tr><th>Signature</th><td>{_E(c.signature_text)}</td></tr>\n" if g.signed is not None else ""
    artifacts = ""
    if e.artifacts:
        base = routes.record_dir(r.hex) + "artifacts/"
        rows = "".join(
            f'<tr><td>{_E(a.kind)}</td><td><a href="{_E(c.page.url(base + a.name))}">{_E(a.name)}</a></td>'
            f'<td class="num">{_E(filesize(a.size))}</td><td><code class="hash">{_E(a.sha256)}</code></td></tr>\n'
            for a in e.artifacts
        )
        artifacts = (
            '<h3>Attached artifacts</h3>\n<div class="table-scroll">\n<table class="artifacts">\n'
            '<thead><tr><th scope="col">Kind</th><th scope="col">File</th><th scope="col" class="num">Size</th><th scope="col">SHA-256</th></tr></thead>\n'
            f"<tbody>\n{rows}</tbody>\n</table>\n</div>\n"
        )
    return (
        '<section>\n<h2 id="gate-verdict">Truth-Engine Gate Verdict</h2>\n<table class="kv">\n'
        f'<tr><th>Status</th><td><span class="badge gate-{slug}">{status}</span></td></tr>\n'
        f"<tr><th>Gate</th><td>{_GATE_NAME}</td></tr>\n"
        f"<tr><th>Reason</th><td>{often(g.reason)}</td></tr>\n"
        f"<tr><th>Evaluated</th><td>{_when(g.evaluated)}{initial}</td></tr>\n"
        f'{signature}</table>\n<p class="footnote">{often(g.footnote)}</p>\n{artifacts}</section>\n\n'
    )


def _tier(c: RecordContext, ch: Chrome) -> str:
    dv = c.entry.derived
    tier, slug = enum_text(dv.tier)
    checks = dv.checks
    found = "".join(f"<li><strong>{often(k.label)}.</strong> {often(k.text)}</li>" for k in checks)
    items = f"{found}{c.dupes_row if checks else c.dupes_none_row}"  # an f-string: Markup's + would escape `found`
    return (
        '<section>\n<h2 id="quality-tier">Quality Tier</h2>\n<table class="kv">\n'
        f'<tr><th>Tier</th><td><span class="badge tier-{slug}">{tier}</span></td></tr>\n'
        f"<tr><th>Basis</th><td>{often(dv.tier_basis)}</td></tr>\n"
        f'<tr><th id="automated-checks">Automated checks</th><td><ul class="check-list">{items}</ul>'
        f'<a href="{ch.guide}#automated-checks">About the checks</a></td></tr>\n'
        f'</table>\n<p class="footnote">{_TIER_FOOTNOTE}</p>\n</section>\n\n'
    )


def _dimensions(c: RecordContext) -> str:
    return _dimensions_section(c.entry.derived.dimensions)


@functools.lru_cache(maxsize=256)
def _dimensions_section(dimensions: tuple[derive.Dimension, ...]) -> str:
    """The section for one combination of grades (a few dozen exist)."""
    rows = "".join(
        f'<tr><th>{_E(d.name)}</th><td><span class="grade grade-{_E(d.grade.value.lower())}">{_E(d.grade.value)}</span></td></tr>\n'
        for d in dimensions
    )
    return (
        '<section>\n<h2 id="quality-dimensions">Quality Dimensions</h2>\n<table class="kv dimensions">\n'
        f'{rows}</table>\n<p class="footnote">{_DIMENSIONS_FOOTNOTE}</p>\n</section>\n\n'
    )


def _corrections(c: RecordContext) -> str:
    r, dv = c.entry.record, c.entry.derived
    listed = ""
    if r.corrections:
        items = "".join(
            f'<li><time datetime="{_E(k.date.isoformat())}">{_E(long_date(k.date))}</time> <span class="badge">{enum_text(k.type)[0]}</span> {_E(k.summary)}</li>\n'
            for k in r.corrections
        )
        listed = f'<ol class="corrections">\n{items}</ol>\n'
    edit = ""
    if c.edit_url:
        edit = (
            f'<p><a href="{_E(c.edit_url)}" rel="nofollow noopener">Suggest a correction</a> '
            "(opens the record's file in the repository; corrections are added as new entries).</p>\n"
        )
    return (
        '<section>\n<h2 id="correction-record">Correction Record</h2>\n<table class="kv">\n'
        f"<tr><th>Status</th><td>{enum_text(dv.status)[0]}</td></tr>\n"
        f"<tr><th>Correction count</th><td>{len(r.corrections)}</td></tr>\n</table>\n"
        '<details class="contracts">\n<summary>Contracts</summary>\n<table class="kv">\n'
        f"<tr><th>Manifest contract</th><td>{_MANIFEST_CONTRACT}</td></tr>\n"
        f"<tr><th>Correction contract</th><td>{_CORRECTION_CONTRACT}</td></tr>\n</table>\n</details>\n"
        f'{listed}<p class="footnote">{_CORRECTIONS_FOOTNOTE}</p>\n{edit}</section>\n\n'
    )


def _provenance(c: RecordContext, ch: Chrome, v: Shared) -> str:
    r, dv = c.entry.record, c.entry.derived
    if not r.report_artifact:
        report = "Not available"
    elif r.report_url:
        report = f'<a href="{v.report_url}" rel="nofollow noopener">Available</a>'
    else:
        report = "Available (not linked from this record)"
    return (
        '<section>\n<h2 id="provenance">Provenance</h2>\n<table class="kv">\n'
        f"<tr><th>Publisher</th><td>{v.publisher}</td></tr>\n"
        f"<tr><th>Public provenance</th><td>{enum_text(dv.provenance)[0]}</td></tr>\n"
        f"<tr><th>Report artifact</th><td>{report}</td></tr>\n"
        f"<tr><th>External record</th><td>{'Registered' if r.is_registered else 'Not registered'}</td></tr>\n"
        f"<tr><th>Claim lineage</th><td>{_E(derive.plural(r.claims.source_grounded, 'aggregate source-grounded claim'))}</td></tr>\n"
        f"<tr><th>Claim record source</th><td>{_claim_source(c)}</td></tr>\n"
        f"<tr><th>Review method</th><td>{_E(r.review.method or 'not publicly specified')}</td></tr>\n"
        f'<tr><th>Quality guide</th><td><a href="{ch.guide}">{_GUIDE_LINK_TEXT}</a></td></tr>\n'
        f"<tr><th>Note</th><td>{_E(r.note or c.config.provenance_note)}</td></tr>\n</table>\n"
        '<details class="contracts">\n<summary>Contracts</summary>\n<table class="kv">\n'
        f"<tr><th>Provenance contract</th><td>{_PROVENANCE_CONTRACT}</td></tr>\n</table>\n</details>\n</section>\n\n"
    )


# --- the history section (templates/_history.html) -----------------------------------------------


def history_section(history: git_log.History, hex_id: str, repository: str | None, version_url: Callable[[str], str | None]) -> Markup:
    """The record's merged changes from git, newest first, or why there are none."""
    if history.missing:
        body = f"<p>No history is shown: {_E(history.missing)}.</p>\n"
    else:
        changes = history.of(hex_id)
        if not changes:
            body = "<p>No committed changes to this record's file yet.</p>\n"
        else:
            rows = []
            for k in changes:
                code = f"<code>{_E(k.short)}</code>"
                commit = f'<a href="{_E(version_url(k.commit))}" rel="nofollow noopener">{code}</a>' if repository else code
                rows.append(
                    f'<tr><td><time datetime="{_E(k.date.isoformat())}">{_E(long_date(k.date))}</time></td><td>{commit}</td>'
                    f'<td>{_E(k.what)}<span class="history-subject"> — {_E(k.subject)}</span></td></tr>\n'
                )
            links = "; each commit links to that version of the file" if repository else ""
            body = (
                '<div class="table-scroll">\n<table class="history rules">\n'
                "<caption class=\"visually-hidden\">Changes to this record's file, newest first</caption>\n"
                "<thead><tr><th>Date</th><th>Commit</th><th>What changed</th></tr></thead>\n"
                f"<tbody>\n{''.join(rows)}</tbody>\n</table>\n</div>\n"
                f"<p class=\"footnote\">Merged changes to the record's file in the registry's repository{links}.</p>\n"
            )
    return Markup(f'<section>\n<h2 id="history">History</h2>\n{body}</section>\n')
