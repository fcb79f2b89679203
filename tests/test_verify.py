"""Gate 2 checkable by a reader (issue 25): the page's recipe and `srchgen verify` against a served site.

One registry is built per module with signed evaluations (one by a key retired since with
`valid-before`, one by its successor) and a record without any, then served over HTTP from a
thread. Each test serves its own copy, tampered the way a hostile host could.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.gatekit import AT, HEX, RID, cli, fingerprint, keygen, make_registry, public_line, record_text

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed")

NEXT = "CD34AB12"  # signed by the successor key after the rotation
BARE = "EF56AB78"  # no evaluation: Pending
ROTATED = "20260703000000Z"  # the pipeline key's valid-before, the successor's valid-after


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


class Server:
    """An HTTP server in a thread whose folder each test sets (`root`)."""

    def __init__(self) -> None:
        self.root = Path(".")
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Quiet(*a, directory=str(self.root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def _add_record(root: Path, hex_id: str) -> None:
    (root / "records" / hex_id).mkdir()
    for name in ("repro.py", "results.txt"):
        shutil.copy(root / "records" / HEX / name, root / "records" / hex_id / name)
    text = record_text().replace(HEX, hex_id).replace("Does the sandboxed", f"Does the {hex_id} sandboxed")
    (root / "records" / f"{hex_id}.md").write_text(text)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, keys: Path, server: Server) -> Path:
    """The registry's site, built with base_url = the server's URL."""
    tmp = tmp_path_factory.mktemp("verify")
    keygen(keys / "successor", "successor")
    root = make_registry(tmp / "reg", keys)
    _add_record(root, NEXT)
    _add_record(root, BARE)
    (root / "gate" / "allowed_signers").write_text(
        "# Gate 2 pipeline: the first key, retired on 2026-07-03, and its successor\n"
        f'gate@srch.example valid-before="{ROTATED}" {public_line(keys / "pipeline")}\n'
        f'gate@srch.example valid-after="{ROTATED}" {public_line(keys / "successor")}\n'
    )
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for rid, key, at in ((RID, "pipeline", AT), (f"SRCH:{NEXT}", "successor", "2026-07-05T08:00:00Z")):
            r = cli("gate", "record", rid, "--outcome", "passed", "--key", str(keys / key), "--at", at)
            assert r.exit_code == 0, r.stderr
        r = cli("build", "--no-search", "--base-url", server.url)
        assert r.exit_code == 0, r.stderr
    finally:
        os.chdir(cwd)
    return root / "site"


@pytest.fixture
def site(built: Path, server: Server, tmp_path: Path) -> Path:
    """This test's own copy of the built site, served."""
    copy = tmp_path / "site"
    shutil.copytree(built, copy)
    server.root = copy
    return copy


def verify(*args: str) -> Any:
    return cli("verify", *args)


# --------------------------------------------------------------------------- tampering helpers


def payload_path(site: Path, hex_id: str = HEX) -> Path:
    return site / "records" / hex_id / "gate-payload.txt"


def edit_export(site: Path, hex_id: str, change: Any) -> None:
    path = site / "records.json.gz"
    data = json.loads(gzip.decompress(path.read_bytes()))
    for rec in data["records"]:
        if rec["manifest"]["id"] == f"SRCH:{hex_id}":
            change(rec)
    path.write_bytes(gzip.compress(json.dumps(data).encode()))


def claim_verified_on_page(site: Path, hex_id: str) -> None:
    page = site / "records" / hex_id / "index.html"
    text = page.read_text()
    assert 'data-pagefind-meta="gate">Pending</span>' in text
    page.write_text(text.replace('data-pagefind-meta="gate">Pending</span>', 'data-pagefind-meta="gate">Verified</span>'))


def resign(site: Path, key: Path, payload: bytes, hex_id: str = HEX) -> None:
    from srchgen.gate.sig import sign

    payload_path(site, hex_id).write_bytes(payload)
    (site / "records" / hex_id / "gate-payload.txt.sig").write_text(sign(payload, key))


