"""Scan a built page for anything that could run script (SPEC §2 sanitising, §6 hostile input).

Stdlib only: `html.parser` reads every element and attribute the way a browser's tokenizer
would see them (character references in attribute values are decoded first), and each
finding is returned as text so a failing test says what it found and where.
"""

from __future__ import annotations

import json
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

# Elements that run, embed or redirect, whoever wrote them.
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "style", "foreignobject"}
_OTHER_ORIGIN = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.I)
# Attributes that carry a URL a browser may navigate to, fetch or submit to.
URL_ATTRS = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite",
    "ping", "manifest", "lowsrc", "dynsrc", "codebase", "longdesc", "srcset",
}  # fmt: skip
_BAD_SCHEME = re.compile(r"^(javascript|vbscript|data|livescript|mocha):", re.I)
_STRIP = re.compile(r"[\x00-\x20\x7f-\x9f]+")  # browsers ignore these inside a scheme
# The scripts srchgen itself ships: the Pagefind bundle and the small search helper (SPEC §4).
OWN_SCRIPT_DIRS = ("assets/", "pagefind/")
# What `script-src` may allow: our own files, and WebAssembly for Pagefind; never inline script.
ALLOWED_SCRIPT_SOURCES = {"'self'", "'wasm-unsafe-eval'", "'none'"}


def bad_url(value: str) -> bool:
    """True for javascript:, vbscript:, data: (any case, with the blanks browsers skip)."""
    return bool(_BAD_SCHEME.match(_STRIP.sub("", value)))


def csp_problems(policy: str) -> list[str]:
    """A Content-Security-Policy must exist and forbid inline script (no 'unsafe-inline', no hashes, no hosts)."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    source = directives.get("script-src", directives.get("default-src"))
    out = []
    if source is None:
        out.append("CSP has neither script-src nor default-src")
    else:
        extra = [s for s in source if s.lower() not in ALLOWED_SCRIPT_SOURCES]
        if extra:
            out.append(f"CSP script-src allows {extra}")
    if directives.get("object-src", directives.get("default-src")) != ["'none'"]:
        out.append("CSP does not set object-src 'none'")
    if "base-uri" not in directives:
        out.append("CSP does not restrict base-uri")
    return out


class _Scanner(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.dir = posixpath.dirname(page)
        self.findings: list[str] = []
        self.csp: str | None = None
        self.scripts = 0
        self._jsonld: list[str] | None = None
        self._script_depth = 0

    def _find(self, what: str) -> None:
        self.findings.append(f"{self.page}:{self.getpos()[0]}: {what}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag == "script":
            self._script_depth = 0
            self._jsonld = None

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        for name, value in a.items():
            if name.startswith("on"):
                self._find(f"<{tag}> has event handler {name}={value!r}")
            if name in URL_ATTRS and any(bad_url(v) for v in value.split(",")):
                self._find(f"<{tag}> {name}={value!r} has a script or data URL")
        if tag in FORBIDDEN_TAGS:
            self._find(f"<{tag}> element")
        if tag == "form":
            # Our own forms (header search, instant filter) submit by GET to our own pages; record
            # Markdown can never produce one (nh3 drops it). A form posting elsewhere is a phishing form.
            action = a.get("action", "")
            if _OTHER_ORIGIN.match(action) or a.get("method", "get").lower() != "get":
                self._find(f"<form action={action!r} method={a.get('method', 'get')!r}> submits to another origin or by POST")
        if tag in ("button", "input") and "formaction" in a and _OTHER_ORIGIN.match(a["formaction"]):
            self._find(f"<{tag} formaction={a['formaction']!r}>")
        if tag == "meta":
            equiv = a.get("http-equiv", "").lower()
            if equiv == "refresh":
                self._find(f"<meta http-equiv=refresh content={a.get('content')!r}>")
            if equiv == "content-security-policy":
                if self.scripts:
                    self._find("the CSP meta tag comes after a script")
                self.csp = a.get("content", "")
        if tag == "link" and a.get("rel", "").lower() in ("import", "preload", "modulepreload", "prefetch"):
            self._find(f"<link rel={a.get('rel')}>")
        if tag == "img" and re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", a.get("src", ""), re.I):
            self._find(f"<img> from another origin: {a.get('src')!r}")
        if tag in ("animate", "set", "animatetransform", "animatemotion"):
            for name in ("to", "from", "values", "by"):
                if name in a and bad_url(a[name]):
                    self._find(f"<{tag}> {name}={a[name]!r} animates a script URL")
        if tag == "script":
            self.scripts += 1
            self._script(a)

    def _script(self, a: dict[str, str]) -> None:
        src = a.get("src")
        kind = a.get("type", "").lower()
        if src is not None:
            if re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|/)", src, re.I):
                self._find(f"<script src={src!r}> is not one of our files")
                return
            target = posixpath.normpath(posixpath.join(self.dir, src))
            if not target.startswith(OWN_SCRIPT_DIRS):
                self._find(f"<script src={src!r}> points outside assets/ and pagefind/ ({target})")
            return
        if kind == "application/ld+json":
            self._jsonld = []
            return
        self._find(f"inline <script type={kind or 'text/javascript'!r}>")

    def handle_data(self, data: str) -> None:
        if self._jsonld is not None:
            self._jsonld.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._jsonld is not None:
            text = "".join(self._jsonld)
            self._jsonld = None
            if "</script" in text.lower() or "<!--" in text:
                self._find("JSON-LD contains '</script' or '<!--'")
            try:
                json.loads(text)
            except ValueError as e:
                self._find(f"JSON-LD is not valid JSON: {e}")


def scan_html(text: str, page: str) -> tuple[list[str], str | None]:
    """Findings for one page and its CSP (None when the page has no CSP meta tag)."""
    s = _Scanner(page)
    s.feed(text)
    s.close()
    return s.findings, s.csp


def scan_site(site: Path) -> tuple[list[str], int]:
    """Every finding across every HTML page of a built site, and how many pages were scanned."""
    findings: list[str] = []
    pages = 0
    for f in sorted(site.rglob("*.html")):
        rel = f.relative_to(site).as_posix()
        if rel.startswith("pagefind/"):
            continue  # Pagefind's own bundle, not rendered from record data
        pages += 1
        found, csp = scan_html(f.read_text(encoding="utf-8"), rel)
        findings += found
        if csp is None:
            findings.append(f"{rel}: no Content-Security-Policy meta tag")
        else:
            findings += [f"{rel}: {p}" for p in csp_problems(csp)]
    return findings, pages
