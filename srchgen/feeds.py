"""Machine-readable outputs as plain dicts -> json.dumps(sort_keys=True) (SPEC §4).

JSON Feed 1.1, records.json, per-record JSON, BibTeX / RIS / CSL-JSON citations,
sitemap.xml and robots.txt. No clock: every date comes from the records.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Sequence

from srchgen import routes
from srchgen.config import Config
from srchgen.entry import Entry
from srchgen.render import Output, joined
from srchgen.summary import Texts, texts_key

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def dumps(obj: Any) -> bytes:
    """Sorted keys, no ASCII escaping, '</' escaped so JSON can sit inside a <script> block."""
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("</", "<\\/") + "\n").encode("utf-8")


def derived_dict(e: Entry) -> dict[str, Any]:
    d = e.derived
    return {
        "verification_level": d.level.value,
        "provenance_level": d.provenance.value,
        "quality_tier": d.tier.value,
        "quality_tier_basis": d.tier_basis,
        "gate_status": d.gate.status.value,
        "gate_reason": d.gate.reason,
        "gate_evaluated": d.gate.evaluated,
        "gate_signed": d.gate.signed,
        # SPEC §2: who signed, only when ssh-keygen verified it (null: no evaluation, or unsigned).
        "gate_signer": d.gate.signer.principal if d.gate.signer else None,
        "gate_key": d.gate.signer.key if d.gate.signer else None,
        "quality_dimensions": {dim.name: dim.grade.value for dim in d.dimensions},
        "correction_status": d.status.value,
        "correction_count": len(e.record.corrections),
        "registered": e.record.is_registered,
        # issue 14: the automated checks' findings, signals beside the tier (never a tier of their own)
        "automated_checks": [{"id": c.id, "label": c.label, "text": c.text} for c in d.checks],
    }


def manifest_dict(e: Entry) -> dict[str, Any]:
    return e.record.model_dump(mode="json", exclude_none=True)


def record_dict(e: Entry, config: Config) -> dict[str, Any]:
    out: dict[str, Any] = {"manifest": manifest_dict(e), "derived": derived_dict(e), "path": routes.record_dir(e.hex)}
    if config.base_url:
        out["url"] = routes.absolute(config.base_url, routes.record_page(e.hex))
    return out


def feed_item(e: Entry, config: Config) -> dict[str, Any]:
    """One JSON Feed 1.1 item; derived fields in the `_srch` extension object."""
    item: dict[str, Any] = {
        "id": e.id,
        "title": e.record.display_title,
        "content_html": e.abstract_html + e.rest_html,
        "summary": e.summary,
        "date_published": f"{e.record.submitted.isoformat()}T00:00:00Z",
        "date_modified": f"{e.updated.isoformat()}T00:00:00Z",
        "authors": [{"name": e.record.publisher}],
        "tags": list(e.record.topics),
        "_srch": {
            "about": "https://srchgen.invalid/json-feed-extension",
            **derived_dict(e),
            "review_score": e.record.review.score,
            "source_grounded_claims": e.record.claims.source_grounded,
            "doi": e.record.doi,
            "section": e.record.section.value,
        },
    }
    if e.record.doi:
        item["external_url"] = f"https://doi.org/{e.record.doi}"
    if config.base_url:
        item["url"] = routes.absolute(config.base_url, routes.record_page(e.hex))
    return item


def fragment(obj: Any) -> str:
    """JSON text of one element of a larger document, escaped like `dumps`."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _splice(path: str, head: dict[str, Any], key: str, summaries: Sequence[Texts], items: Callable[[], Iterable[bytes | memoryview]]) -> Output:
    """`head` as JSON with the list under `key` spliced in from ready JSON texts (no re-encoding)."""
    text = fragment({**head, key: []}).encode("utf-8")
    marker = f'"{key}":[]'.encode()
    assert text.count(marker) == 1
    before, after = text.split(marker)
    return Output(path, chunks=lambda: joined(before + f'"{key}":['.encode(), items(), b",", b"]" + after + b"\n"), key=texts_key(before, after, summaries))