def tamper(site: Path, keys: Path, case: str) -> None:
    if case == "tampered payload":
        p = payload_path(site)
        p.write_bytes(p.read_bytes().replace(b"2026-07-02T10:00:00Z", b"2026-07-02T11:00:00Z"))
    elif case == "swapped artifact":
        (site / "records" / HEX / "artifacts" / "results.txt").write_text("accuracy 0.99\nn 120\n")
    elif case == "swapped artifact, its declared hash too":
        import hashlib

        new = "accuracy 0.99\nn 120\n"
        (site / "records" / HEX / "artifacts" / "results.txt").write_text(new)

        def declare(rec: dict[str, Any]) -> None:
            rec["manifest"]["artifacts"][1]["sha256"] = hashlib.sha256(new.encode()).hexdigest()

        edit_export(site, HEX, declare)
    elif case == "key not in the signers file":
        resign(site, keys / "stranger", payload_path(site).read_bytes())
    elif case == "signed after the key's valid-before":
        # the retired key, still in the hands of someone, signs a later evaluation
        resign(site, keys / "pipeline", payload_path(site).read_bytes().replace(b"2026-07-02T10:00:00Z", b"2026-07-05T10:00:00Z"))
    elif case == "claims Verified with no evaluation":
        edit_export(site, BARE, lambda rec: rec["derived"].update(gate_status="Verified", verification_level="L3, Gate-verified"))
        claim_verified_on_page(site, BARE)
    else:  # pragma: no cover
        raise AssertionError(case)


CASES = {
    "tampered payload": f"{RID}: failed: signature records/{HEX}/gate-payload.txt.sig: signature does not verify",
    "swapped artifact": f"{RID}: failed: artifact records/{HEX}/artifacts/results.txt has SHA-256",
    "swapped artifact, its declared hash too": f"{RID}: failed: the site claims Verified, but artifact records/{HEX}/artifacts/results.txt is not among the hashes the signature covers",
    "key not in the signers file": f"{RID}: failed: signature records/{HEX}/gate-payload.txt.sig: unknown signer: key",
    "signed after the key's valid-before": f"{RID}: failed: signature records/{HEX}/gate-payload.txt.sig: signature rejected for gate@srch.example: key has expired",
    "claims Verified with no evaluation": f"SRCH:{BARE}: failed: the site claims Verified but publishes no evaluation behind it (no records/{BARE}/gate-payload.txt)",
}


# --------------------------------------------------------------------------- srchgen verify


def test_honest_site_verifies_over_http(site: Path, server: Server, keys: Path) -> None:
    r = verify(server.url)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    fp = fingerprint(keys / "pipeline")
    assert f"{RID}: verified: passed on 2026-07-02T10:00:00Z, signed by gate@srch.example ({fp}); 2 artifacts match" in lines
    # the key retired on 2026-07-03 still verifies what it signed before; its successor what came after
    assert f"SRCH:{NEXT}: verified: passed on 2026-07-05T08:00:00Z, signed by gate@srch.example ({fingerprint(keys / 'successor')}); 2 artifacts match" in lines
    assert lines[-1] == "2 verified, 0 failed, 0 unsigned; 1 record without a Gate 2 evaluation"
    assert lines[0].startswith("signers: the site's own gate/allowed_signers (")


def test_honest_folder_verifies_and_ids_narrow_it(site: Path) -> None:
    r = verify(str(site), HEX)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[-1] == "1 verified, 0 failed, 0 unsigned; 0 records without a Gate 2 evaluation"


@pytest.mark.parametrize("case", list(CASES))
def test_each_tampering_fails_naming_what(site: Path, server: Server, keys: Path, case: str) -> None:
    tamper(site, keys, case)
    r = verify(server.url)
    assert r.exit_code == 1
    assert any(line.startswith(CASES[case]) for line in r.stdout.splitlines()), r.stdout
    assert "1 failed" in r.stdout.splitlines()[-1]


def test_a_page_alone_claiming_verified_fails_when_named(site: Path, server: Server) -> None:
    claim_verified_on_page(site, BARE)  # the data export left honest
    r = verify(server.url, f"SRCH:{BARE}")
    assert r.exit_code == 1
    assert f"SRCH:{BARE}: failed: the site claims Verified but publishes no evaluation behind it" in r.stdout


