"""The hostile corpus (issue 4): every case, how to generate it, and its expected outcome.

Each case writes its registry into a fresh directory (`records/` under `root`); binary and
huge inputs are generated here rather than checked in. Outcomes:

- ERROR: `srchgen build` exits 1, names the file (`path:line:col:`), writes no site.
- SAFE:  `srchgen build` exits 0; the hostile data is shown as text, never run or evaluated.

`combinable` cases touch only their own record and go into the one registry that
tests/test_output_safety.py builds and scans page by page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

from .registry import BODY, record_text, write_record

ERROR: Literal["error"] = "error"
SAFE: Literal["safe"] = "safe"

# One payload for every text field: element, attribute breakout, JSON-LD breakout, comment, entity.
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)></script><!-- & &amp; ]]>"
JINJA = "{{ 7*7 }} {% raw %}raw{% endraw %} {{ config.__class__ }} {# c #}"
SHA = "0" * 64


Setup = Callable[[Path, str], None]
Check = Callable[[Path, str], list[str]]  # (site, hex) -> failures


@dataclass(frozen=True)
class Case:
    name: str
    outcome: Literal["error", "safe"]
    setup: Setup
    why: str
    message: str = ""  # a phrase the error must contain
    file: str | None = None  # the file the error names; default records/<hex>.md
    measure: bool = False  # rejected within 2 s of CPU and 200 MiB
    combinable: bool = False  # safe, and only touches its own record
    check: Check | None = None  # extra assertions on the built site
    strict_fails: bool = False  # a warning: `--strict` must turn it into exit 1
    needs_fifo: bool = False

    def named(self, hex_id: str) -> str:
        return self.file.format(hex=hex_id) if self.file else f"records/{hex_id}.md"


CASES: list[Case] = []


def case(name: str, outcome: Literal["error", "safe"], why: str, **kw: object) -> Callable[[Setup], Setup]:
    def deco(fn: Setup) -> Setup:
        CASES.append(Case(name, outcome, fn, why, **kw))  # type: ignore[arg-type]
        return fn

    return deco


def raw(records: Path, hex_id: str, data: bytes | str) -> Path:
    records.mkdir(parents=True, exist_ok=True)
    path = records / f"{hex_id}.md"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def front(hex_id: str, extra_yaml: str, body: str = "An abstract that says something.\n") -> str:
    """A valid manifest with `extra_yaml` appended to the front matter (for YAML-level attacks)."""
    text = record_text(hex_id)
    fm, _, _ = text.partition("\n---\n")
    return f"{fm}\n{extra_yaml}\n---\n{body}"


def page(site: Path, hex_id: str) -> str:
    return (site / "records" / hex_id / "index.html").read_text(encoding="utf-8")


def shows(*literal: str) -> Check:
    """The record page shows each string literally (escaped as HTML text)."""
    import html

    def check(site: Path, hex_id: str) -> list[str]:
        text = page(site, hex_id)
        return [f"page does not show {s!r}" for s in literal if html.escape(s, quote=False) not in text and html.escape(s) not in text]

    return check


def lacks(*fragment: str) -> Check:
    """The record page never contains these raw fragments."""

    def check(site: Path, hex_id: str) -> list[str]:
        text = page(site, hex_id)
        return [f"page contains {s!r}" for s in fragment if s in text]

    return check


def both(*checks: Check) -> Check:
    return lambda site, hex_id: [f for c in checks for f in c(site, hex_id)]


# --- YAML-level attacks: rejected before anything is expanded --------------------------------

BILLION_LAUGHS = "\n".join(
    ['lol0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"lol{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 10)]
)


@case("alias-bomb", ERROR, "billion laughs: 9^9 expansions if aliases were followed", message="not allowed", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, BILLION_LAUGHS))


@case("alias-bomb-block", ERROR, "a block-style alias bomb hidden under a known key", message="not allowed", measure=True)
def _(r: Path, h: str) -> None:
    lines = ["note: &n0 x"] + [f"x{i}: &n{i}\n" + "\n".join(f"  - *n{i-1}" for _ in range(10)) for i in range(1, 8)]
    raw(r, h, front(h, "\n".join(lines)))


@case("alias-single", ERROR, "one harmless-looking alias is still refused", message="not allowed")
def _(r: Path, h: str) -> None:
    text = record_text(h).replace("publisher: Assignee Research", "publisher: &p Assignee Research\nnote: *p")
    raw(r, h, text)


@case("merge-key", ERROR, "YAML merge keys pull values in from elsewhere", message="not allowed")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "<<: {note: merged}"))


@case("deep-flow-nesting", ERROR, "100,000 nested flow sequences", message="nested", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: " + "[" * 100_000 + "]" * 100_000))


@case("deep-flow-mapping", ERROR, "50,000 nested flow mappings", message="nested", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: " + "{a: " * 50_000 + "b" + "}" * 50_000))


@case("deep-block-nesting", ERROR, "1,000 levels of indented mappings", message="nested", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(1_000)) + " " * 1_001 + "end"))


@case("deep-compact-sequence", ERROR, "100,000 compact '- - - -' sequences on one line (overflowed the C stack)", message="nested", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note:\n" + "- " * 100_000 + "x"))


@case("deep-compact-keys", ERROR, "100,000 nested complex keys '? ? ? ?'", message="nested", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "? " * 100_000 + "x"))


@case("python-object-tag", ERROR, "a PyYAML object tag that would run a command", message="not allowed")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: !!python/object/apply:os.system ['touch PWNED']"))


@case("python-name-tag", ERROR, "a PyYAML name tag", message="not allowed")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: !!python/name:os.system"))


@case("custom-local-tag", ERROR, "an application tag", message="not allowed")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: !include /etc/passwd"))


@case("binary-tag", ERROR, "!!binary is not text", message="not allowed")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: !!binary aGVsbG8="))


@case("set-tag", ERROR, "!!set and !!omap are not plain mappings", message="not allowed")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: !!set {a, b}"))


@case("duplicate-keys", ERROR, "a second title after the first", message="duplicate key")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "title: First\ntitle: Second"))


@case("non-text-key", ERROR, "a mapping used as a key", message="must be text")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "? [a, b]\n: value"))


@case("front-matter-list", ERROR, "front matter is a list", message="mapping")
def _(r: Path, h: str) -> None:
    raw(r, h, "---\n- manifest\n- id\n---\nBody.\n")


@case("front-matter-scalar", ERROR, "front matter is one string", message="mapping")
def _(r: Path, h: str) -> None:
    raw(r, h, "---\njust text\n---\nBody.\n")


@case("front-matter-empty", ERROR, "nothing between the fences", message="mapping")
def _(r: Path, h: str) -> None:
    raw(r, h, "---\n---\nBody.\n")


@case("unclosed-front-matter", ERROR, "no closing fence: the whole file would be YAML", message="not closed")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("\n---\n", "\n", 1))


@case("empty-file", ERROR, "zero bytes", message="front matter")
def _(r: Path, h: str) -> None:
    raw(r, h, b"")


@case("verbatim-python-tag", ERROR, "a verbatim !<tag:...> naming a Python constructor", message="not allowed")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: !<tag:yaml.org,2002:python/object/apply:os.system> ['touch PWNED']"))


@case("raw-control-in-yaml", ERROR, "a raw control character inside the YAML", message="YAML")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "note: bell \x07 here"))


@case("tab-indent", ERROR, "tabs in YAML indentation", message="YAML")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "review2:\n\tscore: 1"))


@case("invalid-yaml-escape", ERROR, "an escape YAML does not know", message="YAML")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, 'note: "bad \\q escape"'))


# --- Bytes and size --------------------------------------------------------------------------


@case("over-1-mib", ERROR, "1 MiB + 1 byte", message="1 MiB", measure=True)
def _(r: Path, h: str) -> None:
    text = record_text(h).encode()
    raw(r, h, text + b"x" * (1024 * 1024 + 1 - len(text)))


@case("way-over-1-mib", ERROR, "a 64 MiB record is refused from its size, not read", message="1 MiB", measure=True)
def _(r: Path, h: str) -> None:
    path = raw(r, h, record_text(h))
    with open(path, "r+b") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: cheap to make, 64 MiB to anyone who reads it


@case("exactly-1-mib", SAFE, "the limit itself is accepted: one 1 MiB line of body", combinable=True)
def _(r: Path, h: str) -> None:
    text = record_text(h, body="A huge single line: ").encode()
    raw(r, h, text + b"word " * ((1024 * 1024 - len(text)) // 5) + b"x" * ((1024 * 1024 - len(text)) % 5))
    assert (r / f"{h}.md").stat().st_size == 1024 * 1024


@case("huge-single-line-question", SAFE, "a 500,000-character research question on one line", combinable=True)
def _(r: Path, h: str) -> None:
    write_record(r, h, research_question="Why " + "very " * 100_000 + "long?")


@case("nul-in-front-matter", ERROR, "a NUL byte among the keys", message="NUL")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("publisher: Assignee", "publisher: Ass\x00ignee"))


@case("nul-in-body", ERROR, "a NUL byte in the Markdown", message="NUL")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h, body="An abstract\x00 with a NUL.\n"))


@case("nul-escape-in-yaml", ERROR, "a NUL written as the YAML escape \\0", message="NUL")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, 'title: "nul \\0 here"'))


@case("latin-1", ERROR, "not UTF-8", message="UTF-8")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("Assignee", "Assign\xe9e").encode("latin-1"))


@case("utf-16", ERROR, "UTF-16 with its BOM", message="UTF-8")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).encode("utf-16"))


@case("lone-surrogate-escape", ERROR, "a YAML escape for half a surrogate pair", message="")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, 'title: "half \\ud800 pair"'))


@case("crlf", SAFE, "Windows line endings are accepted", combinable=True)
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("\n", "\r\n"))


@case("bom", SAFE, "a UTF-8 byte-order mark is accepted", combinable=True)
def _(r: Path, h: str) -> None:
    raw(r, h, b"\xef\xbb\xbf" + record_text(h).encode())


@case("bom-crlf", SAFE, "BOM and CRLF together", combinable=True)
def _(r: Path, h: str) -> None:
    raw(r, h, b"\xef\xbb\xbf" + record_text(h).replace("\n", "\r\n").encode())


@case("cr-only", ERROR, "classic Mac line endings: no fence line is found", message="front matter")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("\n", "\r"))


# --- Markup and script in every text field ----------------------------------------------------


def _text_field(field_name: str, **over: object) -> None:
    @case(f"xss-in-{field_name}", SAFE, f"markup and script in {field_name}: shown as text", combinable=True, check=shows("<script>alert(1)</script>"))
    def _(r: Path, h: str) -> None:
        write_record(r, h, **over)


_text_field("title", title="T " + XSS)
_text_field("research_question", research_question="Q " + XSS)
_text_field("publisher", publisher="P " + XSS)
_text_field("review-method", review={"score": 7.83, "method": "M " + XSS})
_text_field("note", note="N " + XSS)


@case("xss-in-correction-summary", ERROR, "summaries are plain text: tags are refused", message="plain text")
def _(r: Path, h: str) -> None:
    write_record(r, h, corrections=[{"date": "2026-06-01", "type": "clarification", "summary": XSS}])


@case("correction-summary-angle", SAFE, "a summary with '<' but no tag is fine and escaped", combinable=True, check=shows("a < b & c"))
def _(r: Path, h: str) -> None:
    write_record(r, h, corrections=[{"date": "2026-06-01", "type": "clarification", "summary": "a < b & c"}])


@case("xss-in-topic", ERROR, "topics are slugs; markup cannot be one", message="slug")
def _(r: Path, h: str) -> None:
    write_record(r, h, topics=["<script>alert(1)</script>"])


@case("traversal-topic", ERROR, "a topic that would be a path outside topics/", message="slug")
def _(r: Path, h: str) -> None:
    write_record(r, h, topics=["../../index"])


@case("xss-in-section", ERROR, "section is an enum", message="section")
def _(r: Path, h: str) -> None:
    write_record(r, h, section="<b>research</b>")


@case("javascript-report-url", ERROR, "report_url must be https", message="https")
def _(r: Path, h: str) -> None:
    write_record(r, h, report_url="javascript:alert(1)")


@case("data-record-source", ERROR, "record_source must be https", message="https")
def _(r: Path, h: str) -> None:
    write_record(r, h, claims={"source_grounded": 6, "record_source": "data:text/html,<script>alert(1)</script>"})


@case("breakout-report-url", SAFE, "an https URL whose host tries to leave the attribute", combinable=True, check=lacks('"onmouseover'))
def _(r: Path, h: str) -> None:
    write_record(r, h, report_url='https://x"onmouseover=alert(1)//')


@case("breakout-doi", SAFE, "a DOI (\\S+) carrying markup: escaped in the link and the text", combinable=True, check=lacks("<script>alert"))
def _(r: Path, h: str) -> None:
    write_record(r, h, doi='10.1234/"><script>alert(1)</script>')


@case("jinja-in-data", SAFE, "template syntax in data is shown, never evaluated", combinable=True, check=shows("{{ 7*7 }}", "{% raw %}", "{# c #}"))
def _(r: Path, h: str) -> None:
    write_record(r, h, title="T " + JINJA, publisher="P " + JINJA, note="N " + JINJA, body="B " + JINJA + "\n")


@case("bidi-override", SAFE, "bidi overrides are a warning (errors under --strict)", combinable=True, strict_fails=True, message="bidi")
def _(r: Path, h: str) -> None:
    write_record(r, h, title="Trojan \u202egnp.exe\u202c source", body="Abstract \u2066isolate\u2069 text.\n")


@case("control-chars", SAFE, "C0 controls from YAML escapes: a warning, and every feed stays well-formed", combinable=True, strict_fails=True, message="control")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, 'title: "bell \\a vt \\v esc \\e del \\x7f c1 \\x85 end"', body="Body \x0b\x01 with raw controls.\n"))


@case("js-line-separators", SAFE, "U+2028/2029 inside JSON-LD", combinable=True)
def _(r: Path, h: str) -> None:
    write_record(r, h, title="Line\u2028separator and paragraph\u2029separator")


@case("huge-count", SAFE, "a 4,000-digit claim count is still an integer", combinable=True)
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("source_grounded: 6", "source_grounded: " + "9" * 4_000))


@case("too-huge-count", ERROR, "past Python's int-string limit: an error, not a crash", message="claims.source_grounded")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("source_grounded: 6", "source_grounded: " + "9" * 5_000))


@case("huge-score", ERROR, "1e400 is infinity", message="review.score")
def _(r: Path, h: str) -> None:
    raw(r, h, record_text(h).replace("score: 7.83", "score: 1.0e+400"))


@case("weird-timestamp", ERROR, "a timestamp with an impossible offset", message="gate_evaluation")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "gate_evaluation: {evaluated: 2026-07-01T12:00:00+99:99, outcome: passed, artifact_sha256: [" + SHA + "]}"))


@case("huge-unknown-key", ERROR, "a 200,000-character unknown key (explicit '?' key: no 1024-character limit)", message="unknown key", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "? " + "k" * 200_000 + "\n: 1"))


@case("many-unknown-keys", ERROR, "10,000 unknown keys, every one reported", message="unknown key", measure=True)
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, "\n".join(f"junk{i}: {i}" for i in range(10_000))))


# --- Markdown body ---------------------------------------------------------------------------


def _body(name: str, markdown: str, why: str, *gone: str) -> None:
    literal = ("{{ 7*7 }}", "{% for x in range(10**9) %}") if name == "jinja-body" else ()
    @case(f"md-{name}", SAFE, why, combinable=True, check=both(shows("Benign text", *literal), lacks(*gone)))
    def _(r: Path, h: str) -> None:
        write_record(r, h, body="Benign text before the payload.\n\n" + markdown + "\n\n## Limitations\n\nAfter.\n")


_body("script", "<script>alert(1)</script>\n\n<SCRIPT SRC=//evil/x.js></SCRIPT>", "script elements, any case", "alert(1)", "evil/x.js")
_body("style", "<style>body{background:url(javascript:alert(1))}</style>\n\n<p style=\"background:url(x)\">s</p>", "style elements and attributes", "<style", "style=")
_body("event-handlers", '<img src="x.png" onerror="alert(1)"> <a href="#" onclick="alert(2)">c</a> <details open ontoggle=alert(3)>d</details> <input autofocus onfocus=alert(4)>', "on* attributes", "onerror", "onclick", "ontoggle", "onfocus")
_body("javascript-links", "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c]( javascript:alert(3)) <a href=\"java&#x09;script:alert(4)\">d</a> <a href=\"&#106;avascript:alert(5)\">e</a>", "javascript: links, obfuscated", 'href="javascript', 'href="JaVa')
_body("javascript-images", "![a](javascript:alert(1)) <img src=\"javascript:alert(2)\">", "javascript: images", 'src="javascript')
_body("vbscript-links", "[a](vbscript:msgbox(1)) <a href=\"VBScript:msgbox(2)\">b</a>", "vbscript: links", "vbscript:", "VBScript:")
_body("data-urls", "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) ![b](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)", "data: URLs in links and images", "data:text", "data:image")
_body("svg-script", "<svg><script>alert(1)</script><a xlink:href=\"javascript:alert(2)\"><text>t</text></a><animate attributeName=\"href\" to=\"javascript:alert(3)\"/></svg>\n\n<svg onload=alert(4)>", "SVG with script, links and animation", "<svg", "xlink:href")
_body("math", "<math><mi xlink:href=\"javascript:alert(1)\">x</mi><maction actiontype=statusline>y</maction></math>", "MathML links", "<math", "xlink")
_body("iframe", "<iframe src=\"https://evil.example/\"></iframe><iframe srcdoc=\"<script>alert(1)</script>\"></iframe>", "iframes", "<iframe", "srcdoc")
_body("object-embed", "<object data=\"evil.swf\"></object><embed src=\"evil.swf\"><applet code=x></applet>", "object, embed, applet", "<object", "<embed", "<applet")
_body("form", "<form action=\"javascript:alert(1)\"><button formaction=\"javascript:alert(2)\">go</button><input type=\"submit\"></form>", "forms and formaction", 'action="javascript', "formaction", "<button formaction", "go</button>")
_body("meta-refresh", "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">", "meta refresh", "http-equiv=\"refresh")
_body("base-href", "<base href=\"https://evil.example/\">", "base href", "<base")
_body("link-import", "<link rel=\"import\" href=\"https://evil.example/x.html\"><link rel=stylesheet href=\"https://evil.example/x.css\">", "link elements", "<link rel=\"import", "evil.example/x.css")
_body("comments", "<!-- <script>alert(1)</script> -->\n\n<!--><script>alert(2)</script>-->\n\n<!--[if IE]><script>alert(3)</script><![endif]-->", "raw HTML comments, including malformed ones", "<!--", "alert(")
_body("autolinks", "<javascript:alert(1)> <vbscript:msgbox(1)> <data:text/html,x> www.example.com https://example.com/ok", "autolinks with javascript:", 'href="javascript', 'href="vbscript', 'href="data')
_body("reference-links", "[a][x] [b][y]\n\n[x]: javascript:alert(1)\n[y]: data:text/html,x \"title\"", "reference-style definitions", 'href="javascript', 'href="data')
_body("mutation-xss", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>\n\n<textarea><img src=x onerror=alert(2)></textarea>\n\n<xmp><img src=x onerror=alert(3)></xmp>", "parser-differential payloads", "onerror")
_body("remote-images", "![a](https://evil.example/track.png) <img src=\"//evil.example/p.gif\">", "images from other origins are dropped (SPEC §2)", "evil.example/track.png", "evil.example/p.gif")
_body("jinja-body", "{{ 7*7 }} {% for x in range(10**9) %}{% endfor %} {{ lipsum() }}", "Jinja in Markdown is text")
_body("html-entities", "&lt;script&gt;alert(1)&lt;/script&gt; &#60;script&#62;", "entities stay text", "<script>alert")
_body("code-block", "```html\n<script>alert(1)</script>\n```\n\n`<img src=x onerror=alert(2)>`", "code stays code", "<script>alert", "<img src=x")


# --- Ids -------------------------------------------------------------------------------------


@case("cyrillic-id", ERROR, "SRCH: with a Cyrillic А in the hex", message="id")
def _(r: Path, h: str) -> None:
    write_record(r, h, id=f"SRCH:{h[:-1]}\u0410")


@case("fullwidth-id", ERROR, "fullwidth digits look like hex", message="id")
def _(r: Path, h: str) -> None:
    write_record(r, h, id="SRCH:" + "".join(chr(ord(c) + 0xFEE0) for c in h))


@case("fullwidth-file-name", ERROR, "a record file named with fullwidth digits", message="file name", file="records/０００００１Ａ１.md")
def _(r: Path, h: str) -> None:
    r.mkdir(parents=True, exist_ok=True)
    (r / "０００００１Ａ１.md").write_text(record_text(h), encoding="utf-8")


@case("lookalike-related", ERROR, "a related id with a Cyrillic look-alike", message="related")
def _(r: Path, h: str) -> None:
    write_record(r, "0000000A")
    write_record(r, h, related=["SRCH:0000000\u0410"])


@case("related-10000-missing", ERROR, "10,000 related ids, none exists: each reported", message="related[9999]", measure=True)
def _(r: Path, h: str) -> None:
    write_record(r, h, related=[f"SRCH:{i:08X}" for i in range(0x10000, 0x10000 + 10_000)])


@case("related-10000-duplicates", ERROR, "the same related id 10,000 times", message="listed twice", measure=True)
def _(r: Path, h: str) -> None:
    write_record(r, "00000001")
    write_record(r, h, related=["SRCH:00000001"] * 10_000)


@case("related-1000-existing", SAFE, "1,000 related ids that all exist (1,001 records)", check=shows("SRCH:000003E8"))
def _(r: Path, h: str) -> None:
    ids = [f"{i:08X}" for i in range(1, 1_001)]
    body = "Related-record stress abstract.\n"
    for x in ids:
        raw(r, x, record_text(x, body=body, related=[f"SRCH:{h}"]))
    write_record(r, h, related=[f"SRCH:{x}" for x in ids])


@case("topics-10000", SAFE, "10,000 topics on one record: 10,000 topic pages")
def _(r: Path, h: str) -> None:
    write_record(r, h, topics=[f"topic-{i}" for i in range(10_000)])


# --- The file system -------------------------------------------------------------------------


@case("empty-records", SAFE, "an empty records/ builds an empty site", check=lambda site, h: [] if (site / "index.html").is_file() else ["no index.html"])
def _(r: Path, h: str) -> None:
    r.mkdir(parents=True)


@case("no-markdown-files", SAFE, "records/ with only other files builds an empty site")
def _(r: Path, h: str) -> None:
    r.mkdir(parents=True)
    (r / "README.txt").write_text("not a record")
    (r / ".DS_Store").write_bytes(b"\x00\x01")
    (r / h).mkdir()


@case("symlink-loop-file", ERROR, "records/X.md -> X.md", message="symbolic link")
def _(r: Path, h: str) -> None:
    r.mkdir(parents=True, exist_ok=True)
    os.symlink(f"{h}.md", r / f"{h}.md")


@case("symlink-loop-pair", ERROR, "two record files pointing at each other", message="symbolic link")
def _(r: Path, h: str) -> None:
    r.mkdir(parents=True, exist_ok=True)
    os.symlink("00000002.md", r / f"{h}.md")
    os.symlink(f"{h}.md", r / "00000002.md")


@case("symlink-loop-dir", SAFE, "a directory loop under records/ is never walked", combinable=True)
def _(r: Path, h: str) -> None:
    write_record(r, h)
    (r / h).mkdir()
    os.symlink("..", r / h / "loop")
    os.symlink(".", r / "self")


@case("symlink-loop-artifact", ERROR, "an artifact path through a directory loop", message="symbolic link")
def _(r: Path, h: str) -> None:
    (r / h).mkdir(parents=True)
    os.symlink(".", r / h / "loop")
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/loop/loop/loop/P.lean", "sha256": SHA}])


@case("symlinked-record", ERROR, "a record file that is a symlink to a valid record elsewhere", message="symbolic link")
def _(r: Path, h: str) -> None:
    outside = r.parent / "outside"
    outside.mkdir()
    (outside / f"{h}.md").write_text(record_text(h))
    r.mkdir(parents=True, exist_ok=True)
    os.symlink(outside / f"{h}.md", r / f"{h}.md")


@case("symlinked-to-dev", ERROR, "a record file that is a symlink to /dev/zero", message="symbolic link")
def _(r: Path, h: str) -> None:
    r.mkdir(parents=True, exist_ok=True)
    os.symlink("/dev/zero", r / f"{h}.md")


@case("record-is-directory", ERROR, "records/X.md is a directory", message="regular file")
def _(r: Path, h: str) -> None:
    (r / f"{h}.md").mkdir(parents=True)


@case("record-is-fifo", ERROR, "records/X.md is a FIFO: must not hang", message="regular file", needs_fifo=True)
def _(r: Path, h: str) -> None:
    r.mkdir(parents=True, exist_ok=True)
    os.mkfifo(r / f"{h}.md")


@case("record-folder-outside", ERROR, "records/<HEX>/ is a symlink to a folder outside records/", message="symbolic link")
def _(r: Path, h: str) -> None:
    outside = r.parent / "secrets"
    outside.mkdir()
    (outside / "P.lean").write_text("secret")
    r.mkdir(parents=True, exist_ok=True)
    os.symlink(outside, r / h)
    import hashlib

    sha = hashlib.sha256(b"secret").hexdigest()
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/P.lean", "sha256": sha}])


@case("artifact-hard-link-out", ERROR, "an artifact file hard-linked to a file outside records/ (rsync -H, an unpacked archive)", message="hard links")
def _(r: Path, h: str) -> None:
    import hashlib

    outside = r.parent / "secret.txt"
    outside.write_text("secret")
    (r / h).mkdir(parents=True)
    os.link(outside, r / h / "P.lean")
    sha = hashlib.sha256(b"secret").hexdigest()
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/P.lean", "sha256": sha}])


@case("artifact-symlink-passwd", ERROR, "an artifact file symlinked to /etc/passwd", message="symbolic link")
def _(r: Path, h: str) -> None:
    (r / h).mkdir(parents=True)
    os.symlink("/etc/passwd", r / h / "P.lean")
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/P.lean", "sha256": SHA}])


@case("artifact-dotdot", ERROR, "an artifact path with ..", message="..")
def _(r: Path, h: str) -> None:
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/../../../etc/passwd", "sha256": SHA}])


@case("artifact-absolute", ERROR, "an absolute artifact path", message="relative")
def _(r: Path, h: str) -> None:
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": "/etc/passwd", "sha256": SHA}])


@case("artifact-backslash", ERROR, "a Windows-style path", message="artifacts[0].path")
def _(r: Path, h: str) -> None:
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}\\..\\..\\x", "sha256": SHA}])


@case("artifact-other-record", ERROR, "an artifact in another record's folder", message="own folder")
def _(r: Path, h: str) -> None:
    (r / "00000001").mkdir(parents=True)
    (r / "00000001" / "P.lean").write_text("x")
    write_record(r, "00000001")
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": "00000001/P.lean", "sha256": SHA}])


@case("artifact-fifo", ERROR, "a FIFO as artifact: must not hang", message="regular file", needs_fifo=True)
def _(r: Path, h: str) -> None:
    (r / h).mkdir(parents=True)
    os.mkfifo(r / h / "P.lean")
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/P.lean", "sha256": SHA}])


@case("artifact-directory", ERROR, "an artifact path that is a directory", message="artifacts[0].path")
def _(r: Path, h: str) -> None:
    (r / h / "P.lean").mkdir(parents=True)
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/P.lean", "sha256": SHA}])


@case("artifact-nul-path", ERROR, "a path with an escaped NUL", message="NUL")
def _(r: Path, h: str) -> None:
    raw(r, h, front(h, f'artifacts: [{{kind: lean4-proof, path: "{h}/P\\0.lean", sha256: "{SHA}"}}]'))


@case("artifact-unicode-name", SAFE, "an artifact named with markup-ish Unicode is published and escaped", combinable=True, check=lacks("<b>x"))
def _(r: Path, h: str) -> None:
    import hashlib

    name = "Pröof <b>x \"q\" &amp;.lean"
    (r / h).mkdir(parents=True)
    (r / h / name).write_text("theorem t : True := trivial\n")
    sha = hashlib.sha256((r / h / name).read_bytes()).hexdigest()
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/{name}", "sha256": sha}])


@case("artifact-long-name", ERROR, "an artifact name longer than the file system allows", message="artifacts[0].path")
def _(r: Path, h: str) -> None:
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/{'p' * 300}.lean", "sha256": SHA}])


@case("artifact-long-path", ERROR, "an artifact path longer than PATH_MAX", message="artifacts[0].path")
def _(r: Path, h: str) -> None:
    write_record(r, h, artifacts=[{"kind": "lean4-proof", "path": f"{h}/" + "d/" * 3000 + "P.lean", "sha256": SHA}])


@case("artifact-html", SAFE, "an HTML artifact with script is never published as an active page", combinable=True)
def _(r: Path, h: str) -> None:
    import hashlib

    (r / h).mkdir(parents=True)
    files = {"run.html": b"<script>alert(1)</script>", "results.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'}
    arts = []
    for name, data in files.items():
        (r / h / name).write_bytes(data)
        kind = "repro-script" if name.startswith("run") else "repro-results"
        arts.append({"kind": kind, "path": f"{h}/{name}", "sha256": hashlib.sha256(data).hexdigest()})
    write_record(r, h, artifacts=arts)


@case("empty-abstract", ERROR, "no text before the first heading", message="abstract")
def _(r: Path, h: str) -> None:
    write_record(r, h, body="## Limitations\n\nNone.\n")


@case("whitespace-abstract", ERROR, "an abstract of blank lines and an HTML comment", message="abstract")
def _(r: Path, h: str) -> None:
    write_record(r, h, body="\n   \n<!-- nothing -->\n\n## Limitations\n\nNone.\n")


def hex_of(index: int) -> str:
    """Each case's record id: distinct, so safe cases can share one registry."""
    return f"{0xA0000 + index:08X}"


def numbered() -> list[tuple[str, Case]]:
    return [(hex_of(i), c) for i, c in enumerate(CASES)]


__all__ = ["CASES", "ERROR", "SAFE", "Case", "numbered", "hex_of", "BODY"]
_ = field  # re-exported for table extensions
