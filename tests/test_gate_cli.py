"""`srchgen gate payload|record|run` (issue 7): the pipeline's side of Gate 2, through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from srchgen.gate import sandbox
from srchgen.gate.sandbox import sandbox_unavailable
from tests.gatekit import AT, HEX, RID, cli, fingerprint, make_registry, sha

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed")
NO_SANDBOX = sandbox_unavailable()
needs_sandbox = pytest.mark.skipif(NO_SANDBOX is not None, reason=f"no sandbox here: {NO_SANDBOX}")

RECORD = f"records/{HEX}.md"
H_SCRIPT = sha('print("accuracy 0.93")\nprint("n 120")\n')
H_RESULTS = sha("accuracy 0.93\nn 120\n")




def derived() -> dict:
    return json.loads(Path(f"site/records/{HEX}/record.json").read_text())["derived"]


# --------------------------------------------------------------------------- gate payload


def test_payload_of_a_prospective_evaluation_is_the_spec_text(registry: Path) -> None:
    r = cli("gate", "payload", RID, "--outcome", "failed", "--at", "2026-07-02T12:00:00+02:00")
    assert r.exit_code == 0, r.stderr
    first, second = sorted([H_SCRIPT, H_RESULTS])
    assert r.stdout == f"srchgen-gate-v1\n{RID}\nfailed\n2026-07-02T10:00:00Z\n{first}\n{second}\n"


def test_payload_of_the_current_evaluation_is_what_was_signed(registry: Path, keys: Path) -> None:
    assert cli("gate", "payload", HEX).exit_code == 1  # no evaluation yet
    prospective = cli("gate", "payload", RID, "--outcome", "passed", "--at", AT).stdout
    assert cli("gate", "record", RID, "--outcome", "passed", "--key", str(keys / "pipeline"), "--at", AT).exit_code == 0
    assert cli("gate", "payload", HEX).stdout == prospective
    # ssh-keygen itself accepts the written signature over exactly these bytes.
    import subprocess

    sig = Path("sig")
    lines = Path(RECORD).read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if "BEGIN SSH SIGNATURE" in ln)
    armored = [ln.strip() for ln in lines[start:] if ln.startswith("    ")]
    sig.write_text("\n".join(armored[: armored.index("-----END SSH SIGNATURE-----") + 1]) + "\n")
    proc = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-n", "srchgen-gate", "-f", "gate/allowed_signers", "-I", "gate@srch.example", "-s", str(sig)],
        input=prospective.encode(), capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["SRCH:XYZ"], 1, "is not a record id"),
        (["SRCH:00000000"], 1, "no record records/00000000.md"),
        ([RID, "--at", AT], 2, "--at needs --outcome"),
        ([RID, "--outcome", "passed", "--at", "2026-07-02T10:00:00"], 2, "time zone"),
        ([RID, "--outcome", "passed", "--at", "2026-07-02T10:00:00.5Z"], 2, "whole seconds"),
        ([RID, "--outcome", "passed", "--at", "yesterday"], 2, "is not a date and time"),
        ([RID, "--outcome", "verified"], 2, "'verified' is not one of"),
    ],
)
def test_payload_usage_errors(registry: Path, args: list[str], code: int, message: str) -> None:
    r = cli("gate", "payload", *args)
    assert r.exit_code == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr


# --------------------------------------------------------------------------- gate record


def test_record_writes_only_the_evaluation_block(registry: Path, keys: Path) -> None:
    before = Path(RECORD).read_bytes()
    r = cli("gate", "record", RID, "--outcome", "passed", "--key", str(keys / "pipeline"), "--at", AT)
    assert r.exit_code == 0, r.stderr
    assert f"signed by gate@srch.example (key {fingerprint(keys / 'pipeline')})" in r.stdout
    after = Path(RECORD).read_bytes()
    head, tail = before.split(b"---\nThe sandboxed")
    assert after.startswith(head + b"gate_evaluation:\n  evaluated: 2026-07-02T10:00:00Z\n  outcome: passed\n")
    assert after.endswith(b"---\nThe sandboxed" + tail)
    assert f'    - "{H_SCRIPT}"\n'.encode() in after and f'    - "{H_RESULTS}"\n'.encode() in after
    assert b"  signature: |\n    -----BEGIN SSH SIGNATURE-----\n" in after
    assert not list(Path("records").glob(".*.tmp"))  # the atomic write left nothing behind
    assert cli("check").exit_code == 0


def test_record_keeps_crlf_and_replaces_an_older_evaluation(registry: Path, keys: Path) -> None:
    Path(RECORD).write_bytes(Path(RECORD).read_bytes().replace(b"\n", b"\r\n"))
    key = str(keys / "pipeline")
    assert cli("gate", "record", RID, "--outcome", "failed", "--key", key, "--at", AT).exit_code == 0
    assert cli("gate", "record", RID, "--outcome", "passed", "--key", key, "--at", "2026-07-03T09:00:00Z").exit_code == 0
    data = Path(RECORD).read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.count(b"gate_evaluation:") == 1 and b"outcome: passed" in data and b"2026-07-03T09:00:00Z" in data
    assert cli("build", "--no-search").exit_code == 0
    assert derived()["gate_status"] == "Verified"


def test_record_with_an_unknown_key_leaves_the_record_unchanged(registry: Path, keys: Path) -> None:
    before = Path(RECORD).read_bytes()
    r = cli("gate", "record", RID, "--outcome", "passed", "--key", str(keys / "stranger"), "--at", AT)
    assert r.exit_code == 1
    assert f"unknown signer: key {fingerprint(keys / 'stranger')} is not in the allowed signers file" in r.stderr
    assert "the record is unchanged" in r.stderr
    assert Path(RECORD).read_bytes() == before


@pytest.mark.parametrize(
    "breakage, message",
    [
        ("missing key", "signing key not found"),
        ("artifact changed", "has errors; fix them before recording"),
        ("future", "--at 2027-01-01T00:00:00Z is in the future (today is 2026-11-22)"),
        ("before submitted", "is before the record was submitted (2026-07-01)"),
    ],
)
def test_record_refuses_and_writes_nothing(registry: Path, keys: Path, breakage: str, message: str) -> None:
    key, at = str(keys / "pipeline"), AT
    if breakage == "missing key":
        key = str(keys / "nope")
    elif breakage == "artifact changed":
        Path(f"records/{HEX}/results.txt").write_text("something else\n")
    elif breakage == "future":
        at = "2027-01-01T00:00:00Z"
    else:
        at = "2026-06-30T23:59:59Z"
    before = Path(RECORD).read_bytes()
    r = cli("gate", "record", RID, "--outcome", "passed", "--key", key, "--at", at)
    assert r.exit_code == 1
    assert message in r.stderr
    assert Path(RECORD).read_bytes() == before


def test_record_with_a_missing_signers_file_is_a_config_error(registry: Path, keys: Path) -> None:
    Path("gate/allowed_signers").unlink()
    r = cli("gate", "record", RID, "--outcome", "passed", "--key", str(keys / "pipeline"), "--at", AT)
    assert r.exit_code == 2
    assert "pyproject.toml:3:1: gate_signers: allowed signers file gate/allowed_signers not found" in r.stderr


# --------------------------------------------------------------------------- gate run


def _registry_with(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch, script: str, results: str = "accuracy 0.93\nn 120\n") -> Path:
    root = make_registry(tmp_path / "run", keys, script=script, results=results)
    monkeypatch.chdir(root)
    return root


@needs_sandbox
def test_run_passing_script_exits_0(registry: Path) -> None:
    r = cli("gate", "run", RID, "--timeout", "60")
    assert r.exit_code == 0, r.output + r.stderr
    assert r.stdout == f"repro-script {HEX}/repro.py against {HEX}/results.txt: matched: output matches results.txt\n"


FAILING = {
    "mismatch": ('print("accuracy 0.91")\nprint("n 120")\n', "mismatched: output differs from results.txt"),
    "crash": ("raise SystemExit(3)\n", "error: the script exited with status 3"),
    "network": (
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=5)\nprint('accuracy 0.93')\nprint('n 120')\n",
        "error: the script exited with status 1",
    ),
    "forever": ("while True:\n    pass\n", "timeout: the script was stopped after 3 s"),
}


@needs_sandbox
@pytest.mark.parametrize("case", list(FAILING))
def test_run_failing_script_exits_1_and_says_why(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    script, detail = FAILING[case]
    _registry_with(tmp_path, keys, monkeypatch, script)
    r = cli("gate", "run", RID, "--timeout", "3")
    assert r.exit_code == 1
    assert detail in r.stdout
    assert "gate_evaluation" not in Path(RECORD).read_text()  # nothing recorded without --key


def test_run_without_a_sandbox_exits_2(registry: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "sandbox_unavailable", lambda: "bubblewrap (bwrap) is not installed")
    before = Path(RECORD).read_bytes()
    r = cli("gate", "run", RID, "--key", str(keys / "pipeline"))
    assert r.exit_code == 2
    assert "unavailable: bubblewrap (bwrap) is not installed" in r.stdout
    assert "not checkable here; nothing recorded" in r.stderr
    assert Path(RECORD).read_bytes() == before


def test_run_lean_proof_without_lean_is_not_checkable(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_registry(tmp_path / "lean", keys)
    monkeypatch.chdir(root)
    proof = "theorem t : 1 + 1 = 2 := rfl\n"
    Path(f"records/{HEX}/Proof.lean").write_text(proof)
    text = Path(RECORD).read_text().replace(
        "artifacts:\n", f'artifacts:\n  - kind: lean4-proof\n    path: {HEX}/Proof.lean\n    sha256: "{sha(proof)}"\n'
    )
    Path(RECORD).write_text(text)
    monkeypatch.setenv("PATH", str(tmp_path / "no-lean") + ":/usr/bin:/bin")
    if shutil.which("lean"):
        pytest.skip("lean is installed here")
    r = cli("gate", "run", RID)
    assert r.exit_code == 2
    assert f"lean4-proof {HEX}/Proof.lean: unavailable: lean is not installed" in r.stdout


def test_run_needs_a_sufficient_artifact_set(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_registry(tmp_path / "bare", keys)
    monkeypatch.chdir(root)
    text = Path(RECORD).read_text()
    Path(RECORD).write_text(text[: text.index("artifacts:")] + text[text.index("---\nThe sandboxed") :])
    r = cli("gate", "run", RID)
    assert r.exit_code == 1
    assert "has no sufficient artifact set" in r.stderr


# --------------------------------------------------------------------------- the whole loop


@needs_sandbox
def test_full_loop_run_record_build_verified(registry: Path, keys: Path) -> None:
    """run in the sandbox -> signed evaluation written -> check passes -> build shows Verified and the signer."""
    r = cli("gate", "run", RID, "--timeout", "60", "--key", str(keys / "pipeline"), "--at", AT)
    assert r.exit_code == 0, r.output + r.stderr
    assert "recorded passed evaluation of SRCH:AB12CD34 at 2026-07-02T10:00:00Z" in r.stdout
    assert cli("check").exit_code == 0
    assert cli("build", "--no-search").exit_code == 0
    d = derived()
    assert (d["gate_status"], d["verification_level"], d["quality_dimensions"]["Evidence strength"]) == ("Verified", "L3, Gate-verified", "HIGH")
    assert d["gate_signer"] == "gate@srch.example" and d["gate_key"] == fingerprint(keys / "pipeline")
    assert "Signed by gate@srch.example" in Path(f"site/records/{HEX}/index.html").read_text()


@needs_sandbox
def test_full_loop_with_a_failing_script_records_failed(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _registry_with(tmp_path, keys, monkeypatch, FAILING["mismatch"][0])
    r = cli("gate", "run", RID, "--timeout", "60", "--key", str(keys / "pipeline"), "--at", AT)
    assert r.exit_code == 1
    assert "recorded failed evaluation" in r.stdout
    assert cli("build", "--no-search").exit_code == 0
    d = derived()
    assert d["gate_status"] == "Failed" and d["gate_signed"] is True
    assert d["verification_level"] != "L3, Gate-verified"
