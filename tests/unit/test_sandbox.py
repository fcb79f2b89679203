"""Sealed-sandbox reproduction for Gate 2 (SPEC §3, issue 7 item 3)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from srchgen.gate import sandbox
from srchgen.gate.sandbox import check_lean, run_repro

_REASON = sandbox.sandbox_unavailable()
needs_sandbox = pytest.mark.skipif(
    _REASON is not None, reason=f"no sandbox on this machine: {_REASON}"
)


def _record(tmp_path: Path, script: str, results: str, name: str = "repro.py") -> tuple[Path, Path, Path]:
    folder = tmp_path / "records" / "08EA5386"
    folder.mkdir(parents=True)
    (folder / name).write_text(textwrap.dedent(script))
    (folder / "results.txt").write_text(results)
    return folder, folder / name, folder / "results.txt"


def _run(tmp_path: Path, script: str, results: str = "ok\n", **kw) -> sandbox.ReproOutcome:
    return run_repro(*_record(tmp_path, script, results), **kw)


@needs_sandbox
def test_passing_script_matches(tmp_path: Path) -> None:
    got = _run(tmp_path, "print(sum(range(10)))\nprint('done')\n", "45\r\ndone")
    assert got.status == "matched", got.detail
    assert got.ok and got.exit_code == 0
    # stdout_sha256 is of the raw output, for the evaluation record.
    assert got.stdout_sha256 == hashlib.sha256(b"45\ndone\n").hexdigest()


@needs_sandbox
def test_failing_script_is_a_mismatch_naming_the_line(tmp_path: Path) -> None:
    got = _run(tmp_path, "print('a')\nprint(0.1 + 0.2)\n", "a\n0.3\n")
    assert got.status == "mismatched"
    assert not got.ok
    assert "line 2: expected '0.3', got '0.30000000000000004'" in got.detail


@pytest.mark.parametrize(
    ("output", "results", "status"),
    [
        ("x\n", "x", "matched"),  # final newline is not meaning
        ("x\n\n\n", "x\n", "matched"),
        ("x\n", "x\n\ny\n", "mismatched"),  # a missing line is not
        (" x\n", "x\n", "mismatched"),  # leading space is
        ("x \n", "x\n", "mismatched"),  # so is trailing space inside
    ],
)
@needs_sandbox
def test_comparison_boundaries(tmp_path: Path, output: str, results: str, status: str) -> None:
    got = _run(tmp_path, f"import sys\nsys.stdout.write({output!r})\n", results)
    assert got.status == status, got.detail


@needs_sandbox
def test_nonzero_exit_is_an_error_even_if_output_matches(tmp_path: Path) -> None:
    got = _run(tmp_path, "import sys\nprint('ok')\nsys.exit('boom')\n")
    assert got.status == "error"
    assert "exited with status 1" in got.detail and "boom" in got.detail


@needs_sandbox
def test_network_is_unreachable(tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    port = server.getsockname()[1]
    script = f"""
        import socket
        socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
        print("ok")
    """
    folder, path, results = _record(tmp_path, script, "ok\n")
    # Control: outside the sandbox the same script reaches the server.
    direct = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=30)
    assert direct.stdout == "ok\n"
    server.accept()[0].close()

    got = run_repro(folder, path, results)
    assert got.status == "error"
    assert "Connection refused" in got.detail or "unreachable" in got.detail
    with pytest.raises(BlockingIOError):
        server.accept()  # nothing arrived from inside the sandbox
    server.close()


@needs_sandbox
def test_dns_lookup_fails(tmp_path: Path) -> None:
    got = _run(tmp_path, "import socket\nsocket.getaddrinfo('pypi.org', 443)\nprint('ok')\n")
    assert got.status == "error"
    assert "gaierror" in got.detail


@needs_sandbox
def test_script_running_forever_is_stopped_with_its_children(tmp_path: Path) -> None:
    marker = f"srchgen-sandbox-test-{os.getpid()}"
    script = f"""
        #!/bin/sh
        sh -c 'exec -a {marker} sleep 600' &
        while :; do :; done
    """
    folder, path, results = _record(tmp_path, script, "ok\n", name="repro.sh")
    path.write_text(textwrap.dedent(script).lstrip())
    got = run_repro(folder, path, results, timeout_s=2)
    assert got.status == "timeout"
    assert "stopped after 2 s" in got.detail
    leftovers = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert leftovers.stdout == ""


@needs_sandbox
def test_memory_limit(tmp_path: Path) -> None:
    got = _run(tmp_path, "x = bytearray(512 * 1024 * 1024)\nprint('ok')\n", memory_mb=256)
    assert got.status == "error"
    assert "MemoryError" in got.detail


@needs_sandbox
@pytest.mark.skipif(
    not (_REASON is None and sandbox.sandbox_drops_privileges()),
    reason="bwrap cannot start as an unprivileged user here, so no process-count limit applies",
)
def test_process_count_is_limited(tmp_path: Path) -> None:
    script = f"""
        import subprocess
        procs = []
        try:
            for _ in range({sandbox.MAX_PROCESSES + 50}):
                procs.append(subprocess.Popen(["sleep", "30"]))
            print("spawned all")
        except OSError:
            print("limited at", len(procs))
    """
    got = _run(tmp_path, script, "spawned all\n")
    assert got.status == "mismatched"
    assert "got 'limited at" in got.detail


@needs_sandbox
def test_script_runs_as_nobody_without_capabilities(tmp_path: Path) -> None:
    script = """
        import os
        caps = [l for l in open("/proc/self/status") if l.startswith("CapEff")][0].split()[1]
        print(os.getuid(), os.getgid(), caps)
    """
    got = _run(tmp_path, script, "65534 65534 0000000000000000\n")
    assert got.status == "matched", got.detail


@needs_sandbox
def test_record_copy_is_read_only_and_work_dir_is_writable(tmp_path: Path) -> None:
    script = """
        import os
        (open("scratch.txt", "w")).write("fine")  # cwd is the writable work dir
        try:
            open("/record/new.txt", "w")
        except OSError as e:
            print("record:", e.strerror)
        print(sorted(os.listdir("/record")), os.getcwd())
    """
    folder, path, results = _record(tmp_path, script, "")
    (folder / "data.csv").write_text("1,2\n")
    results.write_text("record: Read-only file system\n['data.csv', 'repro.py'] /work\n")
    got = run_repro(folder, path, results)
    assert got.status == "matched", got.detail  # results.txt itself is not in the copy
    assert not (folder / "new.txt").exists()


@needs_sandbox
def test_host_files_are_not_visible(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    script = f"""
        import os
        print(os.path.exists({str(secret)!r}), os.path.exists("/root"), os.path.exists("/etc/ssh"))
    """
    got = _run(tmp_path, script, "False False False\n")
    assert got.status == "matched", got.detail


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [("repro", "print(1)\n", "cannot tell how to run"), ("repro.sh", "#!\n", "cannot tell how to run")],
)
def test_script_without_interpreter(tmp_path: Path, name: str, content: str, needle: str) -> None:
    folder, path, results = _record(tmp_path, content, "1\n", name=name)
    got = run_repro(folder, path, results)
    assert got.status == "error" and needle in got.detail


def test_script_outside_the_record_folder(tmp_path: Path) -> None:
    folder, path, results = _record(tmp_path, "print(1)\n", "1\n")
    outside = tmp_path / "evil.py"
    outside.write_text("print(1)\n")
    (folder / "link.py").symlink_to(outside)
    for script in (outside, folder / "link.py", folder / ".." / "evil.py"):
        got = run_repro(folder, script, results)
        assert got.status == "error" and "not a regular file inside" in got.detail


def test_without_bubblewrap_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    sandbox._sandbox_mode.cache_clear()
    try:
        got = _run(tmp_path, "print('ok')\n")
    finally:
        sandbox._sandbox_mode.cache_clear()
    assert got.status == "unavailable"
    assert got.detail.startswith("bubblewrap (bwrap) is not installed")


# --------------------------------------------------------------------------- lean


def test_lean_not_installed_is_reported_plainly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    proof = tmp_path / "Proof.lean"
    proof.write_text("theorem t : 1 + 1 = 2 := rfl\n")
    got = check_lean(proof)
    assert got.status == "unavailable"
    assert got.detail.startswith("lean is not installed")


FAKE_LEAN = """#!/bin/sh
# Stand-in for lean: enough of its CLI for check_lean's plumbing.
if [ "$1" = "--print-prefix" ]; then cd "$(dirname "$0")/.." && pwd; exit 0; fi
if grep -q sorry "$1"; then echo "$1:1:8: warning: declaration uses 'sorry'"; exit 0; fi
if grep -q bad "$1"; then echo "$1:1:0: error: type mismatch"; exit 1; fi
if grep -q loop "$1"; then while :; do :; done; fi
if [ -w "$1" ]; then echo "$1:1:0: error: proof is writable"; exit 1; fi
exit 0
"""


@pytest.mark.parametrize(
    ("proof", "status", "needle"),
    [
        ("theorem t : 1 + 1 = 2 := rfl\n", "matched", "type-checked"),
        ("theorem t : 1 = 2 := sorry\n", "mismatched", "sorry"),
        ("theorem t : 1 = 2 := bad\n", "mismatched", "type mismatch"),
        ("-- loop\n", "timeout", "stopped after 2 s"),
    ],
)
@needs_sandbox
def test_lean_results_are_classified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proof: str, status: str, needle: str
) -> None:
    bindir = tmp_path / "toolchain" / "bin"
    bindir.mkdir(parents=True)
    (bindir / "lean").write_text(FAKE_LEAN)
    (bindir / "lean").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    folder = tmp_path / "records" / "08EA5386"
    folder.mkdir(parents=True)
    (folder / "Proof.lean").write_text(proof)
    got = check_lean(folder / "Proof.lean", timeout_s=2)
    assert got.status == status, got.detail
    assert needle in got.detail


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("matched", "passed"), ("mismatched", "failed"), ("error", "failed"), ("timeout", "failed"), ("unavailable", None)],
)
def test_gate_outcome_of_each_status(status: str, outcome: str | None) -> None:
    assert sandbox.ReproOutcome(status, "d").gate_outcome == outcome  # type: ignore[arg-type]
