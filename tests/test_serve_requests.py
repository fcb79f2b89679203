"""`srchgen serve` answers every request (issue 15): 414 for an over-long path, 404 for a
malformed one, never a traceback and never a dropped connection.

The handler runs in-process on a free port over a tiny site; requests are sent as raw bytes,
so paths no HTTP client would build reach it as written.
"""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path
from typing import Iterator

import pytest

from srchgen.cli.serve import State, make_handler


@pytest.fixture
def server(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> Iterator[tuple[str, int]]:
    site = tmp_path / "site"
    (site / "records" / "A").mkdir(parents=True)
    (site / "index.html").write_text("<html><body>home</body></html>\n")
    (site / "404.html").write_text("<html><body>not here</body></html>\n")
    (site / "records" / "A" / "index.html").write_text("<html><body>A</body></html>\n")
    (site / "feed.json").write_text("{}\n")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(State(site=site)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address  # type: ignore[misc]
    httpd.shutdown()
    httpd.server_close()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception" not in err, err


def request(address: tuple[str, int], target: bytes, method: bytes = b"GET") -> int:
    """Send one raw request; the status code of the answer (0: the connection closed without one)."""
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[1].isdigit() else 0


@pytest.mark.parametrize("target, status", [
    (b"/", 200),
    (b"/records/A/", 200),
    (b"/feed.json", 200),
    (b"/records/A", 301),
    (b"/nothing/", 404),
    (b"/" + b"a" * 300, 414),  # a name longer than the file system allows (was: OSError, no answer)
    (b"/" + b"a" * 300 + b".html", 414),
    (b"/records/" + b"b" * 256 + b"/index.html", 414),
    (b"/" + b"/".join([b"x" * 200] * 15), 414),  # a path longer than MAX_URL
    (b"/%ff%fe", 404),  # not UTF-8
    (b"/a%00b", 404),  # a NUL
    (b"/%00", 404),
    (b"/../../../../etc/passwd", 404),
    (b"/..%2f..%2f..%2fetc%2fpasswd", 404),
    (b"/records/A/index.html/extra", 404),  # a file used as a folder (ENOTDIR)
    (b"/%2e%2e/", 200),  # .. cannot climb out: the site root
], ids=lambda v: v.decode("latin-1")[:40] if isinstance(v, bytes) else str(v))
def test_every_request_gets_an_answer(server: tuple[str, int], target: bytes, status: int) -> None:
    assert request(server, target) == status


@pytest.mark.parametrize("method", [b"GET", b"HEAD"])
def test_head_too(server: tuple[str, int], method: bytes) -> None:
    assert request(server, b"/" + b"a" * 300, method) == 414
    assert request(server, b"/a%00b", method) == 404
