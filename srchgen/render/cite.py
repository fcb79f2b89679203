"""A record's citations: BibTeX, RIS, CSL-JSON and a "Cite as" line (SPEC §4, §8).

Every format is in the data export; the record's data file (record.json) has CSL-JSON and the
"Cite as" line, its page (templates/_cite.html) the line, BibTeX and RIS as text; never in files
of their own: at 100,000 records three citation
files each would be 300,000 files (the ACL Anthology removed theirs for the same reason).
They carry what a citation needs, not the abstract: the page already shows it, and the data
file has it once ("abstract").
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from srchgen.render import routes
from srchgen.config import Config
from srchgen.derive.entry import Entry


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


def cite_text(e: Entry, config: Config) -> str:
    """The "Cite as" line (APA-like): Publisher (2026). Title. Registry, SRCH:X. https://doi.org/..."""
    r = e.record
    title = one_line(r.display_title)
    title += "" if title.endswith((".", "?", "!")) else "."
    link = f"https://doi.org/{r.doi}" if r.doi else (routes.absolute(config.base_url, routes.record_page(e.hex)) if config.base_url else "")
    return one_line(f"{r.publisher} ({r.submitted.year}). {title} {config.title}, {r.id}. {link}")


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


_last: tuple[Any, ...] = (None, None, ())


def formats(e: Entry, config: Config) -> tuple[str, str, str]:
    """(Cite-as text, BibTeX, RIS) of a record. Both its page (page_view) and its data
    (feeds.record_dict) print them, one right after the other: the last record's are kept."""
    global _last
    if _last[0] is not e or _last[1] is not config:  # identity: the kept entry cannot be freed and its id reused
        _last = (e, config, (cite_text(e, config), bibtex(e, config), ris(e, config)))
    return _last[2]  # type: ignore[no-any-return]


def page_view(e: Entry, config: Config) -> dict[str, Markup]:
    """The texts templates/_cite.html prints: the "Cite as" line and each format as it would be
    downloaded (RIS with LF: HTML turns CRLF into LF anyway; assets/cite.js restores CRLF).
    Escaped for text inside <pre> (&, <, > only: quotes need no escaping there), so the page
    carries each format at about its own size. CSL-JSON is in record.json (feeds.record_dict)."""
    text, bib, ris_text = formats(e, config)
    return {
        "text": Markup(_pre_escape(text)),
        "bibtex": Markup(_pre_escape(bib)),
        "ris": Markup(_pre_escape(ris_text.replace("\r\n", "\n"))),
        "name": escape("srch-" + e.hex.lower()),  # an attribute: the file name cite.js gives downloads
    }


def _pre_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
