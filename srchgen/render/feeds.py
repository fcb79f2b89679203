"""Machine-readable outputs as plain dicts -> json.dumps(sort_keys=True) (SPEC §4, §8).

JSON Feed 1.1 (the newest `feed_size` records), each record's element of the data export
(record_dict: with its citations in BibTeX, RIS and CSL-JSON; export.py compresses them into
records.json.gz), each record's one data file
(record.json: manifest, derived fields, abstract and its CSL-JSON citation; its page prints
BibTeX and RIS as text),
sitemap.xml and robots.txt. No clock: every date comes from the records.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Sequence

from srchgen.render import routes
from srchgen.render.cite import csl
from srchgen.render.cite import formats as cite_formats
from srchgen.config import Config
from srchgen.derive.entry import Entry
from srchgen.render.render import Output, joined
from srchgen.render.summary import Texts, texts_key

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


def same_abstract_mark(hex_id: str) -> str:
    """Stands for the list of records sharing this record's abstract (JSON-escaped: \\u0000...)."""
    return f"\x00srchgen:same-abstract:{hex_id}\x00"


def record_dict(e: Entry, config: Config, export: bool = True) -> dict[str, Any]:
    """A record's element of the data export: manifest, derived fields, the abstract (plain text)
    and its citations in every format, so no citation needs a file of its own (SPEC §8). Its data
    file (`export=False`) leaves out BibTeX and RIS, which its page prints as text: ~0.9 kB of
    each of 100,000 files."""
    # the records with the same abstract are known only once every record is read: a mark here,
    # filled by render.Renderer.fill_json when the file and the export are written
    derived = {**derived_dict(e), "same_abstract_as": same_abstract_mark(e.hex)}
    text, bib, ris_text = cite_formats(e, config)
    out: dict[str, Any] = {
        "manifest": manifest_dict(e), "derived": derived, "path": routes.record_dir(e.hex), "abstract": e.summary,
        "citations": {"csl": csl(e, config), "text": text},
    }
    if export:
        out["citations"].update(bibtex=bib, ris=ris_text)
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
    """JSON Feed 1.1 of `summaries` (the newest `feed_size` records: build.feed_window), newest first.
    Item ids are the record ids, which never change and do not depend on base_url."""
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


def data_file_dict(element: dict[str, Any]) -> dict[str, Any]:
    """A record's data file from its export element (record_dict): without BibTeX and RIS."""
    return {**element, "citations": {k: v for k, v in element["citations"].items() if k not in ("bibtex", "ris")}}


def record_files(e: Entry, config: Config, element: dict[str, Any] | None = None) -> list[Output]:
    """The one data file beside a record page (SPEC §8: two files per record), and its artifacts;
    `element`: the record's record_dict, when the caller made it already."""
    base = routes.record_dir(e.hex)
    data = data_file_dict(element) if element is not None else record_dict(e, config, export=False)
    out = [Output(base + routes.RECORD_DATA, dumps(data))]
    for a in e.artifacts:
        out.append(Output(base + "artifacts/" + a.name, copy_from=a.source))
    signer, ev = e.derived.gate.signer, e.record.gate_evaluation
    if signer is not None and signer.payload and ev is not None and ev.signature:
        # issue 25: what `ssh-keygen -Y verify` needs, byte for byte what the build verified
        # (the signature as gate.sig._keygen_verify hands it to ssh-keygen)
        out.append(Output(base + routes.GATE_PAYLOAD, signer.payload))
        out.append(Output(base + routes.GATE_SIGNATURE, (ev.signature.replace("\r\n", "\n").strip() + "\n").encode("ascii", "replace")))
    return out


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sitemaps(pages: Sequence[tuple[str, str | None]], config: Config) -> list[Output]:
    """sitemap.xml from (page, lastmod ISO day or None), split into an index and parts past
    50,000 URLs (sitemaps.org); a record page's lastmod is its last update (Entry.updated)."""
    if not config.base_url:
        return []
    base = config.base_url
    urls = [(routes.absolute(base, p), lastmod) for p, lastmod in pages]
    chunks = [urls[i : i + routes.SITEMAP_MAX] for i in range(0, len(urls), routes.SITEMAP_MAX)] or [[]]

    def urlset(chunk: list[tuple[str, str | None]]) -> bytes:
        body = "".join(
            f"<url><loc>{_xml(u)}</loc><lastmod>{m}</lastmod></url>\n" if m else f"<url><loc>{_xml(u)}</loc></url>\n" for u, m in chunk
        )
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
