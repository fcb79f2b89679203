"""Gate 2 in the build (issue 7, SPEC §2 "Signed evaluations", §3): only a valid signature makes a record Verified.

Every case starts from a registry whose evaluation was recorded by `srchgen gate record` with a
throwaway key, then edits the YAML the way a pull request could.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.gatekit import AT, HEX, RID, cli, fingerprint, make_registry, public_line, record_text, sha

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed")

RECORD = f"records/{HEX}.md"




@pytest.fixture
def recorded(registry: Path, keys: Path) -> Path:
    """The registry after `srchgen gate record ... --outcome passed` with the allowed key."""
    r = cli("gate", "record", RID, "--outcome", "passed", "--key", str(keys / "pipeline"), "--at", AT)
    assert r.exit_code == 0, r.output + r.stderr
    return registry


def text() -> str:
    return Path(RECORD).read_text()


def edit(old: str, new: str, count: int = 1) -> None:
    t = text()
    assert old in t, old
    Path(RECORD).write_text(t.replace(old, new, count))


def line_of(needle: str) -> int:
    return next(n for n, line in enumerate(text().splitlines(), 1) if needle in line)


def signature_lines() -> list[str]:
    lines = text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "-----BEGIN SSH SIGNATURE-----")
    end = next(i for i, ln in enumerate(lines) if ln.strip() == "-----END SSH SIGNATURE-----")
    return lines[start : end + 1]


def record_json() -> dict:
    return json.loads(Path(f"site/records/{HEX}/record.json").read_text())


# --------------------------------------------------------------------------- the valid case


def test_recorded_evaluation_builds_verified_and_names_the_signer(recorded: Path, keys: Path) -> None:
    r = cli("build", "--no-search")
    assert r.exit_code == 0, r.stderr
    assert "warning" not in r.stderr  # signed: no 'unsigned' warning
    d = record_json()["derived"]
    assert d["gate_status"] == "Verified"
    assert d["verification_level"] == "L3, Gate-verified"
    assert d["quality_dimensions"]["Evidence strength"] == "HIGH"
    assert (d["gate_signed"], d["gate_signer"], d["gate_key"]) == (True, "gate@srch.example", fingerprint(keys / "pipeline"))
    page = Path(f"site/records/{HEX}/index.html").read_text()
    want = f"Signed by gate@srch.example (key {fingerprint(keys / 'pipeline')}) on 2026-07-02T10:00:00Z"
    assert want in page
    # The artifacts behind the verdict are published with their hashes.
    assert Path(f"site/records/{HEX}/artifacts/repro.py").read_bytes() == Path(f"records/{HEX}/repro.py").read_bytes()
    assert sha(Path(f"records/{HEX}/results.txt").read_text()) in page


def test_same_instant_in_another_zone_still_verifies(recorded: Path) -> None:
    # The signed form is the UTC instant; writing it as +02:00 is not a change of meaning.
    edit("evaluated: 2026-07-02T10:00:00Z", "evaluated: 2026-07-02T12:00:00+02:00")
    r = cli("check")
    assert r.exit_code == 0, r.stderr


# --------------------------------------------------------------------------- tampering


def _swap_artifact() -> None:
    """Replace the results with other bytes, re-declare their hash, and re-point the evaluation at it."""
    old, new = sha(Path(f"records/{HEX}/results.txt").read_text()), sha("accuracy 0.99\nn 120\n")
    Path(f"records/{HEX}/results.txt").write_text("accuracy 0.99\nn 120\n")
    edit(old, new, count=2)  # artifacts[1].sha256 and gate_evaluation.artifact_sha256


def _flip_signature_char() -> None:
    body = signature_lines()[2]
    i = 10
    edit(body, body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :])


TAMPERING = {
    "outcome": (lambda: edit("outcome: passed", "outcome: failed"), "signature does not verify"),
    "evaluated later": (lambda: edit("evaluated: 2026-07-02T10:00:00Z", "evaluated: 2026-07-03T10:00:00Z"), "signature does not verify"),
    "evaluated earlier": (lambda: edit("evaluated: 2026-07-02T10:00:00Z", "evaluated: 2026-07-01T10:00:00Z"), "signature does not verify"),
    "artifact hash": (_swap_artifact, "signature does not verify"),
    "signature text": (_flip_signature_char, "signature"),
    "signature truncated": (lambda: edit(signature_lines()[-2] + "\n", ""), "signature"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_each_tampering_is_an_error_at_the_signature_line(recorded: Path, case: str) -> None:
    assert cli("check").exit_code == 0
    tamper, message = TAMPERING[case]
    tamper()
    r = cli("check")
    assert r.exit_code == 1
    sig_line = line_of("  signature: |")
    errors = [ln for ln in r.stderr.splitlines() if ": gate_evaluation.signature:" in ln]
    assert errors, r.stderr
    assert errors[0].startswith(f"{RECORD}:{sig_line}:3: gate_evaluation.signature: ")
    assert message in errors[0]
    assert cli("build", "--no-search").exit_code == 1
    assert not Path("site").exists()


def test_signed_evaluation_replayed_onto_another_record_fails(recorded: Path) -> None:
    # The id cannot be edited (it is the file name), but a signed block can be copied: the id is signed.
    block = text()[text().index("gate_evaluation:") : text().index("---\nThe sandboxed")]
    other = "CD34AB12"
    Path(f"records/{other}").mkdir()
    for name in ("repro.py", "results.txt"):
        shutil.copy(f"records/{HEX}/{name}", f"records/{other}/{name}")
    copied = record_text(block).replace(HEX, other).replace("Does the sandboxed", "Does the copied sandboxed")
    # The artifact hashes are the same files' hashes; only the id differs from what was signed.
    Path(f"records/{other}.md").write_text(copied)
    r = cli("check")
    assert r.exit_code == 1
    assert re.search(rf"records/{other}\.md:\d+:3: gate_evaluation\.signature: signature does not verify", r.stderr), r.stderr
    assert not [ln for ln in r.stderr.splitlines() if ln.startswith(f"records/{HEX}.md") and ": warning: " not in ln]  # the original is fine


def test_missing_signature_is_an_error_at_gate_evaluation(recorded: Path) -> None:
    lines = text().splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("  signature: |"))
    Path(RECORD).write_text("".join(lines[:start] + lines[start + 1 + len(signature_lines()) :]))
    r = cli("check")
    assert r.exit_code == 1
    assert f"{RECORD}:{line_of('gate_evaluation:')}:1: gate_evaluation.signature: missing signature" in r.stderr


def test_unknown_signer_is_an_error(registry: Path, keys: Path) -> None:
    # Signed outside srchgen with a key that is not in allowed_signers (gate record would refuse it).
    from srchgen.gate.sig import canonical_payload, sign
    from srchgen.gate.write import set_gate_evaluation
    import datetime as dt

    hashes = [sha(Path(f"records/{HEX}/{n}").read_text()) for n in ("repro.py", "results.txt")]
    when = dt.datetime(2026, 7, 2, 10, tzinfo=dt.timezone.utc)
    sig = sign(canonical_payload(RID, "passed", when, hashes), keys / "stranger")
    Path(RECORD).write_text(set_gate_evaluation(text(), {"evaluated": when, "outcome": "passed", "artifact_sha256": hashes, "signature": sig}))
    r = cli("check")
    assert r.exit_code == 1
    assert f"{RECORD}:{line_of('  signature: |')}:3: gate_evaluation.signature: unknown signer: key {fingerprint(keys / 'stranger')}" in r.stderr


def test_wrong_namespace_is_an_error(registry: Path, keys: Path, tmp_path: Path) -> None:
    import subprocess

    payload = cli("gate", "payload", RID, "--outcome", "passed", "--at", AT).stdout
    sig = subprocess.run(["ssh-keygen", "-Y", "sign", "-n", "git", "-f", str(keys / "pipeline")], input=payload.encode(), capture_output=True, check=True).stdout.decode()
    hashes = payload.splitlines()[4:]
    block = "gate_evaluation:\n  evaluated: 2026-07-02T10:00:00Z\n  outcome: passed\n  artifact_sha256:\n" + "".join(f'    - "{h}"\n' for h in hashes)
    block += "  signature: |\n" + "".join(f"    {ln}\n" for ln in sig.strip().splitlines())
    Path(RECORD).write_text(record_text(block))
    r = cli("check")
    assert r.exit_code == 1
    assert f"{RECORD}:{line_of('  signature: |')}:3: gate_evaluation.signature: wrong signature namespace 'git'" in r.stderr


HAND_WRITTEN = {
    "no signature": "",
    "bogus signature": "  signature: |\n    -----BEGIN SSH SIGNATURE-----\n    U1NIU0lH\n    -----END SSH SIGNATURE-----\n",
    "plain text signature": "  signature: signed by the gate team\n",
}


@pytest.mark.parametrize("case", list(HAND_WRITTEN))
def test_no_edit_to_a_record_alone_makes_it_verified(registry: Path, case: str) -> None:
    """SPEC §2: VERIFIED can never be reached by editing YAML alone when gate_signers is set."""
    hashes = [sha(Path(f"records/{HEX}/{n}").read_text()) for n in ("repro.py", "results.txt")]
    block = "gate_evaluation:\n  evaluated: 2026-07-02T10:00:00Z\n  outcome: passed\n  artifact_sha256:\n" + "".join(f'    - "{h}"\n' for h in hashes)
    Path(RECORD).write_text(record_text(block + HAND_WRITTEN[case]))
    r = cli("build", "--no-search")
    assert r.exit_code == 1
    assert "gate_evaluation.signature: " in r.stderr
    assert "site not written" in r.stderr
    assert not Path("site").exists()


def test_artifact_changed_after_a_signed_evaluation_is_unverified(recorded: Path) -> None:
    # Changing the file (and its declared hash) but not the evaluation: the signature still holds,
    # but the evaluation no longer covers the artifacts (SPEC §3 rule 1).
    old, new = sha(Path(f"records/{HEX}/results.txt").read_text()), sha("accuracy 0.99\nn 120\n")
    Path(f"records/{HEX}/results.txt").write_text("accuracy 0.99\nn 120\n")
    edit(f'sha256: "{old}"', f'sha256: "{new}"')
    r = cli("build", "--no-search")
    assert r.exit_code == 0, r.stderr
    d = record_json()["derived"]
    assert d["gate_status"] == "Unverified" and d["verification_level"] != "L3, Gate-verified"
    assert d["gate_signer"] == "gate@srch.example"


# --------------------------------------------------------------------------- no signers configured


def test_without_gate_signers_verified_by_yaml_is_shown_unsigned_with_a_warning(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_registry(tmp_path / "reg", keys, signers=False)
    monkeypatch.chdir(root)
    hashes = [sha(Path(f"records/{HEX}/{n}").read_text()) for n in ("repro.py", "results.txt")]
    block = "gate_evaluation:\n  evaluated: 2026-07-02T10:00:00Z\n  outcome: passed\n  artifact_sha256:\n" + "".join(f'    - "{h}"\n' for h in hashes)
    Path(RECORD).write_text(record_text(block))
    r = cli("check")
    assert r.exit_code == 0
    assert f"{RECORD}:{line_of('gate_evaluation:')}:1: warning: gate_evaluation: unsigned (no gate_signers configured)" in r.stderr
    assert cli("check", "--strict").exit_code == 1
    r = cli("build", "--no-search")
    assert r.exit_code == 0, r.stderr
    d = record_json()["derived"]
    assert d["gate_status"] == "Verified"
    assert (d["gate_signed"], d["gate_signer"], d["gate_key"]) == (False, None, None)
    assert "Unsigned: the evaluation carries no signature" in Path(f"site/records/{HEX}/index.html").read_text()


def test_without_gate_signers_a_signature_is_not_claimed_as_checked(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_registry(tmp_path / "reg", keys, signers=False)
    monkeypatch.chdir(root)
    assert cli("gate", "record", RID, "--outcome", "passed", "--key", str(keys / "pipeline"), "--at", AT).exit_code == 0
    assert cli("build", "--no-search").exit_code == 0
    page = Path(f"site/records/{HEX}/index.html").read_text()
    assert "Unsigned: this registry configures no gate signers, so the evaluation&#39;s signature was not checked" in page
    assert "Signed by" not in page


# --------------------------------------------------------------------------- the allowed_signers file


@pytest.mark.parametrize(
    "content, want",
    [
        (None, "pyproject.toml:3:1: gate_signers: allowed signers file gate/allowed_signers not found"),
        ("gate@srch.example ssh-ed25519 not-base64!\n", "gate/allowed_signers:1:1: gate_signers: the key is not valid base64 key data"),
        ("# only a comment\n", "gate/allowed_signers:1:1: gate_signers: no signer keys in the file"),
    ],
)
@pytest.mark.parametrize("command", ["check", "build"])
def test_bad_signers_file_is_a_config_error(registry: Path, content: str | None, want: str, command: str) -> None:
    if content is None:
        Path("gate/allowed_signers").unlink()
    else:
        Path("gate/allowed_signers").write_text(content)
    r = cli(command, *(["--no-search"] if command == "build" else []))
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == want
    assert "Traceback" not in r.stderr


def test_revoking_a_key_fails_the_next_build_even_when_nothing_else_changed(recorded: Path, keys: Path) -> None:
    assert cli("build", "--no-search").exit_code == 0
    assert "up to date" in cli("build", "--no-search").stdout
    Path("gate/allowed_signers").write_text(f"other@srch.example {public_line(keys / 'stranger')}\n")
    r = cli("build", "--no-search")
    assert r.exit_code == 1
    assert "unknown signer" in r.stderr


# --------------------------------------------------------------------------- check --base


def _git(*args: str) -> None:
    import subprocess

    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], check=True, capture_output=True)


@pytest.fixture
def committed(recorded: Path) -> Path:
    """The recorded registry as the base branch of a git repository."""
    _git("init", "-q", "-b", "main")
    _git("add", "-A")
    _git("commit", "-q", "-m", "base")
    return recorded


def _record(keys: Path, key: str, at: str, outcome: str = "passed") -> None:
    r = cli("gate", "record", RID, "--outcome", outcome, "--key", str(keys / key), "--at", at)
    assert r.exit_code == 0, r.stderr


def test_base_accepts_a_later_signed_evaluation(committed: Path, keys: Path) -> None:
    _record(keys, "pipeline", "2026-07-05T08:00:00Z", "failed")
    r = cli("check", "--base", "main")
    assert r.exit_code == 0, r.stderr


def test_base_refuses_an_earlier_signed_evaluation(committed: Path, keys: Path) -> None:
    _record(keys, "pipeline", "2026-07-01T08:00:00Z")
    r = cli("check", "--base", "main")
    assert r.exit_code == 1
    assert f"{RECORD}:{line_of('evaluated:')}:14: gate_evaluation: replaced by an earlier one (2026-07-01T08:00:00+00:00)" in r.stderr


def test_base_refuses_a_key_the_pull_request_added_itself(committed: Path, keys: Path) -> None:
    # The PR trusts its own key in allowed_signers: the ordinary check passes, --base does not.
    with open("gate/allowed_signers", "a") as f:
        f.write(f"intruder@example.org {public_line(keys / 'stranger')}\n")
    _record(keys, "stranger", "2026-07-05T08:00:00Z")
    assert cli("check").exit_code == 0
    r = cli("check", "--base", "main")
    assert r.exit_code == 1
    want = f"{RECORD}:{line_of('  signature: |')}:3: gate_evaluation.signature: against gate/allowed_signers at main: unknown signer: key {fingerprint(keys / 'stranger')}"
    assert want in r.stderr


def test_base_refuses_dropping_gate_signers_to_add_an_unsigned_evaluation(committed: Path) -> None:
    Path("pyproject.toml").write_text('[tool.srchgen]\ntitle = "Gate registry"\n')
    edit("outcome: passed", "outcome: failed")
    edit("evaluated: 2026-07-02T10:00:00Z", "evaluated: 2026-07-05T10:00:00Z")
    assert cli("check").exit_code == 0  # no signers configured now: only a warning
    r = cli("check", "--base", "main")
    assert r.exit_code == 1
    assert "gate_evaluation.signature: against gate/allowed_signers at main: signature does not verify" in r.stderr


def test_base_refuses_replacing_a_signed_evaluation_with_an_unsigned_one(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_registry(tmp_path / "reg", keys, signers=False)
    monkeypatch.chdir(root)
    _record(keys, "pipeline", AT)
    _git("init", "-q", "-b", "main")
    _git("add", "-A")
    _git("commit", "-q", "-m", "base")
    lines = text().splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("  signature: |"))
    Path(RECORD).write_text("".join(lines[:start] + lines[start + 1 + len(signature_lines()) :]).replace("2026-07-02T10:00:00Z", "2026-07-04T10:00:00Z"))
    r = cli("check", "--base", "main")
    assert r.exit_code == 1
    assert f"{RECORD}:{line_of('gate_evaluation:')}:1: gate_evaluation: the signed evaluation of 2026-07-02T10:00:00+00:00 at main is replaced by an unsigned one" in r.stderr


# --------------------------------------------------------------------------- the two-core build


def test_forked_build_verifies_and_names_signers_in_both_halves(recorded: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from srchgen.build import parallel

    other = "CD34AB12"
    Path(f"records/{other}").mkdir()
    for name in ("repro.py", "results.txt"):
        shutil.copy(f"records/{HEX}/{name}", f"records/{other}/{name}")
    Path(f"records/{other}.md").write_text(record_text().replace(HEX, other).replace("Does the sandboxed", "Does the second sandboxed"))
    r = cli("gate", "record", f"SRCH:{other}", "--outcome", "passed", "--key", str(keys / "pipeline"), "--at", AT)
    assert r.exit_code == 0, r.stderr
    monkeypatch.setattr(parallel, "MIN_RECORDS", 2)
    if not parallel.available():
        pytest.skip("one core: no forked build")
    edit("outcome: passed", "outcome: failed")  # one half holds a tampered record
    r = cli("build", "--no-search")
    assert r.exit_code == 1
    assert f"{RECORD}:{line_of('  signature: |')}:3: gate_evaluation.signature: signature does not verify" in r.stderr
    edit("outcome: failed", "outcome: passed")
    r = cli("build", "--no-search")
    assert r.exit_code == 0, r.stderr
    for hex_id in (HEX, other):
        d = json.loads(Path(f"site/records/{hex_id}/record.json").read_text())["derived"]
        assert (d["gate_status"], d["gate_signer"]) == ("Verified", "gate@srch.example")
        assert "Signed by gate@srch.example" in Path(f"site/records/{hex_id}/index.html").read_text()
