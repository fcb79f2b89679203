"""Citations and metadata parse in the formats readers' tools expect (SPEC §4, §8).

A record's citations live in its data file (record.json "citations"), in the data export,
and as text on its page (templates/_cite.html): never as files of their own. BibTeX is checked with a small parser that counts braces the way BibTeX does (a
backslash does not protect a brace), RIS line by line, CSL-JSON against the
csl-data.json schema's required fields, item types and variable names, and the
record page's citation_* tags, JSON-LD, Open Graph and canonical URL.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from srchgen.build.pipeline import build
from tests.conftest import manifest, project_for, write_record

NASTY_TITLE = "Is 100% of $x^2$ ~ {braces} \\ back_slash #1 & Schrödinger’s λ — </script><b>?"
NASTY_PUBLISHER = "R&D Lab_1 {Zürich}"

# --- BibTeX ------------------------------------------------------------------------------

LATEX_UNESCAPE = [
    (r"\textbackslash{}", "\\"),
    (r"\textbraceleft{}", "{"),
    (r"\textbraceright{}", "}"),
    (r"\textasciitilde{}", "~"),
    (r"\textasciicircum{}", "^"),
    (r"\&", "&"),
    (r"\%", "%"),
    (r"\$", "$"),
    (r"\#", "#"),
    (r"\_", "_"),
]


def parse_bibtex(text: str) -> tuple[str, str, dict[str, str]]:
    """(entry type, key, fields) of a single entry; raises ValueError on anything BibTeX would reject."""
    m = re.match(r"\s*@(\w+)\{([^,\s{}]+),", text)
    if not m:
        raise ValueError("no @type{key, header")
    kind, key = m.group(1).lower(), m.group(2)
    pos = m.end()
    fields: dict[str, str] = {}
    while True:
        m = re.compile(r"\s*(\}|(\w+)\s*=\s*)").match(text, pos)
        if not m:
            raise ValueError(f"expected a field at {pos}: {text[pos:pos + 30]!r}")
        if m.group(1) == "}":
            if text[m.end() :].strip():
                raise ValueError("text after the entry")
            return kind, key, fields
        name = m.group(2).lower()
        if name in fields:
            raise ValueError(f"duplicate field {name}")
        pos = m.end()
        if text[pos] == "{":
            depth, i = 0, pos
            while True:  # BibTeX counts every brace, escaped or not
                if i >= len(text):
                    raise ValueError(f"unbalanced braces in {name}")
                if text[i] == "{":
                    depth += 1
                elif text[i] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            value, pos = text[pos + 1 : i], i + 1
        else:
            m2 = re.compile(r"[\w]+").match(text, pos)
            if not m2:
                raise ValueError(f"bad value for {name}")
            value, pos = m2.group(0), m2.end()
        fields[name] = value
        m3 = re.compile(r"\s*,?").match(text, pos)
        pos = m3.end() if m3 else pos


def unlatex(value: str) -> str:
    for latex, ch in LATEX_UNESCAPE:
        value = value.replace(latex, ch)
    return value


# --- CSL-JSON: the parts of csl-data.json (v1.0.2) a citeproc processor relies on ------------

CSL_TYPES = [
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book", "broadcast", "chapter",
    "classic", "collection", "dataset", "document", "entry", "entry-dictionary", "entry-encyclopedia", "event",
    "figure", "graphic", "hearing", "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical", "personal_communication",
    "post", "post-weblog", "regulation", "report", "review", "review-book", "software", "song", "speech", "standard",
    "thesis", "treaty", "webpage",
]
CSL_STRINGS = [
    "citation-key", "categories", "language", "journalAbbreviation", "shortTitle", "abstract", "annote", "archive",
    "archive_collection", "archive_location", "archive-place", "authority", "call-number", "citation-label",
    "collection-title", "container-title", "container-title-short", "dimensions", "division", "DOI", "event",
    "event-title", "event-place", "genre", "ISBN", "ISSN", "jurisdiction", "keyword", "medium", "note",
    "original-publisher", "original-publisher-place", "original-title", "part-title", "PMCID", "PMID", "publisher",
    "publisher-place", "references", "reviewed-genre", "reviewed-title", "scale", "section", "source", "status",
    "title", "title-short", "URL", "version", "volume-title", "year-suffix", "number", "edition", "issue", "page",
    "volume", "chapter-number", "collection-number", "number-of-pages", "number-of-volumes", "supplement-number",
    "printing-number", "part-number", "page-first", "locator", "first-reference-note-number", "citation-number",
]
CSL_NAMES = [
    "author", "chair", "collection-editor", "compiler", "composer", "container-author", "contributor", "curator",
    "director", "editor", "editorial-director", "executive-producer", "guest", "host", "illustrator", "interviewer",
    "narrator", "organizer", "original-author", "performer", "producer", "recipient", "reviewed-author",
    "script-writer", "series-creator", "translator",
]
CSL_DATES = ["accessed", "available-date", "event-date", "issued", "original-date", "submitted"]
NAME = {
    "type": "object",
    "properties": {k: {"type": ["string", "number", "boolean"]} for k in ("family", "given", "dropping-particle", "non-dropping-particle", "suffix", "comma-suffix", "static-ordering", "literal", "parse-names")},
    "additionalProperties": False,
}
DATE = {
    "type": "object",
    "properties": {
        "date-parts": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": ["integer", "string"]}}},
        "season": {"type": ["string", "number"]}, "circa": {"type": ["string", "number", "boolean"]}, "literal": {"type": "string"}, "raw": {"type": "string"},
    },
    "additionalProperties": False,
}
CSL_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "type"],
        "properties": {
            "id": {"type": ["string", "number"]},
            "type": {"enum": CSL_TYPES},
            **{k: {"type": ["string", "number"]} for k in CSL_STRINGS},
            **{k: {"type": "array", "items": NAME} for k in CSL_NAMES},
            **{k: DATE for k in CSL_DATES},
        },
        "additionalProperties": False,
    },
}

CSL = jsonschema.Draft202012Validator(CSL_SCHEMA)
RIS_LINE = re.compile(r"[A-Z][A-Z0-9]  - [^\r\n]*")


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nasty_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A record whose title and publisher hold every LaTeX special, HTML and non-ASCII text."""
    root = tmp_path_factory.mktemp("cite") / "project"
    records = root / "records"
    write_record(records, manifest(id="SRCH:0000C17E", title=NASTY_TITLE, publisher=NASTY_PUBLISHER, doi="10.1234/ab_c(1)", topics=["x-y"]),
                 "An abstract with 50% & more,\nacross two lines about {braces} and ~x^2.\n")
    write_record(records, manifest(id="SRCH:0000C17F"))
    report = build(project_for(root, base_url="https://example.org/repo/"), search=False)
    assert not report.errors, [str(p) for p in report.errors]
    return root / "site"


