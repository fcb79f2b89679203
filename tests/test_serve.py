"""`srchgen serve` end to end: build, serve, rebuild on change, error page, clean Ctrl-C (SPEC §5).

Runs the real command as a subprocess on a free port with a scratch registry. Waits
poll the server's build counter with a generous deadline; nothing asserts a duration.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import manifest, record_text, write_record

DEADLINE = 60.0  # seconds; a slow CI machine, not a performance claim


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


class Server:
    def __init__(self, root: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "srchgen", "serve", "--port", "0", "--no-search"],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err.append), daemon=True).start()
        self.url = self._wait_for_url()

    @staticmethod
    def _pump(stream, sink) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            sink(line.rstrip("\n"))

    def _wait_for_url(self) -> str:
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            try:
                line = self.out.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "serve exited early: " + "\n".join(self.err)
                continue
            m = re.search(r"serving (http://127\.0\.0\.1:\d+/)", line)
            if m:
                return m.group(1)
        raise AssertionError("serve never said where it serves")

    def version(self) -> int:
        return int(json.loads(fetch(self.url + "__srchgen/version")[1])["version"])

    def wait_for_build_after(self, version: int) -> None:
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if self.version() > version:
                return
            time.sleep(0.1)
        raise AssertionError("no rebuild after the change: " + "\n".join(self.err))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "registry"
    write_record(root / "records", manifest(title="First title"))
    write_record(root / "records", manifest(id="SRCH:0000000B", title="Another record"))
    s = Server(root)
    s.root = root  # type: ignore[attr-defined]
    try:
        yield s
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def test_serve_rebuilds_reloads_shows_errors_and_stops_cleanly(server: Server) -> None:
    root: Path = server.root  # type: ignore[attr-defined]
    assert server.url.startswith("http://127.0.0.1:")

    status, page = fetch(server.url + "records/0000000A/")
    assert status == 200 and "First title" in page
    assert '<script src="/__srchgen/reload.js"' in page  # injected by the server...
    assert not (root / "site").exists()  # ...into a private build; the registry's site/ is never touched
    status, js = fetch(server.url + "__srchgen/reload.js")
    assert status == 200 and "__srchgen/version" in js
    assert fetch(server.url + "no/such/page/")[0] == 404

    # a change is rebuilt and served
    v = server.version()
    write_record(root / "records", manifest(title="Second title"))
    server.wait_for_build_after(v)
    status, page = fetch(server.url + "records/0000000A/")
    assert status == 200 and "Second title" in page and "First title" not in page

    # a broken record: every page becomes the error page, with path:line:col
    v = server.version()
    (root / "records" / "0000000A.md").write_text(record_text(manifest(title="Broken", section="reserch")), encoding="utf-8")
    server.wait_for_build_after(v)
    status, page = fetch(server.url + "records/0000000B/")
    assert status == 500
    assert re.search(r"records/0000000A\.md:\d+:\d+: section", page), page
    assert '<script src="/__srchgen/reload.js"' in page  # the error page reloads itself when fixed
    assert any(re.match(r"records/0000000A\.md:\d+:\d+: section", line) for line in server.err)

    # fixed again: pages come back
    v = server.version()
    write_record(root / "records", manifest(title="Fixed title"))
    server.wait_for_build_after(v)
    status, page = fetch(server.url + "records/0000000A/")
    assert status == 200 and "Fixed title" in page

    # Ctrl-C stops it cleanly
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=DEADLINE) == 0
    assert not any("Traceback" in line for line in server.err), "\n".join(server.err)


def test_template_error_is_shown_with_its_line(tmp_path: Path) -> None:
    root = tmp_path / "registry"
    write_record(root / "records", manifest())
    (root / "templates").mkdir()
    s = Server(root)
    try:
        v = s.version()
        (root / "templates" / "about.html").write_text('{% extends "base.html" %}\n{% block content %}\n{% if %}\n{% endblock %}\n', encoding="utf-8")
        s.wait_for_build_after(v)
        status, page = fetch(s.url)
        assert status == 500
        assert re.search(r"about\.html:3:1: ", page), page
        s.proc.send_signal(signal.SIGINT)
        assert s.proc.wait(timeout=DEADLINE) == 0
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
