"""The signature rule of the validate stage (SPEC §2 "Signed evaluations"), bound to one allowed_signers file.

`build.project.signature_checker` makes one `SignatureChecker` per build when `gate_signers` is set.
Called as a `validate.SignatureCheck` it returns the problems of one record's evaluation; its
`signer()` then says who signed a record that passed, so the page and the JSON can name the
signer without a second ssh-keygen run (verifications are memoised on the AllowedSigners).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from srchgen.config import _key_line
from srchgen.derive.rules import Signer
from srchgen.errors import ConfigError, Problem
from srchgen.gate.sig import GateSigError, Verification, canonical_payload, verify
from srchgen.gate.signers import AllowedSigners, AllowedSignersError, load_allowed_signers
from srchgen.check.schema import Record
from srchgen.load.source import SourceFile


def payload_of(rec: Record) -> bytes:
    """The canonical text of the record's current evaluation; ValueError when it has none or it cannot be signed."""
    ev = rec.gate_evaluation
    if ev is None:
        raise ValueError(f"{rec.id} has no gate_evaluation")
    return canonical_payload(rec.id, ev.outcome, ev.evaluated, ev.artifact_sha256)


def _config_position(config_file: Path | None) -> tuple[int, int]:
    """Line and column of `gate_signers` in pyproject.toml, so a missing file points at the setting."""
    if config_file is None:
        return 1, 1
    try:
        return _key_line(config_file.read_text(encoding="utf-8"), "gate_signers")
    except (OSError, UnicodeDecodeError):
        return 1, 1


def load_signers(path: Path, display: str, config_file: Path | None = None) -> AllowedSigners:
    """The allowed_signers file, or ConfigError (exit 2): a missing file at the setting, bad lines at their own line."""
    where = config_file.name if config_file is not None else display
    if not path.is_file():
        what = "is not a file" if path.exists() else "not found"
        raise ConfigError([Problem(where, *_config_position(config_file), f"gate_signers: allowed signers file {display} {what}")])
    if shutil.which("ssh-keygen") is None:
        raise ConfigError([Problem(where, *_config_position(config_file), "gate_signers: ssh-keygen is not installed, so signatures cannot be checked (Debian: apt-get install openssh-client)")])
    try:
        return load_allowed_signers(path)
    except AllowedSignersError as e:
        raise ConfigError([Problem(display, line, 1, f"gate_signers: {msg}") for line, msg in e.problems]) from None


class SignatureChecker:
    """A `validate.SignatureCheck` that also remembers who signed (through the memo of `verify`)."""

    def __init__(self, signers: AllowedSigners) -> None:
        self.signers = signers

    def verification(self, rec: Record) -> Verification | None:
        """ssh-keygen's verdict on the record's evaluation; None when there is none or its text cannot be formed."""
        ev = rec.gate_evaluation
        if ev is None:
            return None
        try:
            payload = payload_of(rec)
        except ValueError:
            return None
        try:
            return verify(payload, ev.signature or "", self.signers)
        except GateSigError as e:  # ssh-keygen missing: nothing can be verified
            return Verification(False, None, None, str(e))

    def signer(self, rec: Record) -> Signer | None:
        """Who signed the record's evaluation, only when the signature verified."""
        v = self.verification(rec)
        if v is None or not v.ok or v.principal is None or v.key_fingerprint is None:
            return None
        return Signer(v.principal, v.key_fingerprint, payload_of(rec))

    def __call__(self, src: SourceFile, rec: Record) -> list[Problem]:
        """The error of one record's evaluation signature (SPEC §2), at the `signature` line."""
        ev = rec.gate_evaluation
        if ev is None:
            return []
        try:
            payload_of(rec)
        except ValueError as e:
            # canonical_payload refuses what cannot be signed unambiguously (a fractional second, ...).
            where = ("gate_evaluation", "evaluated") if "evaluated" in str(e) else ("gate_evaluation",)
            return [Problem.at(src.path, src.value_pos(where), f"{'.'.join(where)}: {e}")]
        v = self.verification(rec)
        if v is None or v.ok:
            return []
        if ev.signature is None:
            pos = src.key_pos(("gate_evaluation",))
        else:
            pos = src.key_pos(("gate_evaluation", "signature"))
        return [Problem.at(src.path, pos, f"gate_evaluation.signature: {v.message}")]


def make_signature_checker(path: Path, display: str, config_file: Path | None = None) -> SignatureChecker:
    """The checker for `gate_signers`; a missing or malformed file is a config error (exit 2)."""
    return SignatureChecker(load_signers(path, display, config_file))