def record_dirs(site: Path) -> list[Path]:
    return sorted(p for p in (site / "records").iterdir() if p.is_dir())


def cites(d: Path) -> dict[str, Any]:
    """A record's citations in every format, as the data export holds them; its data file holds
    the same CSL-JSON and "Cite as" line (and leaves BibTeX and RIS to the page: SPEC §8)."""
    import gzip

    site = d.parent.parent
    export = json.loads(gzip.decompress((site / "records.json.gz").read_bytes()))
    [found] = [r for r in export["records"] if r["path"] == f"records/{d.name}/"]
    own = json.loads((d / "record.json").read_text(encoding="utf-8"))["citations"]
    assert own == {k: found["citations"][k] for k in ("csl", "text")}
    return found["citations"]


class CitePre(HTMLParser):
    """The text of each <pre data-cite="..."> and of the "Cite as" paragraph on a record page."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "pre" and a.get("data-cite"):
            self._in = a["data-cite"]
        elif tag == "p" and a.get("class") == "cite-as":
            self._in = "text"
        if self._in:
            self.texts.setdefault(self._in, "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("pre", "p"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.texts[self._in] += data


def page_cites(d: Path) -> dict[str, str]:
    parser = CitePre()
    parser.feed((d / "index.html").read_text(encoding="utf-8"))
    return parser.texts


# --- tests ---------------------------------------------------------------------------------------


def test_bibtex_parses_for_every_record(built_corpus: Path) -> None:
    dirs = record_dirs(built_corpus)
    assert dirs
    for d in dirs:
        text = cites(d)["bibtex"]
        assert page_cites(d)["bib"] == text  # the page shows the export's BibTeX, byte for byte
        kind, key, fields = parse_bibtex(text)
        assert kind == "techreport" and key == "srch" + d.name
        for required in ("author", "title", "institution", "year"):  # @techreport's required fields
            assert fields.get(required), (d.name, required)
        assert re.fullmatch(r"\d{4}", fields["year"])
        assert fields["number"] == "SRCH:" + d.name
        assert fields["url"] == f"https://example.org/repo/records/{d.name}/"


def test_bibtex_escapes_latex_specials_and_keeps_unicode(nasty_site: Path) -> None:
    text = cites(nasty_site / "records/0000C17E")["bibtex"]
    assert page_cites(nasty_site / "records/0000C17E")["bib"] == text
    _, _, fields = parse_bibtex(text)
    assert fields["title"].startswith("{") and fields["title"].endswith("}")  # double braces keep case
    assert unlatex(fields["title"][1:-1]) == NASTY_TITLE
    assert fields["author"] == "{" + r"R\&D Lab\_1 \textbraceleft{}Zürich\textbraceright{}" + "}"  # corporate author
    # The abstract is not a citation field (it is on the page): the data file has it once, as plain text.
    assert "abstract" not in fields
    data = json.loads((nasty_site / "records/0000C17E/record.json").read_text(encoding="utf-8"))
    assert data["abstract"] == "An abstract with 50% & more, across two lines about {braces} and ~x^2."
    assert fields["doi"] == "10.1234/ab_c(1)"  # verbatim field
    for name, value in fields.items():
        if name not in ("doi", "url"):
            bare = re.sub(r"\\text[a-z]+\{\}", "", value)
            assert not re.search(r"(?<!\\)[%&$#_~^]", bare), (name, value)


@pytest.mark.parametrize("ch", list("{}\\~^&%$#_"))
def test_every_latex_special_alone_keeps_the_entry_balanced(tmp_path: Path, ch: str) -> None:
    root = tmp_path / "p"
    write_record(root / "records", manifest(id="SRCH:0000000B", title=f"a {ch} b", publisher=f"P{ch}"))
    assert not build(project_for(root), search=False).errors
    _, _, fields = parse_bibtex(cites(root / "site/records/0000000B")["bibtex"])
    assert unlatex(fields["title"][1:-1]) == f"a {ch} b"


def test_ris_lines_are_well_formed(built_corpus: Path, nasty_site: Path) -> None:
    for d in record_dirs(built_corpus) + record_dirs(nasty_site):
        text = cites(d)["ris"]
        assert page_cites(d)["ris"] == text.replace("\r\n", "\n")  # HTML has no CR; assets/cite.js restores it
        assert text.endswith("ER  - \r\n")
        lines = text.split("\r\n")[:-1]
        assert "\n" not in "".join(lines)  # every value on one line
        for line in lines:
            assert RIS_LINE.fullmatch(line), (d.name, line)
        tags = [line[:2] for line in lines]
        assert tags[0] == "TY" and lines[0] == "TY  - RPRT"
        assert tags.count("TY") == 1 and tags.count("ER") == 1 and tags[-1] == "ER"
        assert {"TI", "AU", "PY", "DA", "UR"} <= set(tags)
        da = next(line for line in lines if line.startswith("DA"))
        assert re.fullmatch(r"DA  - \d{4}/\d{2}/\d{2}/", da)


def test_ris_keeps_the_nasty_title_whole(nasty_site: Path) -> None:
    lines = cites(nasty_site / "records/0000C17E")["ris"].split("\r\n")
    assert f"TI  - {NASTY_TITLE}" in lines
    assert not [line for line in lines if line.startswith("AB  - ")]  # the abstract is on the page and in "abstract"
    assert "DO  - 10.1234/ab_c(1)" in lines


def test_csl_json_matches_the_csl_schema(built_corpus: Path, nasty_site: Path) -> None:
    for d in record_dirs(built_corpus) + record_dirs(nasty_site):
        items = [cites(d)["csl"]]
        assert "json" not in page_cites(d)  # in record.json, not printed on every page
        CSL.validate(items)
        assert len(items) == 1
        item = items[0]
        assert item["id"] == "SRCH:" + d.name and item["type"] == "report"
        year, month, day = item["issued"]["date-parts"][0]
        assert 2000 < year and 1 <= month <= 12 and 1 <= day <= 31


def test_csl_schema_check_can_fail() -> None:
    with pytest.raises(jsonschema.ValidationError):
        CSL.validate([{"id": "x", "type": "report", "authors": []}])
    with pytest.raises(jsonschema.ValidationError):
        CSL.validate([{"id": "x", "type": "techreport"}])


class Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.links: dict[str, str] = {}
        self.jsonld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("name" in a or "property" in a):
            self.meta.append((a.get("name") or a["property"], a.get("content", "")))
        elif tag == "link" and "rel" in a:
            self.links.setdefault(a["rel"], a.get("href", ""))
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_ld = True
            self.jsonld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.jsonld[-1] += data


def head_of(page: Path) -> Head:
    h = Head()
    h.feed(page.read_text(encoding="utf-8"))
    return h


def test_record_page_metadata(nasty_site: Path) -> None:
    h = head_of(nasty_site / "records/0000C17E/index.html")
    meta = dict(h.meta)
    assert meta["citation_title"] == NASTY_TITLE
    assert meta["citation_author"] == NASTY_PUBLISHER
    assert meta["citation_publication_date"] == "2026/07/01"
    assert meta["citation_doi"] == "10.1234/ab_c(1)"
    assert meta["og:title"] == NASTY_TITLE and meta["og:type"] == "article"
    url = "https://example.org/repo/records/0000C17E/"
    assert meta["og:url"] == url and meta["citation_abstract_html_url"] == url
    assert h.links["canonical"] == url
    assert len(h.jsonld) == 1  # '</script>' in the title did not end the block early
    ld = json.loads(h.jsonld[0])
    assert ld["@type"] == "ScholarlyArticle" and ld["@context"] == "https://schema.org"
    assert ld["headline"] == NASTY_TITLE and ld["url"] == url
    assert "abstract" not in ld and "name" not in ld  # the page's own text is not repeated in its head
    assert ld["sameAs"] == "https://doi.org/10.1234/ab_c(1)"
    assert ld["datePublished"] == "2026-07-01"


def test_no_absolute_metadata_without_base_url(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_record(root / "records", manifest())
    assert not build(project_for(root), search=False).errors
    h = head_of(root / "site/records/0000000A/index.html")
    names = {k for k, _ in h.meta}
    assert "canonical" not in h.links and "og:url" not in names and "citation_abstract_html_url" not in names
    assert "url" not in json.loads(h.jsonld[0])
    assert "UR  - " not in cites(root / "site/records/0000000A")["ris"]
    assert cites(root / "site/records/0000000A")["text"].endswith("SRCH:0000000A.")  # no DOI, no URL: nothing to link


# --- where the citations are (SPEC §8) -----------------------------------------------------------


def test_two_files_per_record_and_every_format_on_the_page(built_corpus: Path) -> None:
    for d in record_dirs(built_corpus):
        assert {p.name for p in d.iterdir()} <= {"index.html", "record.json", "artifacts"}, d.name
        on_page = page_cites(d)
        assert set(on_page) == {"text", "bib", "ris"}  # readable with no server and no JavaScript
        assert on_page["bib"] == cites(d)["bibtex"] and on_page["ris"] == cites(d)["ris"].replace("\r\n", "\n")
        assert on_page["text"] == "Cite as " + cites(d)["text"]
        page = (d / "index.html").read_text(encoding="utf-8")
        assert "cite.bib" not in page and "cite.ris" not in page and 'href="cite.json"' not in page
        assert '<a href="record.json">' in page


def test_cite_as_line(nasty_site: Path) -> None:
    text = cites(nasty_site / "records/0000C17E")["text"]
    assert text == f"{NASTY_PUBLISHER} (2026). {NASTY_TITLE} Research Synthesis Registry, SRCH:0000C17E. https://doi.org/10.1234/ab_c(1)"
    page = (nasty_site / "records/0000C17E/index.html").read_text(encoding="utf-8")
    assert "</script><b>" not in page.split('class="cite"', 1)[1]  # escaped inside the partial


def test_export_holds_every_record_with_citations_and_licence(tmp_path: Path) -> None:
    import gzip

    root = tmp_path / "p"
    for i in range(3):
        write_record(root / "records", manifest(id=f"SRCH:0000000{i}"))
    (root / "pyproject.toml").write_text('[tool.srchgen]\ntitle = "T"\nlicense = "CC-BY-4.0"\n')
    assert not build(project_for(root), search=False).errors
    raw = (root / "site/records.json.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0" and not raw[3] & 0x08  # gzip mtime 0 and no file name: deterministic
    data = json.loads(gzip.decompress(raw))
    assert data["license"] == {"id": "CC-BY-4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert [r["manifest"]["id"] for r in data["records"]] == ["SRCH:00000000", "SRCH:00000001", "SRCH:00000002"]  # same day: by id
    for r in data["records"]:
        own = json.loads((root / "site" / r["path"] / "record.json").read_text(encoding="utf-8"))
        # the data file is the export's element less BibTeX and RIS, which its page prints (SPEC §8)
        assert set(r["citations"]) == {"bibtex", "ris", "csl", "text"} and r["derived"]["quality_tier"]
        assert own == {**r, "citations": {k: r["citations"][k] for k in ("csl", "text")}}
