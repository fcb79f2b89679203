"""Signed Gate 2 evaluations (SPEC §2 "Signed evaluations"): canonical text, signing, verifying.

The cryptographic check is always `ssh-keygen -Y verify -n srchgen-gate`, the tool
SPEC names and the one git uses for SSH-signed commits. Python only reads the
signature's envelope (armor, namespace, public key) so that errors say *what* is
wrong and so that the signer's principal is found without a second ssh-keygen
call (`-Y find-principals` is used only for certificate-signed evaluations).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from srchgen.gate.signers import AllowedSigners

NAMESPACE = "srchgen-gate"
PAYLOAD_MAGIC = "srchgen-gate-v1"
OUTCOMES = ("passed", "failed")
ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SSHSIG_MAGIC = b"SSHSIG"
_TIMEOUT_S = 30.0
_CERT_SUFFIX = "-cert-v01@openssh.com"


class GateSigError(Exception):
    """Base class so callers can catch every gate-signature failure at once (signers.AllowedSignersError too)."""


class SigningError(GateSigError):
    """ssh-keygen could not sign (missing key, passphrase-protected key, no ssh-keygen)."""


class ToolMissingError(GateSigError):
    """ssh-keygen is not installed; signatures can be neither made nor checked."""


# --------------------------------------------------------------------------- payload


def canonical_payload(
    record_id: str, outcome: str, evaluated: datetime, artifact_sha256: Sequence[str]
) -> bytes:
    """The exact bytes that are signed (SPEC §2), so signer and checker can never disagree."""
    if not record_id or any(c in record_id for c in "\r\n") or record_id != record_id.strip():
        raise ValueError(f"record id must be one line without surrounding spaces: {record_id!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    stamp = format_evaluated(evaluated)
    if isinstance(artifact_sha256, (str, bytes)):
        raise TypeError("artifact_sha256 must be a sequence of hashes, not one string")
    hashes: set[str] = set()
    for h in artifact_sha256:
        if not isinstance(h, str) or not _HEX64.fullmatch(h.lower()):
            raise ValueError(f"artifact hash must be 64 hex digits: {h!r}")
        hashes.add(h.lower())
    if not hashes:
        # SPEC §2: artifact_sha256 is non-empty.
        raise ValueError("artifact_sha256 must name at least one artifact hash")
    lines = [PAYLOAD_MAGIC, record_id, outcome, stamp, *sorted(hashes)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def format_evaluated(evaluated: datetime) -> str:
    """`evaluated` as UTC `YYYY-MM-DDTHH:MM:SSZ`; refuses forms that would sign ambiguously."""
    if not isinstance(evaluated, datetime):
        raise TypeError(f"evaluated must be a datetime, not {type(evaluated).__name__}")
    if evaluated.tzinfo is None or evaluated.utcoffset() is None:
        # SPEC §2: `evaluated` has a time zone.
        raise ValueError("evaluated must carry a time zone (e.g. 2026-07-01T12:00:00Z)")
    if evaluated.microsecond:
        # The signed form has whole seconds; a fraction would be unsigned, editable data.
        raise ValueError("evaluated must be whole seconds (the signed form has no fraction)")
    return evaluated.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _payload_time(payload: bytes) -> str | None:
    """The evaluation time inside a canonical payload, in ssh-keygen's verify-time form."""
    parts = payload.split(b"\n")
    if len(parts) >= 5 and parts[0] == PAYLOAD_MAGIC.encode():
        m = re.fullmatch(rb"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z", parts[3])
        if m:
            return b"".join(m.groups()).decode() + "Z"
    return None


# --------------------------------------------------------------------------- wire format


