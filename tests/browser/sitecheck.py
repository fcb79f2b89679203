"""Real-tool site checks (issue 6): prefix server, link crawler, Nu Html Checker, axe-core.

Plain functions with no pytest state, so the self-tests can aim them at broken
fixtures and prove that each check can fail.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SRCHGEN_CHROMIUM", "/usr/bin/chromium"))
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("SRCHGEN_SCREENSHOTS", REPO / "tests" / "browser" / "screenshots"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HAND_MADE_SITE = FIXTURES / "site"  # stands in for `built_site` where it is not defined
BROKEN_SITE = FIXTURES / "broken"  # planted defects: proves each checker can fail
PREFIX = "/repo/"  # GitHub Pages project site: https://org.github.io/repo/ (SPEC §4)

# Playwright's own browser download fails here: always Debian's chromium with these.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = "run scripts/ensure-test-tools.sh (make test does)"


def require_tool(available: bool, reason: str) -> None:
    """Fail plainly under CI (a missing tool must not pass silently), skip elsewhere."""
    if available:
        return
    message = f"{reason}; {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# --- page types (SPEC §4) ---------------------------------------------------

# Each page type and the glob patterns (relative to the site root) that find it;
# the first pattern that matches anything wins. Edit here if the layout moves.
PAGE_TYPES: dict[str, tuple[str, ...]] = {
    "index": ("index.html",),
    "paginated": ("page/2/index.html", "*/*/page/2/index.html", "*/page/2/index.html", "**/page/*/index.html"),
    "record": ("records/*/index.html",),
    "section": ("section/*/index.html", "sections/*/index.html"),
    "tier": ("tier/*/index.html", "tiers/*/index.html"),
    "gate": ("gate/*/index.html", "gates/*/index.html"),
    "level": ("level/*/index.html", "levels/*/index.html"),
    "topic": ("topic/*/index.html", "topics/*/index.html"),
    "topics": ("topics/index.html",),
    "search": ("search/index.html",),
    "guide": ("guide/index.html",),
    "about": ("about/index.html",),
    "graph": ("graph/index.html",),
    "stats": ("stats/index.html",),
    "404": ("404.html",),
}


def find_page(root: Path, kind: str) -> str:
    """Relative path of one page of `kind` (records: the largest page, for coverage)."""
    patterns = PAGE_TYPES[kind]
    for pattern in patterns:
        found = sorted(p for p in root.glob(pattern) if p.is_file())
        if found:
            if kind == "record":
                found.sort(key=lambda p: (-p.stat().st_size, str(p)))
            return found[0].relative_to(root).as_posix()
    raise LookupError(f"no {kind} page in {root} (looked for {', '.join(patterns)})")


def page_url(base: str, rel: str) -> str:
    """URL of a page as a reader meets it: directories without their index.html."""
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return base + rel


# --- HTTP server under a path prefix -----------------------------------------

class _PrefixHandler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` at `prefix`; misses get the site's 404.html as GitHub Pages does."""

    prefix = PREFIX
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".json": "application/json",
        ".atom": "application/atom+xml",
        ".xml": "application/xml",
        ".svg": "image/svg+xml",
        ".webmanifest": "application/manifest+json",
    }

    def translate_path(self, path: str) -> str:
        """Map /repo/x to <directory>/x; anything outside the prefix maps nowhere."""
        clean = urllib.parse.urlsplit(path).path
        if clean + "/" == self.prefix:
            clean = self.prefix  # /repo -> /repo/ (the redirect below adds the slash)
        if not clean.startswith(self.prefix):
            return os.path.join(self.directory, ".outside-prefix/missing")
        return super().translate_path("/" + clean[len(self.prefix):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """On 404 under the prefix send <root>/404.html with status 404, like GitHub Pages."""
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file() or not self.path.startswith(self.prefix):
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        """GitHub Pages never lists a folder: no index.html is a 404."""
        self.send_error(404)
        return None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Keep test output clean."""


@dataclass
class Served:
    """A directory being served; `base` is the prefix URL, e.g. http://127.0.0.1:PORT/repo/."""

    root: Path
    base: str
    origin: str

    def url(self, rel: str = "") -> str:
        """Absolute URL of a path relative to the site root."""
        return self.base + rel.lstrip("/")


@contextlib.contextmanager
def serve_directory(root: Path, prefix: str = PREFIX) -> Iterator[Served]:
    """Serve `root` on 127.0.0.1 (free port, own thread) under `prefix`; stopped on exit."""
    handler = functools.partial(
        type("Handler", (_PrefixHandler,), {"prefix": prefix}), directory=str(root)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield Served(root=root, base=origin + prefix, origin=origin)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- link crawler ------------------------------------------------------------

# Attributes that load a resource into the page (must be same-origin, SPEC §4).
_RESOURCE_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
    "video": ("src", "poster"), "audio": ("src",), "track": ("src",), "iframe": ("src",),
    "embed": ("src",), "object": ("data",), "input": ("src",), "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"), "feimage": ("href", "xlink:href"),
}
_RESOURCE_RELS = {
    "stylesheet", "icon", "shortcut", "apple-touch-icon", "mask-icon", "manifest",
    "preload", "modulepreload", "prefetch", "prerender",
}
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def css_urls(text: str) -> list[str]:
    """Every url(...) and @import target in a stylesheet."""
    text = _CSS_COMMENT.sub("", text)
    return [next(g for g in m.groups() if g is not None) for m in _CSS_URL.finditer(text)]


@dataclass
class _Ref:
    url: str
    where: str  # e.g. "a[href]"
    resource: bool


class _LinkParser(HTMLParser):
    """Collects every reference, every fragment target and the <base href> of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[_Ref] = []
        self.ids: set[str] = set()
        self.base: str | None = None
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        if tag == "base" and "href" in a and self.base is None:
            self.base = a["href"]
        if tag in ("a", "area") and "href" in a:
            # A visible permalink (rel=bookmark) may be absolute; other anchors may not.
            bookmark = "bookmark" in a.get("rel", "").lower().split()
            self.refs.append(_Ref(a["href"], f"{tag}[rel=bookmark]" if bookmark else f"{tag}[href]", False))
        elif tag == "link" and "href" in a:
            rels = set(a.get("rel", "").lower().split())
            self.refs.append(_Ref(a["href"], f"link[rel={a.get('rel', '')}]", bool(rels & _RESOURCE_RELS)))
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\"]+)", a.get("content", ""), re.I)
            if m:
                self.refs.append(_Ref(m.group(1).strip(), "meta[refresh]", False))
        for attr in _RESOURCE_ATTRS.get(tag, ()):
            if attr not in a:
                continue
            values = [c.strip().split()[0] for c in a[attr].split(",") if c.strip()] if attr == "srcset" else [a[attr]]
            self.refs.extend(_Ref(v, f"{tag}[{attr}]", True) for v in values)
        if "style" in a:
            self.refs.extend(_Ref(u, f"{tag}[style]", True) for u in css_urls(a["style"]))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs.extend(_Ref(u, "style", True) for u in css_urls(data))


@dataclass
class Problem:
    """One defect found by the crawler: where it was seen, what it points at, why."""

    source: str
    where: str
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.where} -> {self.target}: {self.reason}"


@dataclass
class CrawlResult:
    """What the crawl saw: status per fetched URL and the defects."""

    status: dict[str, int] = field(default_factory=dict)
    broken: list[Problem] = field(default_factory=list)
    foreign: list[Problem] = field(default_factory=list)
    html: set[str] = field(default_factory=set)


def _fetch(url: str) -> tuple[int, str, bytes, str]:
    """GET url (following redirects): status, content type, body, final URL."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - loopback only
            return resp.status, resp.headers.get_content_type(), resp.read(), resp.geturl()
    except urllib.error.HTTPError as err:
        body = err.read()
        return err.code, err.headers.get_content_type() if err.headers else "", body, url


def crawl(served: Served, extra_starts: tuple[str, ...] = (), own_base_url: str | None = None) -> CrawlResult:
    """Follow every same-origin href/src/url() from the prefix root; report 4xx, foreign resources.

    `extra_starts` are pages fetched as starting points whose own status is not
    judged (e.g. a deep missing URL, to prove 404.html works at any depth). With
    `own_base_url`, absolute links to the site's own public URL are reported too:
    internal links must be relative (SPEC §4); canonical/og/alternate may be absolute.
    """
    result = CrawlResult()
    origin = urllib.parse.urlsplit(served.origin)
    queue: deque[tuple[str, str, str, str]] = deque([(served.base, "(start)", "start", served.base)])
    queue.extend((served.url(s), "(start)", "start-404-ok", s) for s in extra_starts)
    seen: set[str] = set()
    ids: dict[str, set[str]] = {}
    fragments: list[tuple[str, str, str, str]] = []

    while queue:
        url, source, where, raw_target = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        status, ctype, body, final = _fetch(url)
        result.status[url] = status
        if status >= 400 and where != "start-404-ok":
            result.broken.append(Problem(source, where, raw_target, f"HTTP {status} for {url}"))
            continue
        if ctype == "text/html":
            result.html.add(final)
            parser = _LinkParser()
            parser.feed(body.decode("utf-8", "replace"))
            ids[url] = ids[final] = parser.ids
            page_base = urllib.parse.urljoin(final, parser.base) if parser.base else final
            refs = parser.refs
        elif ctype == "text/css":
            page_base, refs = final, [_Ref(u, "css url()", True) for u in css_urls(body.decode("utf-8", "replace"))]
        else:
            continue
        for ref in refs:
            raw = ref.url.strip()
            if raw in ("", "#"):
                continue
            if own_base_url and raw.startswith(own_base_url) and (ref.where in ("a[href]", "area[href]") or ref.resource):
                result.broken.append(Problem(final, ref.where, raw, f"absolute link to the site's own URL {own_base_url}; internal links must be relative"))
            target = urllib.parse.urljoin(page_base, raw)
            parts = urllib.parse.urlsplit(target)
            if parts.scheme in ("data", "mailto", "tel", "javascript", "about", "blob"):
                continue
            if parts.scheme not in ("http", "https"):
                result.broken.append(Problem(final, ref.where, raw, f"unexpected scheme {parts.scheme!r}"))
                continue
            if parts.netloc != origin.netloc:
                if ref.resource:
                    result.foreign.append(Problem(final, ref.where, target, "resource from another origin"))
                continue
            if not parts.path.startswith(served.base[len(served.origin):]):
                result.broken.append(Problem(final, ref.where, raw, f"outside the site prefix {PREFIX} (root-relative link?)"))
                continue
            # dir/ and dir/index.html are one page: fetch and report it once.
            path = parts.path[: -len("index.html")] if parts.path.endswith("/index.html") else parts.path
            bare = urllib.parse.urlunsplit(parts._replace(path=path, fragment=""))
            if parts.fragment and not ref.resource:
                fragments.append((final, ref.where, bare, raw))
            if bare not in seen:
                queue.append((bare, final, ref.where, raw))

    for source, where, target, raw in fragments:
        frag = urllib.parse.unquote(urllib.parse.urlsplit(raw).fragment)
        if target in ids and frag != "top" and frag not in ids[target]:
            result.broken.append(Problem(source, where, raw, f"no element with id {frag!r} in {target}"))
    return result


# --- Nu Html Checker -----------------------------------------------------------

@dataclass
class VnuMessage:
    """One Nu Html Checker error, located in a file relative to the checked root."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


def vnu_available() -> tuple[bool, str]:
    """Whether java and vnu.jar are present, and what is missing if not."""
    if shutil.which("java") is None:
        return False, "java not found (the Nu Html Checker needs it)"
    if not VNU_JAR.is_file():
        return False, f"Nu Html Checker missing: {VNU_JAR.relative_to(REPO)}"
    return True, ""


def vnu_files(root: Path) -> list[Path]:
    """Every HTML page, and the site's own stylesheets (Pagefind's bundle is not ours to fix)."""
    return sorted(
        p for p in root.rglob("*")
        if p.suffix in (".html", ".htm", ".css") and p.is_file()
        and not (p.suffix == ".css" and p.relative_to(root).parts[0] == "pagefind")
    )


def run_vnu(*roots: Path) -> dict[Path, tuple[list[VnuMessage], int]]:
    """Check each root's pages and CSS in one JVM run: per root, its errors and file count."""
    roots = tuple(r.resolve() for r in roots)
    files = {r: vnu_files(r) for r in roots}
    results: dict[Path, tuple[list[VnuMessage], int]] = {r: ([], len(files[r])) for r in roots}
    todo = [str(f) for r in roots for f in files[r]]
    if not todo:
        return results
    proc = subprocess.run(
        ["java", "-Xss2m", "-jar", str(VNU_JAR), "--errors-only", "--also-check-css", "--format", "json", *todo],
        capture_output=True, text=True, timeout=600, check=False,
    )
    try:
        report = json.loads(proc.stderr or proc.stdout)
    except json.JSONDecodeError as err:
        raise RuntimeError(f"vnu exited {proc.returncode} without JSON: {proc.stderr[-2000:]}") from err
    for m in report.get("messages", []):
        if m.get("type") not in ("error", "non-document-error"):
            continue
        raw = Path(urllib.parse.unquote(urllib.parse.urlsplit(m.get("url", "")).path)).resolve()
        # The deepest root holding the file owns the message (roots may nest).
        owners = sorted((r for r in roots if raw.is_relative_to(r)), key=lambda r: len(r.parts))
        owner = owners[-1] if owners else roots[0]
        rel = raw.relative_to(owner).as_posix() if owners else str(raw)
        line = m.get("lastLine", m.get("firstLine", 0))
        col = m.get("firstColumn", m.get("lastColumn", 0))
        results[owner][0].append(VnuMessage(rel, line, col, m.get("message", "")))
    return results


# --- axe-core --------------------------------------------------------------------

def run_axe(page: object) -> list[dict]:
    """Inject axe-core into a loaded Playwright page and return its violations."""
    page.add_script_tag(path=str(AXE_JS))  # type: ignore[attr-defined]
    return page.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )


def format_axe(violations: list[dict]) -> str:
    """Violations as readable text: rule, impact, help, then each offending node."""
    out = []
    for v in violations:
        out.append(f"{v['id']} ({v.get('impact')}): {v['help']}  <{v.get('helpUrl', '')}>")
        for node in v.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            summary = " ".join(node.get("failureSummary", "").split())
            out.append(f"    at {target}: {summary}\n       {node.get('html', '')[:300]}")
    return "\n".join(out)
