"""What `srchgen gate payload|record|run` do (issue 7, SPEC §2 "Signed evaluations", §3 Gate 2).

The verification pipeline's side of Gate 2: find a record, form the canonical text of an
evaluation, sign it and write it into the record without touching any other byte, and run the
record's artifacts in the sandbox. srchgen/cli/gate.py only turns these results into output and exit codes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srchgen.config import Config
from srchgen.errors import Problem
from srchgen.gate.check import load_signers
from srchgen.gate.sig import canonical_payload, format_evaluated, sign, verify
from srchgen.gate.write import set_gate_evaluation
from srchgen.gate.sandbox import ReproOutcome, check_lean, run_repro
from srchgen.check.schema import ArtifactKind, Record, sufficient_artifacts
from srchgen.check.schema_errors import check_schema
from srchgen.load.source import SourceFile, load_source
from srchgen.check.validate import validate_one


class GateError(Exception):
    """The command cannot go on (exit 1); `problems` are printed first when there are any."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class Target:
    """One record named on the command line, as read from disk."""

    file: Path
    source: SourceFile
    record: Record


_ID = re.compile(r"(?:SRCH:)?([0-9A-Fa-f]{8})(?:\.md)?")


def find_record(records: Path, display: str, ident: str) -> Target:
    """The record `SRCH:08EA5386` (or `08EA5386`) under `records`, parsed; GateError when absent or unreadable."""
    m = _ID.fullmatch(ident.strip())
    if not m:
        raise GateError(f"{ident!r} is not a record id; expected SRCH: followed by 8 hex digits, e.g. SRCH:08EA5386")
    name = m.group(1).upper() + ".md"
    file = records / name
    if not file.exists():
        raise GateError(f"no record {display}/{name}")
    src, problems = load_source(file, records, display)
    if src is None:
        raise GateError(f"{display}/{name} cannot be read", problems)
    rec, schema_problems = check_schema(src)
    if rec is None:
        raise GateError(f"{display}/{name} does not match the schema; fix it first", schema_problems)
    return Target(file, src, rec)


def parse_time(text: str) -> dt.datetime:
    """`--at`: an ISO date-time with a time zone and whole seconds; ValueError says what is wrong."""
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time such as 2026-07-01T12:00:00Z") from None
    format_evaluated(t)  # a time zone and whole seconds, as the signed form needs
    return t


def current_hashes(target: Target) -> list[str]:
    """The sha256 of every attached artifact file now (what an evaluation signs); GateError when one is unusable."""
    rec, src = target.record, target.source
    hashes = []
    for i, art in enumerate(rec.artifacts):
        fact = src.artifacts.get(art.path)
        if fact is None or fact.problem or fact.sha256 is None:
            why = fact.problem if fact is not None and fact.problem else "cannot be read"
            raise GateError(f"artifacts[{i}].path: '{art.path}' {why}")
        hashes.append(fact.sha256)
    if not hashes:
        raise GateError(f"{rec.id} has no artifacts to evaluate (a lean4-proof, or a repro-script and repro-results)")
    return hashes


def current_payload(target: Target) -> bytes:
    """The canonical text of the record's current evaluation."""
    ev = target.record.gate_evaluation
    if ev is None:
        raise GateError(f"{target.record.id} has no gate_evaluation; give --outcome (and --at) for a prospective one")
    try:
        return canonical_payload(target.record.id, ev.outcome, ev.evaluated, ev.artifact_sha256)
    except ValueError as e:
        raise GateError(f"gate_evaluation: {e}") from None


def prospective_payload(target: Target, outcome: str, at: dt.datetime) -> bytes:
    """The canonical text an evaluation of the current artifacts with this outcome and time would have."""
    try:
        return canonical_payload(target.record.id, outcome, at, current_hashes(target))
    except ValueError as e:
        raise GateError(str(e)) from None


def _ready(target: Target, config: Config) -> None:
    """Refuse to sign a record whose other rules fail: the signed hashes must be the declared ones."""
    _, problems = validate_one(target.source, config)
    errors = [p for p in problems if p.severity == "error" and not p.message.startswith("gate_evaluation")]
    if errors:
        raise GateError(f"{target.source.path} has errors; fix them before recording an evaluation", errors)