class _Reader:
    """Reads SSH wire-format strings (RFC 4251 §5) from a blob."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u32(self) -> int:
        """A big-endian uint32; ValueError when the blob is cut short."""
        if self.pos + 4 > len(self.data):
            raise ValueError("truncated")
        v = int.from_bytes(self.data[self.pos : self.pos + 4], "big")
        self.pos += 4
        return v

    def string(self) -> bytes:
        """A length-prefixed byte string; ValueError when the blob is cut short."""
        n = self.u32()
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        v = self.data[self.pos : self.pos + n]
        self.pos += n
        return v


def fingerprint(key_blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob, as `ssh-keygen -l` prints it."""
    digest = base64.b64encode(hashlib.sha256(key_blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


@dataclass(frozen=True)
class _Envelope:
    """The unauthenticated outside of an SSHSIG blob, read to explain failures."""

    key_type: str
    key_blob: bytes
    namespace: str
    hash_alg: str


def _parse_armor(signature: str) -> _Envelope:
    """Decode the armored SSHSIG (PROTOCOL.sshsig); ValueError says what is malformed."""
    text = signature.replace("\r\n", "\n").strip()
    lines = [ln.strip() for ln in text.split("\n")]
    if not lines or lines[0] != ARMOR_BEGIN:
        raise ValueError(f"does not start with {ARMOR_BEGIN!r}")
    if lines[-1] != ARMOR_END or len(lines) < 3:
        raise ValueError(f"does not end with {ARMOR_END!r}")
    body = "".join(lines[1:-1])
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the text between the armor lines is not base64") from None
    if not blob.startswith(_SSHSIG_MAGIC):
        raise ValueError("the decoded data is not an SSHSIG signature")
    r = _Reader(blob[len(_SSHSIG_MAGIC) :])
    try:
        version = r.u32()
        key_blob = r.string()
        namespace = r.string()
        r.string()  # reserved
        hash_alg = r.string()
        r.string()  # the signature proper; checked by ssh-keygen
        key_type = _Reader(key_blob).string().decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the SSHSIG data is truncated or corrupt") from None
    if version != 1:
        raise ValueError(f"unsupported SSHSIG version {version}")
    if r.pos != len(r.data):
        raise ValueError("the SSHSIG data has trailing bytes")
    return _Envelope(
        key_type=key_type,
        key_blob=key_blob,
        namespace=namespace.decode("utf-8", "replace"),
        hash_alg=hash_alg.decode("ascii", "replace"),
    )


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Verification:
    """The result of checking one signature; `message` is for humans (why it failed)."""

    ok: bool
    principal: str | None
    key_fingerprint: str | None
    message: str


def _ssh_keygen() -> str:
    """Path of ssh-keygen, or a clear error when OpenSSH is not installed."""
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise ToolMissingError("ssh-keygen is not installed (Debian: apt-get install openssh-client)")
    return exe


def _run_keygen(
    args: list[str], stdin: bytes, *, agent: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run ssh-keygen with no terminal and a fixed time zone (for valid-after/before)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": "UTC", "LC_ALL": "C"}
    if agent and "SSH_AUTH_SOCK" in os.environ:
        env["SSH_AUTH_SOCK"] = os.environ["SSH_AUTH_SOCK"]  # a .pub key whose secret is in the agent
    return subprocess.run(
        [_ssh_keygen(), *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=_TIMEOUT_S,
        start_new_session=True,  # no controlling tty: never prompt for a passphrase
        check=False,
    )


def _fail(message: str, principal: str | None = None, fp: str | None = None) -> Verification:
    """A failed Verification; every rejection goes through here so none reads as ok."""
    return Verification(ok=False, principal=principal, key_fingerprint=fp, message=message)


def verify(payload: bytes, signature: str, signers: AllowedSigners) -> Verification:
    """Check one evaluation's signature against the allowed signers (any principal may sign)."""
    if not isinstance(signature, str):
        return _verify(payload, signature, signers)
    key = (bytes(payload), signature)
    hit = signers._memo.get(key)
    if hit is None:
        hit = _verify(payload, signature, signers)
        signers._memo[key] = hit
    return hit


def verify_many(
    items: Iterable[tuple[bytes, str]], signers: AllowedSigners, jobs: int | None = None
) -> list[Verification]:
    """Verify many signatures on all cores (each check is one ssh-keygen process)."""
    work = list(items)
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(work) <= 1:
        return [verify(p, s, signers) for p, s in work]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda ps: verify(ps[0], ps[1], signers), work))


def _verify(payload: bytes, signature: object, signers: AllowedSigners) -> Verification:
    """Explain cheap failures from the envelope, then let ssh-keygen decide."""
    if signature is None or (isinstance(signature, str) and not signature.strip()):
        return _fail("missing signature: a gate evaluation must be signed (ssh-keygen -Y sign -n srchgen-gate)")
    if not isinstance(signature, str):
        return _fail(f"malformed signature: expected armored text, got {type(signature).__name__}")
    try:
        env = _parse_armor(signature)
    except ValueError as exc:
        return _fail(f"malformed signature: {exc}")
    fp = fingerprint(env.key_blob)
    if env.namespace != NAMESPACE:
        return _fail(
            f"wrong signature namespace {env.namespace!r}: gate evaluations are signed "
            f"with -n {NAMESPACE}",
            fp=fp,
        )
    if env.hash_alg not in ("sha256", "sha512"):
        return _fail(f"malformed signature: unsupported hash algorithm {env.hash_alg!r}", fp=fp)

    if env.key_type.endswith(_CERT_SUFFIX):
        candidates = _find_principals(signature, signers)
    else:
        candidates = [e.principal for e in signers.by_key(env.key_blob) if e.principal]
    if not candidates:
        return _fail(
            f"unknown signer: key {fp} is not in the allowed signers file {signers.path}", fp=fp
        )

    stamp = _payload_time(payload)
    last_err = ""
    for principal in dict.fromkeys(candidates):
        proc = _keygen_verify(payload, signature, signers, principal, stamp)
        if proc.returncode == 0:
            m = re.search(rb"with \S+ key (SHA256:[A-Za-z0-9+/]+)", proc.stdout)
            shown = m.group(1).decode() if m else fp
            return Verification(True, principal, shown, f"good signature by {principal} ({shown})")
        last_err = _keygen_reason(proc.stderr)
    if last_err:
        return _fail(f"signature rejected for {candidates[0]}: {last_err}", candidates[0], fp)
    return _fail(
        "signature does not verify: the id, outcome, evaluation time or artifact hashes "
        "differ from what was signed",
        candidates[0],
        fp,
    )


def _keygen_reason(stderr: bytes) -> str:
    """ssh-keygen's own reason when it is more specific than 'bad signature' (key options)."""
    text = stderr.decode("utf-8", "replace")
    for line in text.splitlines():
        # e.g. "allowed:1: key has expired: ..." or "key is not permitted ... namespace"
        m = re.match(r"^.*?:\d+: (key .*)$", line)
        if m:
            return m.group(1)
    return ""


def _keygen_verify(
    payload: bytes, signature: str, signers: AllowedSigners, principal: str, stamp: str | None
) -> subprocess.CompletedProcess[bytes]:
    """One `ssh-keygen -Y verify` against a private snapshot of the allowed_signers text."""
    with tempfile.TemporaryDirectory(prefix="srchgen-sig-") as tmp:
        allowed = Path(tmp, "allowed_signers")
        allowed.write_text(signers.text, encoding="utf-8")
        sig = Path(tmp, "evaluation.sig")
        sig.write_text(signature.replace("\r\n", "\n").strip() + "\n", encoding="ascii", errors="replace")
        args = ["-Y", "verify", "-n", NAMESPACE, "-f", str(allowed), "-I", principal, "-s", str(sig)]
        if stamp:
            # Keys' valid-after/valid-before are judged at the evaluation time, so that
            # a build's verdict never depends on the clock (SPEC §2, §6 determinism).
            args[2:2] = ["-O", f"verify-time={stamp}"]
        return _run_keygen(args, payload)


def _find_principals(signature: str, signers: AllowedSigners) -> list[str]:
    """Principals for a certificate-signed evaluation, as ssh-keygen resolves them."""
    with tempfile.TemporaryDirectory(prefix="srchgen-sig-") as tmp:
        allowed = Path(tmp, "allowed_signers")
        allowed.write_text(signers.text, encoding="utf-8")
        sig = Path(tmp, "evaluation.sig")
        sig.write_text(signature.strip() + "\n", encoding="ascii", errors="replace")
        proc = _run_keygen(["-Y", "find-principals", "-f", str(allowed), "-s", str(sig)], b"")
    if proc.returncode != 0:
        return []
    names = proc.stdout.decode("utf-8", "replace").split()
    return [n for n in names if not n.startswith("!")]


# --------------------------------------------------------------------------- sign


def sign(payload: bytes, key: Path) -> str:
    """Sign as `ssh-keygen -Y sign -n srchgen-gate -f KEY` does; returns the armored text."""
    key = Path(key)
    if not key.is_file():
        raise SigningError(f"signing key not found: {key}")
    proc = _run_keygen(["-Y", "sign", "-n", NAMESPACE, "-f", str(key)], payload, agent=True)
    out = proc.stdout.decode("ascii", "replace")
    if proc.returncode != 0 or ARMOR_BEGIN not in out:
        err = proc.stderr.decode("utf-8", "replace").strip() or f"exit status {proc.returncode}"
        raise SigningError(f"ssh-keygen could not sign with {key}: {err}")
    text = out[out.index(ARMOR_BEGIN) :].strip() + "\n"
    _parse_armor(text)  # never hand back something verify() would call malformed
    return text
