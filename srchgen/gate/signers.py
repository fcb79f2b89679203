"""The allowed_signers file of Gate 2 (ssh-keygen(1) ALLOWED SIGNERS): parsing and validation.

Separate from `sig.py` because it is a file format, not cryptography: it is read once per
build (`load_allowed_signers`) or from git at a base branch (`parse_allowed_signers`), and
every bad line is reported as `path:line: message` before ssh-keygen ever sees the bytes.
`sig.verify` then checks signatures against the `AllowedSigners` parsed here.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from srchgen.gate.sig import GateSigError, Verification, _Reader

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
_OPTION_NAMES = frozenset({"cert-authority", "namespaces", "valid-after", "valid-before"})


class AllowedSignersError(GateSigError):
    """The allowed_signers file is unreadable or has bad lines; `problems` holds (line, message)."""

    def __init__(self, path: Path, problems: Sequence[tuple[int, str]]) -> None:
        self.path = path
        self.problems = tuple(problems)
        text = "; ".join(f"{path}:{line}: {msg}" for line, msg in self.problems)
        super().__init__(text)


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