@dataclass(frozen=True)
class Recorded:
    """What `gate record` wrote and who it was verified as (None when no gate_signers is configured)."""

    path: Path
    evaluation: dict[str, Any]
    signer: str | None
    key: str | None


def record_evaluation(
    target: Target, config: Config, root: Path, outcome: str, key: Path, at: dt.datetime
) -> Recorded:
    """Hash the artifacts, sign, verify against gate_signers when set, then write the record atomically."""
    _ready(target, config)
    # The rules of SPEC §2 a new evaluation must meet, checked before anything is signed.
    day = at.astimezone(dt.timezone.utc).date()
    if day > config.today:
        raise GateError(f"--at {format_evaluated(at)} is in the future (today is {config.today.isoformat()})")
    if day < target.record.submitted:
        raise GateError(f"--at {format_evaluated(at)} is before the record was submitted ({target.record.submitted.isoformat()})")
    if not sufficient_artifacts(target.record):
        raise GateError(f"{target.record.id} has no sufficient artifact set: a lean4-proof, or a repro-script together with repro-results")
    hashes = current_hashes(target)
    try:
        payload = canonical_payload(target.record.id, outcome, at, hashes)
    except ValueError as e:
        raise GateError(str(e)) from None
    signature = sign(payload, key)
    evaluation: dict[str, Any] = {
        "evaluated": at.astimezone(dt.timezone.utc),
        "outcome": outcome,
        "artifact_sha256": sorted(set(hashes)),
        "signature": signature,
    }
    signer = fp = None
    if config.gate_signers:
        signers = load_signers(root / config.gate_signers, config.gate_signers, root / "pyproject.toml")
        v = verify(payload, signature, signers)
        if not v.ok:
            raise GateError(f"the signature made with {key} does not verify against {config.gate_signers}: {v.message}; the record is unchanged")
        signer, fp = v.principal, v.key_fingerprint
    with open(target.file, encoding="utf-8", newline="") as f:
        text = f.read()
    new_text = set_gate_evaluation(text, evaluation)
    _write_atomic(target.file, new_text)
    return Recorded(target.file, evaluation, signer, fp)


def _write_atomic(path: Path, text: str) -> None:
    """Replace the file in one rename so a reader never sees half a record; its mode is kept."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass(frozen=True)
class Check:
    """One sandboxed check of a record: what was run and what it found."""

    what: str
    outcome: ReproOutcome


def run_checks(target: Target, records: Path, timeout_s: float | None, memory_mb: int | None) -> list[Check]:
    """Run the record's Gate 2 artifacts: the lean4-proof with lean, the repro-script against repro-results."""
    rec = target.record
    by_kind: dict[ArtifactKind, list[str]] = {}
    for art in rec.artifacts:
        by_kind.setdefault(art.kind, []).append(art.path)
    limits: dict[str, Any] = {}
    if timeout_s is not None:
        limits["timeout_s"] = timeout_s
    if memory_mb is not None:
        limits["memory_mb"] = memory_mb
    checks: list[Check] = []
    for proof in by_kind.get(ArtifactKind.lean4_proof, []):
        checks.append(Check(f"lean4-proof {proof}", check_lean(records / proof, **limits)))
    scripts, results = by_kind.get(ArtifactKind.repro_script, []), by_kind.get(ArtifactKind.repro_results, [])
    if scripts and results:
        for script in scripts:
            for result in results:
                checks.append(Check(f"repro-script {script} against {result}", run_repro(records / rec.hex, records / script, records / result, **limits)))
    if not checks:
        raise GateError(f"{rec.id} has no sufficient artifact set to run: a lean4-proof, or a repro-script together with repro-results")
    return checks


def overall(checks: list[Check]) -> str:
    """matched only when every check matched; any failure wins over 'unavailable' (it is evidence)."""
    statuses = [c.outcome.status for c in checks]
    if all(s == "matched" for s in statuses):
        return "matched"
    failed = [s for s in statuses if s not in ("matched", "unavailable")]
    return failed[0] if failed else "unavailable"
