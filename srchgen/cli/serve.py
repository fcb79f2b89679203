"""`srchgen serve`: build, serve on 127.0.0.1, rebuild on change, reload open pages (SPEC §5).

The site is built into a private temporary folder (site/ is never touched), with
base_url set to the local address so 404.html and canonical links point here. A
stdlib HTTP server runs in a thread; the main thread watches records/, templates/,
assets/ and pyproject.toml with watchfiles and rebuilds on change. Pages served
here get one extra script tag (never written into the built site) that polls
/__srchgen/version and reloads when a build finishes. While the last build failed,
every page is an error page listing the problems as path:line:col, also printed in
the terminal. Ctrl-C stops the watcher and the server and exits 0.
"""

from __future__ import annotations

import html
import http.server
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from srchgen.build.pipeline import Project, build
from srchgen.config import load_config
from srchgen.errors import ConfigError

HOST = "127.0.0.1"
PREFIX = "/__srchgen/"
MAX_URL = 2048  # longer request paths get 414, as do names longer than the file system allows
NAME_MAX = 255
RELOAD_JS = b"""// srchgen serve: reload when a new build is ready (injected by the server only).
(function () {
  var me = document.currentScript;
  var seen = me ? me.dataset.version : null;
  function poll() {
    fetch("/__srchgen/version", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (seen === null) seen = String(d.version);
        else if (String(d.version) !== seen) { window.location.reload(); return; }
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 1500); });
  }
  window.setTimeout(poll, 500);
})();
"""


@dataclass
class State:
    """What the request handler reads and the rebuild loop writes, under one lock."""

    site: Path
    version: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[int, list[str]]:
        with self.lock:
            return self.version, list(self.problems)


def template_problem(exc: BaseException) -> str:
    """A template or other build exception as path:line:col: message where the exception says where."""
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name or 'template'}:{exc.lineno}:1: {exc.message}"
    if isinstance(exc, jinja2.TemplateError):
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".atom")):
                return f"{frame.filename}:{frame.lineno}:1: {type(exc).__name__}: {exc}"
    return f"srchgen: build failed with {type(exc).__name__}: {exc} (a bug in srchgen or a template)"


def rebuild(project: Project, base_url: str, search: bool) -> tuple[list[str], list[str], int]:
    """One build: (errors, warnings, file count); never raises for a user's mistake."""
    try:
        config = load_config(project.root, base_url=base_url)
    except ConfigError as e:
        return [str(p) for p in e.problems], [], 0
    current = Project(project.root, project.records, project.out, config, project.records_display)
    try:
        report = build(current, search=search)
    except OSError as exc:  # a full disk, an unwritable temporary folder: one line, as `srchgen build` says it
        from srchgen.cli.base import environment_fault

        return [f"srchgen: {environment_fault(exc, current.out)}"], [], 0
    except Exception as exc:  # noqa: BLE001 - shown in the page and the terminal, the server keeps running
        return [template_problem(exc)], [], 0
    return [str(p) for p in report.errors], [str(p) for p in report.warnings], report.files


def error_page(problems: list[str], version: int) -> bytes:
    items = "\n".join(f"<li><code>{html.escape(p)}</code></li>" for p in problems)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Build failed · srchgen serve</title>"
        '<link rel="stylesheet" href="/assets/style.css"></head><body><main id="main">'
        f"<h1>The last build failed</h1><p>{len(problems)} problem{'s' if len(problems) != 1 else ''}; "
        f"fix {'it' if len(problems) == 1 else 'them'} and this page reloads by itself.</p>"
        f'<ol class="build-problems">\n{items}\n</ol></main>'
        f'<script src="{PREFIX}reload.js" data-version="{version}"></script></body></html>\n'
    ).encode("utf-8")