def test_signers_from_elsewhere_catch_a_site_that_trusts_its_own_key(site: Path, server: Server, keys: Path, built: Path) -> None:
    # A hostile host signs with its own key and lists it in the signers file it publishes.
    with open(site / "gate" / "allowed_signers", "a") as f:
        f.write(f"gate@srch.example {public_line(keys / 'stranger')}\n")
    resign(site, keys / "stranger", payload_path(site).read_bytes())
    assert verify(server.url).exit_code == 0  # the site's own file vouches for it...
    r = verify(server.url, "--signers", str(built.parent / "gate" / "allowed_signers"))
    assert r.exit_code == 1  # ...the registry's does not
    assert f"{RID}: failed: signature records/{HEX}/gate-payload.txt.sig: unknown signer" in r.stdout


def test_unsigned_evaluations_have_nothing_to_check() -> None:
    golden = Path(__file__).parent / "golden" / "site"  # no gate_signers: three unsigned evaluations
    r = verify(str(golden))
    assert r.exit_code == 0, r.output
    assert "SRCH:A0000001: unsigned: the evaluation of 2026-06-21T09:00:00Z is unsigned (the site publishes no signature for it): nothing to check" in r.stdout
    assert r.stdout.splitlines()[-1] == "0 verified, 0 failed, 3 unsigned; 11 records without a Gate 2 evaluation"


def test_unreachable_site_is_one_line(server: Server) -> None:
    r = verify("http://127.0.0.1:9/")
    assert r.exit_code == 1
    assert r.stderr.startswith("srchgen verify: cannot reach http://127.0.0.1:9/records.json.gz: ")
    assert len(r.stderr.splitlines()) == 1


def test_not_a_srchgen_site(tmp_path: Path) -> None:
    r = verify(str(tmp_path))
    assert (r.exit_code, r.stderr.strip()) == (1, f"srchgen verify: {tmp_path}: no records.json.gz (the data export srchgen publishes); is this a srchgen site?")


# --------------------------------------------------------------------------- the page's recipe


def recipe(site: Path, hex_id: str = HEX) -> str:
    page = (site / "records" / hex_id / "index.html").read_text()
    m = re.search(r'<div class="recheck" id="check-it-yourself">.*?<pre><code>(.*?)</code></pre>', page, re.S)
    assert m, "no recipe on the page"
    return html.unescape(m.group(1)) + "\n"


def run_recipe(site: Path, tmp_path: Path, hex_id: str = HEX) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "recipe.sh"
    script.write_text(recipe(site, hex_id))
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
    return subprocess.run(["sh", "-e", str(script)], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("hex_id", [HEX, NEXT])
def test_pasted_recipe_passes_for_an_honest_record(site: Path, tmp_path: Path, hex_id: str) -> None:
    p = run_recipe(site, tmp_path, hex_id)
    assert p.returncode == 0, p.stdout + p.stderr
    assert 'Good "srchgen-gate" signature for gate@srch.example' in p.stdout
    assert p.stdout.strip().endswith("Artifacts match the signed SHA-256 hashes")


@pytest.mark.parametrize("case", ["tampered payload", "swapped artifact", "key not in the signers file", "signed after the key's valid-before"])
def test_pasted_recipe_fails_for_a_tampered_record(site: Path, keys: Path, tmp_path: Path, case: str) -> None:
    tamper(site, keys, case)
    p = run_recipe(site, tmp_path)
    assert p.returncode != 0, p.stdout + p.stderr
    assert "Artifacts match" not in p.stdout


def test_recipe_uses_base_url_and_the_builds_names(site: Path, server: Server, built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from srchgen.gate import published, sig
    from srchgen.render import recheck, routes

    text = recipe(site)
    assert f"site={server.url}\n" in text
    assert '-O "verify-time=$(sed -n 4p gate-payload.txt | tr -d T:-)"' in text  # the signed time, not the page's
    # render and gate may not import each other: the names they share are checked here
    assert (recheck.NAMESPACE, routes.GATE_PAYLOAD, routes.GATE_SIGNATURE, routes.GATE_SIGNERS) == (
        sig.NAMESPACE, published.GATE_PAYLOAD, published.GATE_SIGNATURE, published.GATE_SIGNERS)
    # what is published is byte for byte what `srchgen gate payload` prints and the registry's signers file
    monkeypatch.chdir(built.parent)
    assert payload_path(site).read_bytes() == cli("gate", "payload", RID).stdout.encode()
    assert (site / "gate" / "allowed_signers").read_bytes() == Path("gate/allowed_signers").read_bytes()