def json_feed(summaries: Sequence[Texts], config: Config) -> Output:
    """JSON Feed 1.1, newest first."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": config.title,
        "description": config.description,
        "language": "en",
    }
    if config.base_url:
        feed["home_page_url"] = config.base_url
        feed["feed_url"] = routes.absolute(config.base_url, routes.FEED_JSON)
    return _splice(routes.FEED_JSON, feed, "items", summaries, lambda: (s.feed_item for s in summaries))


def records_json(summaries: Sequence[Texts]) -> Output:
    """Every manifest with its derived fields, newest first."""
    return _splice(routes.RECORDS_JSON, {"manifest": "paper-manifest-v1.1"}, "records", summaries, lambda: (s.record_json for s in summaries))


# LaTeX specials in BibTeX field text. Braces become commands, not \{ \}: BibTeX counts
# braces even after a backslash, so an escaped lone brace would still unbalance the field.
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
}
_BIB_TABLE = str.maketrans(_BIB_SPECIAL)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def one_line(s: str) -> str:
    """Collapse whitespace (newlines included): citation fields are single-line values."""
    return " ".join(s.split())


def _bib_escape(s: str) -> str:
    """Field text for BibTeX: LaTeX specials escaped, whitespace collapsed, Unicode kept (UTF-8 file)."""
    return one_line(s).translate(_BIB_TABLE)


def _bib_verbatim(s: str) -> str:
    """URL and DOI fields are verbatim; only braces (which would unbalance the field) are percent-encoded."""
    return s.replace("{", "%7B").replace("}", "%7D")


def bibtex(e: Entry, config: Config) -> str:
    """A @techreport entry (like RIS RPRT and CSL report); the publisher is a corporate author in double braces."""
    r = e.record
    fields = [
        ("author", "{{" + _bib_escape(r.publisher) + "}}"),
        ("title", "{{" + _bib_escape(r.display_title) + "}}"),  # double braces keep the capitalisation (MoE-VLMs)
        ("institution", "{" + _bib_escape(r.publisher) + "}"),
        ("type", "{Research synthesis}"),
        ("number", "{" + _bib_escape(r.id) + "}"),
        ("year", str(r.submitted.year)),
        ("month", _MONTHS[r.submitted.month - 1]),
        ("date", "{" + r.submitted.isoformat() + "}"),
        ("note", "{" + _bib_escape(config.title) + "}"),
    ]
    if r.topics:
        fields.append(("keywords", "{" + _bib_escape(", ".join(r.topics)) + "}"))
    if e.summary:
        fields.append(("abstract", "{" + _bib_escape(e.summary) + "}"))
    if r.doi:
        fields.append(("doi", "{" + _bib_verbatim(r.doi) + "}"))
    if config.base_url:
        fields.append(("url", "{" + _bib_verbatim(routes.absolute(config.base_url, routes.record_page(e.hex))) + "}"))
    body = ",\n".join(f"  {k} = {v}" for k, v in fields)
    return f"@techreport{{srch{e.hex},\n{body}\n}}\n"


def ris(e: Entry, config: Config) -> str:
    """RIS: `TAG  - value` lines with CRLF, every value on one line, ending with `ER  - `."""
    r = e.record
    lines = [
        ("TY", "RPRT"),
        ("ID", r.id),
        ("TI", r.display_title),
        ("AU", r.publisher),
        ("PB", r.publisher),
        ("PY", str(r.submitted.year)),
        ("DA", r.submitted.strftime("%Y/%m/%d/")),
        ("AB", e.summary),
        ("T2", config.title),
        ("M1", r.id),
    ]
    lines += [("KW", t) for t in r.topics]
    if r.doi:
        lines.append(("DO", r.doi))
    if config.base_url:
        lines.append(("UR", routes.absolute(config.base_url, routes.record_page(e.hex))))
    out = "".join(f"{k}  - {one_line(v)}\r\n" for k, v in lines if one_line(v))
    return out + "ER  - \r\n"


def csl(e: Entry, config: Config) -> dict[str, Any]:
    """CSL-JSON item (citeproc's input; csl-data.json v1.0.2): a report by a corporate (literal) author."""
    r = e.record
    item: dict[str, Any] = {
        "id": r.id,
        "type": "report",
        "title": one_line(r.display_title),
        "author": [{"literal": r.publisher}],
        "publisher": r.publisher,
        "issued": {"date-parts": [[r.submitted.year, r.submitted.month, r.submitted.day]]},
        "abstract": e.summary,
        "collection-title": config.title,
        "genre": "Research synthesis",
        "number": r.id,
    }
    if r.topics:
        item["keyword"] = ", ".join(r.topics)
    if r.doi:
        item["DOI"] = r.doi
    if config.base_url:
        item["URL"] = routes.absolute(config.base_url, routes.record_page(e.hex))
    return item


def record_files(e: Entry, config: Config) -> list[Output]:
    """record.json and the three citation formats beside a record page."""
    base = routes.record_dir(e.hex)
    out = [
        Output(base + "record.json", dumps(record_dict(e, config))),
        Output(base + "cite.bib", bibtex(e, config).encode("utf-8")),
        Output(base + "cite.ris", ris(e, config).encode("utf-8")),
        Output(base + "cite.json", dumps([csl(e, config)])),
    ]
    for a in e.artifacts:
        out.append(Output(base + "artifacts/" + a.name, copy_from=a.source))
    return out


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sitemaps(pages: Sequence[str], config: Config) -> list[Output]:
    """sitemap.xml, split into an index and parts past 50,000 URLs (sitemaps.org)."""
    if not config.base_url:
        return []
    base = config.base_url
    urls = [routes.absolute(base, p) for p in pages]
    chunks = [urls[i : i + routes.SITEMAP_MAX] for i in range(0, len(urls), routes.SITEMAP_MAX)] or [[]]

    def urlset(chunk: list[str]) -> bytes:
        body = "".join(f"<url><loc>{_xml(u)}</loc></url>\n" for u in chunk)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + body
            + "</urlset>\n"
        ).encode("utf-8")

    if len(chunks) == 1:
        return [Output("sitemap.xml", urlset(chunks[0]))]
    out = [Output(f"sitemap-{i}.xml", urlset(c)) for i, c in enumerate(chunks, 1)]
    index = "".join(f"<sitemap><loc>{_xml(base)}sitemap-{i}.xml</loc></sitemap>\n" for i in range(1, len(chunks) + 1))
    out.append(
        Output(
            "sitemap.xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + index
                + "</sitemapindex>\n"
            ).encode("utf-8"),
        )
    )
    return out


def robots(config: Config) -> Output:
    text = "User-agent: *\nAllow: /\n"
    if config.base_url:
        text += f"Sitemap: {config.base_url}sitemap.xml\n"
    return Output("robots.txt", text.encode("utf-8"))