def make_handler(state: State) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        """Static files from the current build; HTML gets the reload script; errors replace pages."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(state.site), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
            pass  # quiet: the terminal is for build results

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def send_response(self, code: int, message: str | None = None) -> None:
            self.started = True
            super().send_response(code, message)

        def do_GET(self) -> None:
            """Every request gets an answer (issue 15): 414 for an over-long path, 404 for a
            malformed one or one the file system refuses, never a traceback."""
            self.started = False
            try:
                self._get()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client left
            except (OSError, ValueError):
                if self.started:
                    self.close_connection = True  # mid-answer: all that can be done is to stop
                else:
                    self._not_found(state.snapshot()[0])

        def _not_found(self, version: int) -> None:
            missing = state.site / "404.html"
            if missing.is_file():
                return self._send(404, self._inject(missing.read_bytes(), version), "text/html; charset=utf-8")
            return self._send(404, b"Not found\n", "text/plain; charset=utf-8")

        def _get(self) -> None:
            version, problems = state.snapshot()
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            decoded = urllib.parse.unquote(path, errors="strict")  # %ff: UnicodeDecodeError, a ValueError: 404
            if len(path) > MAX_URL or any(len(part.encode("utf-8", "surrogateescape")) > NAME_MAX for part in decoded.split("/")):
                return self._send(414, b"URI too long\n", "text/plain; charset=utf-8")
            if "\x00" in decoded or not path.startswith("/"):
                return self._not_found(version)
            if path == PREFIX + "version":
                return self._send(200, json.dumps({"version": version, "ok": not problems}).encode(), "application/json")
            if path == PREFIX + "reload.js":
                return self._send(200, RELOAD_JS, "text/javascript; charset=utf-8")
            local = Path(self.translate_path(path))
            wants_page = path.endswith("/") or path.endswith(".html") or "." not in path.rsplit("/", 1)[-1]
            if problems and wants_page:
                return self._send(500, error_page(problems, version), "text/html; charset=utf-8")
            if local.is_dir():
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.end_headers()
                    return None
                local = local / "index.html"
            if local.suffix == ".html" and local.is_file():
                return self._send(200, self._inject(local.read_bytes(), version), "text/html; charset=utf-8")
            if not local.exists():
                return self._not_found(version)
            return super().do_GET()

        @staticmethod
        def _inject(page: bytes, version: int) -> bytes:
            tag = f'<script src="{PREFIX}reload.js" data-version="{version}" defer></script>\n'.encode()
            i = page.rfind(b"</body>")
            return page[:i] + tag + page[i:] if i >= 0 else page + tag

    return Handler


def watched(project: Project) -> list[Path]:
    """records/, the registry's own templates/ and assets/, and pyproject.toml, when present."""
    candidates = [project.records, project.root / "templates", project.root / "assets", project.root / "pyproject.toml"]
    return [p for p in candidates if p.exists()]


def _fingerprint(paths: list[Path]) -> list[tuple[str, int, int]]:
    """Every watched file's path, size and mtime: what an edit changes."""
    out = []
    for root in paths:
        for p in sorted(root.rglob("*")) if root.is_dir() else [root]:
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((str(p), st.st_size, st.st_mtime_ns))
    return out


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(project: Project, port: int = 8000, search: bool = True, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run until Ctrl-C; returns the exit code (0 on a clean stop, 2 when the port is taken)."""
    import watchfiles

    # Ctrl-C (even when started where SIGINT was ignored, e.g. as a background job) and SIGTERM stop cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="srchgen-serve-"))
    state = State(site=tmp / "site")
    state.site.mkdir()
    try:
        server = http.server.ThreadingHTTPServer((HOST, port), make_handler(state))
    except OSError as e:
        print(f"srchgen serve: cannot listen on {HOST}:{port}: {e.strerror}", file=err)
        shutil.rmtree(tmp, ignore_errors=True)
        return 2
    server.daemon_threads = True
    url = f"http://{HOST}:{server.server_address[1]}/"
    local = Project(project.root, project.records, state.site, project.config, project.records_display)

    def run_build(reason: str) -> None:
        started = time.monotonic()
        errors, warnings, files = rebuild(local, url, search)
        for line in errors + warnings:
            print(line, file=err)
        with state.lock:
            state.problems = errors
            state.version += 1
        took = time.monotonic() - started
        if errors:
            print(f"{reason}: build failed ({len(errors)} error{'s' if len(errors) != 1 else ''}); serving the error page", file=err, flush=True)
        else:
            print(f"{reason}: built {files} files in {took:.2f} s", file=out, flush=True)

    thread = threading.Thread(target=server.serve_forever, name="srchgen-serve", daemon=True)
    try:
        before = _fingerprint(watched(project))
        run_build("initial build")
        thread.start()
        stop = threading.Event()
        # The watcher exists once the generator first runs: it yields an empty set after
        # `rust_timeout` ms without changes, and only then is "serving" said, so an edit made
        # after that line is always seen; one made during the initial build, by the fingerprint.
        ready = False
        for changes in watchfiles.watch(
            *watched(project), stop_event=stop, debounce=200, step=50, raise_interrupt=True, yield_on_timeout=True, rust_timeout=100
        ):
            if not ready:
                ready = True
                if not changes and _fingerprint(watched(project)) != before:
                    run_build("changed during the initial build")
                print(f"serving {url} (Ctrl-C to stop)", file=out, flush=True)
            if not changes:
                continue
            names = sorted({Path(p).name for _, p in changes if Path(p).exists()}) or ["(deleted files)"]
            run_build("changed " + ", ".join(names[:3]) + (" …" if len(names) > 3 else ""))
    except KeyboardInterrupt:
        print("stopped", file=out, flush=True)
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0

