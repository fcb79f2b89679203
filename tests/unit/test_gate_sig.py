"""Signed Gate 2 evaluations (SPEC §2): canonical text, and every way a signature must fail."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from srchgen.gate import sig as gate_sig
from srchgen.gate.sig import SigningError, canonical_payload, sign, verify, verify_many
from srchgen.gate.signers import AllowedSigners, AllowedSignersError, load_allowed_signers
from srchgen.gate.write import set_gate_evaluation

pytestmark = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed"
)

RID = "SRCH:08EA5386"
WHEN = datetime(2026, 7, 1, 12, 0, 0, tzinfo=timezone.utc)
H1, H2, H3 = "a" * 64, "b" * 64, "0123456789abcdef" * 4


def _keygen(path: Path, comment: str) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path


def _pub(key: Path) -> str:
    kind, blob = Path(f"{key}.pub").read_text().split()[:2]
    return f"{kind} {blob}"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("keys")
    return {name: _keygen(d / name, name) for name in ("pipeline", "second", "stranger")}


@pytest.fixture(scope="module")
def signers_file(keys: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("signers") / "allowed_signers"
    p.write_text(
        "# Gate 2 pipeline keys\n"
        f"gate@srch.example {_pub(keys['pipeline'])}\n"
        "\n"
        f'backup@srch.example,ops@srch.example namespaces="srchgen-gate" {_pub(keys["second"])}\n'
    )
    return p


@pytest.fixture(scope="module")
def signers(signers_file: Path) -> AllowedSigners:
    return load_allowed_signers(signers_file)


def _payload(rid: str = RID, outcome: str = "passed", when: datetime = WHEN, hashes=(H1, H2)) -> bytes:
    return canonical_payload(rid, outcome, when, list(hashes))


@pytest.fixture(scope="module")
def signed(keys: dict[str, Path]) -> str:
    return sign(_payload(), keys["pipeline"])


# --------------------------------------------------------------------------- canonical text


def test_payload_is_exactly_the_spec_text() -> None:
    got = canonical_payload(RID, "failed", WHEN, [H2, H1])
    assert got == f"srchgen-gate-v1\n{RID}\nfailed\n2026-07-01T12:00:00Z\n{H1}\n{H2}\n".encode()


def test_payload_converts_other_zones_to_utc() -> None:
    cest = timezone(timedelta(hours=2))
    got = canonical_payload(RID, "passed", datetime(2026, 7, 1, 14, 0, tzinfo=cest), [H1])
    assert b"\n2026-07-01T12:00:00Z\n" in got


def test_payload_treats_hashes_as_a_set() -> None:
    # SPEC §3 compares artifact hashes as a set; case and order are not meaning.
    assert _payload(hashes=(H2, H1.upper(), H1)) == _payload(hashes=(H1, H2))


@pytest.mark.parametrize(
    ("rid", "outcome", "when", "hashes", "needle"),
    [
        ("SRCH:1\nfailed", "passed", WHEN, [H1], "one line"),
        ("", "passed", WHEN, [H1], "one line"),
        (RID, "verified", WHEN, [H1], "outcome"),
        (RID, "passed", datetime(2026, 7, 1, 12), [H1], "time zone"),
        (RID, "passed", WHEN.replace(microsecond=5), [H1], "whole seconds"),
        (RID, "passed", WHEN, [], "at least one"),
        (RID, "passed", WHEN, ["abc"], "64 hex"),
        (RID, "passed", WHEN, ["g" * 64], "64 hex"),
    ],
)
def test_payload_refuses_ambiguous_input(rid, outcome, when, hashes, needle) -> None:
    with pytest.raises(ValueError, match=needle):
        canonical_payload(rid, outcome, when, hashes)


# --------------------------------------------------------------------------- verify


def test_valid_signature_names_the_principal(signed: str, signers, keys) -> None:
    v = verify(_payload(), signed, signers)
    assert v.ok, v.message
    assert v.principal == "gate@srch.example"
    fp = subprocess.run(
        ["ssh-keygen", "-l", "-f", f"{keys['pipeline']}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    assert v.key_fingerprint == fp


def test_any_principal_in_the_file_may_sign(keys, signers) -> None:
    v = verify(_payload(), sign(_payload(), keys["second"]), signers)
    assert v.ok, v.message
    assert v.principal == "backup@srch.example"


def test_signature_with_crlf_line_endings_still_verifies(signed: str, signers) -> None:
    assert verify(_payload(), signed.replace("\n", "\r\n"), signers).ok


TAMPERED = {
    "id changed": dict(rid="SRCH:08EA5387"),
    "outcome changed": dict(outcome="failed"),
    "time changed": dict(when=WHEN + timedelta(seconds=1)),
    "hash added": dict(hashes=(H1, H2, H3)),
    "hash removed": dict(hashes=(H1,)),
    "hash changed": dict(hashes=(H1, "c" * 64)),
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_each_tampering_fails_verification(case: str, signed: str, signers) -> None:
    v = verify(_payload(**TAMPERED[case]), signed, signers)
    assert not v.ok
    assert "does not verify" in v.message
    assert v.principal == "gate@srch.example"  # who the signature claims to be from


def test_wrong_namespace_is_named(keys, signers, tmp_path: Path) -> None:
    proc = subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", "git", "-f", str(keys["pipeline"])],
        input=_payload(),
        capture_output=True,
        check=True,
    )
    v = verify(_payload(), proc.stdout.decode(), signers)
    assert not v.ok
    assert "namespace 'git'" in v.message and "srchgen-gate" in v.message


def test_unknown_signer(keys, signers) -> None:
    v = verify(_payload(), sign(_payload(), keys["stranger"]), signers)
    assert not v.ok
    assert v.message.startswith("unknown signer")
    assert v.principal is None and v.key_fingerprint and v.key_fingerprint.startswith("SHA256:")


def _rearmor(signed: str, mutate) -> str:
    body = "".join(signed.strip().splitlines()[1:-1])
    blob = mutate(base64.b64decode(body))
    return f"{gate_sig.ARMOR_BEGIN}\n{base64.b64encode(blob).decode()}\n{gate_sig.ARMOR_END}\n"


MALFORMED = {
    "empty": (lambda s: "", "missing signature"),
    "blank": (lambda s: "  \n", "missing signature"),
    "a list": (lambda s: s.splitlines(), "expected armored text"),
    "null": (lambda s: None, "missing signature"),
    "no armor": (lambda s: "".join(s.splitlines()[1:-1]), "does not start with"),
    "no end line": (lambda s: "\n".join(s.splitlines()[:-1]), "does not end with"),
    "pgp armor": (lambda s: "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----", "does not start"),
    "not base64": (lambda s: s.replace(s.splitlines()[1], "!!!notbase64!!!"), "not base64"),
    "not sshsig": (lambda s: _rearmor(s, lambda b: b"XXXSIG" + b[6:]), "not an SSHSIG"),
    "truncated": (lambda s: _rearmor(s, lambda b: b[:40]), "truncated or corrupt"),
    "trailing bytes": (lambda s: _rearmor(s, lambda b: b + b"\0"), "trailing bytes"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_armor(case: str, signed: str, signers) -> None:
    mutate, needle = MALFORMED[case]
    v = verify(_payload(), mutate(signed), signers)
    assert not v.ok
    assert needle in v.message


def test_flipped_signature_byte_does_not_verify(signed: str, signers) -> None:
    bad = _rearmor(signed, lambda b: b[:-1] + bytes([b[-1] ^ 1]))
    v = verify(_payload(), bad, signers)
    assert not v.ok and "does not verify" in v.message


def test_key_option_reason_is_passed_on(keys, tmp_path: Path) -> None:
    p = tmp_path / "allowed"
    p.write_text(f'gate@x namespaces="file" {_pub(keys["pipeline"])}\n')
    v = verify(_payload(), sign(_payload(), keys["pipeline"]), load_allowed_signers(p))
    assert not v.ok and "not permitted" in v.message and "srchgen-gate" in v.message


@pytest.mark.parametrize(
    ("window", "ok"),
    [('valid-before="20260701Z"', False), ('valid-before="20260702Z"', True), ('valid-after="20260702Z"', False)],
)
def test_key_validity_is_judged_at_the_evaluation_time(keys, tmp_path: Path, window: str, ok: bool) -> None:
    # Deterministic (SPEC §6): the verdict depends on `evaluated`, never on today's date.
    p = tmp_path / "allowed"
    p.write_text(f"gate@x {window} {_pub(keys['pipeline'])}\n")
    v = verify(_payload(), sign(_payload(), keys["pipeline"]), load_allowed_signers(p))
    assert v.ok is ok, v.message


def test_verify_many_keeps_order(signed: str, signers) -> None:
    items = [(_payload(), signed), (_payload(outcome="failed"), signed), (_payload(), "")]
    assert [v.ok for v in verify_many(items, signers, jobs=2)] == [True, False, False]


# --------------------------------------------------------------------------- allowed_signers


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("gate@x", "expected"),
        ("gate@x ssh-ed25519", "expected"),
        ("gate@x ssh-foo AAAA", "unknown key type"),
        ("gate@x ssh-ed25519 not-base64!", "not valid base64"),
        ("gate@x frobnicate ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcl1gDHilR7Hlb6E7cc2e+qxFSy/S8GMbziL62K8kPy", "unknown option"),
        ("gate@x valid-before=20200101 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcl1gDHilR7Hlb6E7cc2e+qxFSy/S8GMbziL62K8kPy", "double-quoted"),
        ("gate@x ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIOcl1gDHilR7Hlb6E7cc2e+qxFSy/S8GMbziL62K8kPy", "line says"),
        ("!gate@x ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcl1gDHilR7Hlb6E7cc2e+qxFSy/S8GMbziL62K8kPy", "no principal"),
    ],
)
def test_bad_allowed_signers_lines_are_reported_with_line_numbers(tmp_path: Path, line: str, needle: str) -> None:
    p = tmp_path / "allowed"
    p.write_text(f"# comment\n\n{line}\n")
    with pytest.raises(AllowedSignersError) as exc:
        load_allowed_signers(p)
    assert exc.value.problems[0][0] == 3
    assert needle in exc.value.problems[0][1]
    assert f"{p}:3:" in str(exc.value)


def test_every_bad_line_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "allowed"
    p.write_text("a@x\nb@x ssh-ed25519 !!\n")
    with pytest.raises(AllowedSignersError) as exc:
        load_allowed_signers(p)
    assert [n for n, _ in exc.value.problems] == [1, 2]


@pytest.mark.parametrize("content", [None, "", "# only comments\n"])
def test_missing_or_empty_allowed_signers(tmp_path: Path, content: str | None) -> None:
    p = tmp_path / "allowed"
    if content is not None:
        p.write_text(content)
    with pytest.raises(AllowedSignersError, match=r":1: "):
        load_allowed_signers(p)


# --------------------------------------------------------------------------- sign


def test_sign_matches_ssh_keygen_output_format(keys) -> None:
    text = sign(_payload(), keys["pipeline"])
    lines = text.splitlines()
    assert lines[0] == gate_sig.ARMOR_BEGIN and lines[-1] == gate_sig.ARMOR_END
    assert text.endswith("\n")
    # ssh-keygen itself accepts it as a srchgen-gate signature over exactly these bytes.
    sig = Path(keys["pipeline"]).parent / "check.sig"
    sig.write_text(text)
    proc = subprocess.run(
        ["ssh-keygen", "-Y", "check-novalidate", "-n", "srchgen-gate", "-s", str(sig)],
        input=_payload(),
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_sign_with_missing_key_says_so(tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="not found"):
        sign(_payload(), tmp_path / "nokey")


def test_sign_with_passphrase_key_fails_instead_of_prompting(tmp_path: Path) -> None:
    key = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", str(key)], check=True)
    with pytest.raises(SigningError, match="could not sign"):
        sign(_payload(), key)


def test_certificate_signed_by_a_trusted_ca(tmp_path: Path) -> None:
    # `cert-authority` lines: the principal comes from ssh-keygen -Y find-principals.
    ca, user = _keygen(tmp_path / "ca", "ca"), _keygen(tmp_path / "user", "user")
    subprocess.run(
        ["ssh-keygen", "-q", "-s", str(ca), "-I", "pipeline-2026", "-n", "gate@srch.example", f"{user}.pub"],
        check=True,
    )
    allowed = tmp_path / "allowed"
    allowed.write_text(f"*@srch.example cert-authority {_pub(ca)}\n")
    signers = load_allowed_signers(allowed)
    text = sign(_payload(), tmp_path / "user-cert.pub")
    v = verify(_payload(), text, signers)
    assert v.ok, v.message
    assert v.principal == "gate@srch.example"
    assert not verify(_payload(outcome="failed"), text, signers).ok
    # The user key alone (no certificate) is not trusted by a CA line.
    assert verify(_payload(), sign(_payload(), user), signers).message.startswith("unknown signer")


def _front_matter(text: str) -> dict:
    lines = text.split("\n")
    return yaml.safe_load("".join(ln + "\n" for ln in lines[1 : lines.index("---", 1)]))


@pytest.mark.parametrize(
    ("edit", "ok"),
    [
        (lambda t: t, True),
        (lambda t: t.replace("outcome: failed", "outcome: passed"), False),
        (lambda t: t.replace("T12:00:00Z", "T12:00:01Z"), False),
        (lambda t: t.replace("id: SRCH:08EA5386", "id: SRCH:08EA5387"), False),
        (lambda t: t.replace(f'    - "{H1}"\n', ""), False),
        (lambda t: t.replace(f'    - "{H1}"\n', f'    - "{H1}"\n    - "{H3}"\n'), False),
    ],
)
def test_signed_record_round_trip_and_hand_edits(keys, signers, edit, ok: bool) -> None:
    """sign → write into the record → load → verify; an edit to the YAML alone never verifies."""
    record = f"---\nid: {RID}\n# hand-written comment\nnote: x\n---\nBody\n"
    payload = canonical_payload(RID, "failed", WHEN, [H1, H2])
    evaluation = {"evaluated": WHEN, "outcome": "failed", "artifact_sha256": [H1, H2],
                  "signature": sign(payload, keys["pipeline"])}
    text = edit(set_gate_evaluation(record, evaluation))
    fm = _front_matter(text)
    ev = fm["gate_evaluation"]
    loaded = canonical_payload(fm["id"], ev["outcome"], ev["evaluated"], ev["artifact_sha256"])
    assert verify(loaded, ev["signature"], signers).ok is ok
