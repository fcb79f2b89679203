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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

NAMESPACE = "srchgen-gate"
PAYLOAD_MAGIC = "srchgen-gate-v1"
OUTCOMES = ("passed", "failed")
ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SSHSIG_MAGIC = b"SSHSIG"
_TIMEOUT_S = 30.0

# Key types ssh-keygen can verify SSHSIG signatures with (OpenSSH 8.x/9.x).
_KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-dss",
    }
)
_CERT_SUFFIX = "-cert-v01@openssh.com"
_OPTION_NAMES = frozenset({"cert-authority", "namespaces", "valid-after", "valid-before"})


class GateSigError(Exception):
    """Base class so callers can catch every gate-signature failure at once."""


class AllowedSignersError(GateSigError):
    """The allowed_signers file is unreadable or has bad lines; `problems` holds (line, message)."""

    def __init__(self, path: Path, problems: Sequence[tuple[int, str]]) -> None:
        self.path = path
        self.problems = tuple(problems)
        text = "; ".join(f"{path}:{line}: {msg}" for line, msg in self.problems)
        super().__init__(text)


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


# --------------------------------------------------------------------------- allowed signers


@dataclass(frozen=True)
class SignerEntry:
    """One line of an allowed_signers file."""

    line: int
    principals: tuple[str, ...]
    options: tuple[tuple[str, str | None], ...]
    key_type: str
    key_blob: bytes

    @property
    def cert_authority(self) -> bool:
        """Whether this key signs certificates rather than evaluations directly."""
        return any(name == "cert-authority" for name, _ in self.options)

    @property
    def principal(self) -> str | None:
        """The first positive principal pattern, shown as the signer's name."""
        return next((p for p in self.principals if not p.startswith("!")), None)


@dataclass
class AllowedSigners:
    """A parsed, validated allowed_signers file; its exact bytes are what ssh-keygen sees."""

    path: Path
    text: str
    entries: tuple[SignerEntry, ...]
    # Verification is a pure function of (payload, signature, file); memoised for `serve`.
    _memo: dict[tuple[bytes, str], Verification] = field(default_factory=dict, repr=False)

    def by_key(self, key_blob: bytes) -> list[SignerEntry]:
        """Entries holding exactly this public key."""
        return [e for e in self.entries if e.key_blob == key_blob and not e.cert_authority]


def _split_options(field_text: str) -> list[tuple[str, str | None]]:
    """Split `a,b="x,y"` into options, honouring double quotes as sshd does."""
    out: list[tuple[str, str | None]] = []
    for m in re.finditer(r'([^,="]+)(?:="([^"]*)")?(?:,|$)', field_text):
        out.append((m.group(1).lower(), m.group(2)))
    rebuilt = ",".join(n if v is None else f'{n}="{v}"' for n, v in out)
    if rebuilt.lower() != field_text.lower():
        raise ValueError(f"bad options {field_text!r} (values must be double-quoted)")
    return out


def _tokens(line: str) -> list[str]:
    """Split a line on blanks, keeping double-quoted runs (option values may hold spaces)."""
    return re.findall(r'(?:[^\s"]+|"[^"]*")+', line)


def parse_allowed_signers(text: str, path: Path) -> AllowedSigners:
    """Parse allowed_signers text (ssh-keygen(1) ALLOWED SIGNERS); every bad line is reported."""
    problems: list[tuple[int, str]] = []
    entries: list[SignerEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        toks = _tokens(line)
        if len(toks) < 3:
            problems.append((number, "expected 'principals [options] key-type base64-key'"))
            continue
        principals_field = toks[0].strip('"')
        principals = tuple(p for p in principals_field.split(",") if p)
        if not principals or not any(not p.startswith("!") for p in principals):
            problems.append((number, "no principal pattern"))
            continue
        idx = 1
        options: list[tuple[str, str | None]] = []
        if toks[1] not in _KEY_TYPES:
            if len(toks) == 3:
                problems.append((number, f"unknown key type {toks[1]!r}"))
                continue
            try:
                options = _split_options(toks[1])
            except ValueError as exc:
                problems.append((number, str(exc)))
                continue
            unknown = [n for n, _ in options if n not in _OPTION_NAMES]
            if unknown:
                problems.append((number, f"unknown option {unknown[0]!r}"))
                continue
            idx = 2
        if len(toks) < idx + 2:
            problems.append((number, "missing key type or key"))
            continue
        key_type, key_b64 = toks[idx], toks[idx + 1]
        if key_type not in _KEY_TYPES:
            problems.append((number, f"unknown key type {key_type!r}"))
            continue
        try:
            key_blob = base64.b64decode(key_b64, validate=True)
            inner = _Reader(key_blob).string().decode("ascii")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            problems.append((number, "the key is not valid base64 key data"))
            continue
        if inner != key_type:
            problems.append((number, f"key data is {inner!r} but the line says {key_type!r}"))
            continue
        entries.append(SignerEntry(number, principals, tuple(options), key_type, key_blob))
    if problems:
        raise AllowedSignersError(path, problems)
    if not entries:
        raise AllowedSignersError(path, [(1, "no signer keys in the file")])
    return AllowedSigners(path=path, text=text, entries=tuple(entries))


def load_allowed_signers(path: Path) -> AllowedSigners:
    """Read and validate `gate_signers` once per build (SPEC §2)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AllowedSignersError(Path(path), [(1, f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AllowedSignersError(Path(path), [(line, "not UTF-8")]) from None
    return parse_allowed_signers(text, Path(path))


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
