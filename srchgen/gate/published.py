"""Re-checking a published Gate 2 verdict without trusting the site (issue 25, `srchgen verify`).

A site built by srchgen publishes, for each signed evaluation, the exact signed text
(`records/<HEX>/gate-payload.txt`), its signature (`gate-payload.txt.sig`) and one
registry-wide `gate/allowed_signers`. This module judges one record from what a `Fetch`
returns for those paths and for its artifacts: the signature is checked by `ssh-keygen -Y
verify` (sig.verify, at the evaluation's time, as the build does), the artifacts are hashed
again, and what the site *claims* (its data export and the record's page) must be what the
signed evaluation and those hashes imply (SPEC §3 Gate 2 rules 1-3). Nothing the site says is
taken as a result: its claims are only compared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from srchgen.gate.sig import ARMOR_BEGIN, PAYLOAD_MAGIC, GateSigError, verify
from srchgen.gate.signers import AllowedSigners

GATE_PAYLOAD = "gate-payload.txt"  # render.routes.GATE_PAYLOAD (gate may not import render); tests check they agree
GATE_SIGNATURE = "gate-payload.txt.sig"
GATE_SIGNERS = "gate/allowed_signers"
GATED = ("Verified", "Failed")  # the statuses only an evaluation can give (SPEC §3 Gate 2)

Fetch = Callable[[str], "bytes | None"]  # a site path -> its bytes, None when the site has no such file

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_PAGE_GATE = re.compile(r'data-pagefind-meta="gate">([^<]*)</span>')


@dataclass(frozen=True)
class Outcome:
    """One record's result: `verified`, `failed` or `unsigned`, and why, in one line."""

    record_id: str
    status: str
    detail: str


@dataclass(frozen=True)
class Signed:
    """A canonical payload, read back into its parts (SPEC §2 "Signed evaluations")."""

    record_id: str
    outcome: str
    evaluated: str
    hashes: tuple[str, ...]


def parse_payload(data: bytes) -> Signed:
    """The parts of a published gate-payload.txt; ValueError names what is not canonical."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
    if not text.endswith("\n"):
        raise ValueError("does not end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 5 or lines[0] != PAYLOAD_MAGIC:
        raise ValueError(f"is not a {PAYLOAD_MAGIC} evaluation (magic line, id, outcome, time, hashes)")
    rid, outcome, when, hashes = lines[1], lines[2], lines[3], lines[4:]
    if outcome not in ("passed", "failed"):
        raise ValueError(f"outcome {outcome!r} is neither passed nor failed")
    if not _TIME.fullmatch(when):
        raise ValueError(f"evaluation time {when!r} is not YYYY-MM-DDTHH:MM:SSZ")
    bad = next((h for h in hashes if not _HEX64.fullmatch(h)), None)
    if bad is not None:
        raise ValueError(f"{bad!r} is not a SHA-256 hash")
    if hashes != sorted(set(hashes)):
        raise ValueError("the hashes are not sorted and unique")
    return Signed(rid, outcome, when, tuple(hashes))


def page_claim(page: bytes | None) -> str | None:
    """The Gate 2 status a record page shows in its header, None when it shows none."""
    if page is None:
        return None
    m = _PAGE_GATE.search(page.decode("utf-8", "replace"))
    return m.group(1).strip() if m else None


def artifact_paths(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(site path, declared sha256) of each artifact the export lists; ValueError for a path that leaves the record's folder."""
    m = record["manifest"]
    hex_id = str(m["id"]).removeprefix("SRCH:")
    out = []
    for art in m.get("artifacts") or []:
        path = str(art["path"])
        name = path.removeprefix(hex_id + "/")
        if name == path or name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise ValueError(f"artifact path {path!r} is not inside {hex_id}/")
        out.append((f"records/{hex_id}/artifacts/{name}", str(art.get("sha256", ""))))
    return out


def is_gated(record: Mapping[str, Any], page: bytes | None = None) -> bool:
    """Whether there is a Gate 2 claim to check: an evaluation, or a status only an evaluation gives."""
    m, d = record.get("manifest", {}), record.get("derived", {})
    return m.get("gate_evaluation") is not None or d.get("gate_status") in GATED or page_claim(page) in GATED


def check_record(record: Mapping[str, Any], fetch: Fetch, signers: AllowedSigners | None, page: bytes | None) -> Outcome:
    """Judge one record of the data export from the site's files (see the module docstring)."""
    m, d = record["manifest"], record["derived"]
    rid = str(m["id"])
    hex_id = rid.removeprefix("SRCH:")
    claims = {c for c in (d.get("gate_status"), page_claim(page)) if c is not None}
    ev = m.get("gate_evaluation")
    base = f"records/{hex_id}/"
    payload, signature = fetch(base + GATE_PAYLOAD), fetch(base + GATE_SIGNATURE)

    def fail(why: str) -> Outcome:
        return Outcome(rid, "failed", why)

    if payload is None and signature is None:
        gated = sorted(claims & set(GATED))
        if ev is None:
            return fail(f"the site claims {' and '.join(gated) or 'a Gate 2 evaluation'} but publishes no evaluation behind it (no {base}{GATE_PAYLOAD})")
        if signers is not None or d.get("gate_signed"):
            return fail(f"the registry signs its evaluations ({GATE_SIGNERS} is published) but this one publishes no signed text ({base}{GATE_PAYLOAD} is missing)")
        return Outcome(rid, "unsigned", f"the evaluation of {ev.get('evaluated')} is unsigned (the site publishes no signature for it): nothing to check")
    if payload is None or signature is None:
        missing = base + (GATE_PAYLOAD if payload is None else GATE_SIGNATURE)
        return fail(f"{missing} is missing")
    try:
        signed = parse_payload(payload)
    except ValueError as e:
        return fail(f"payload {base}{GATE_PAYLOAD} {e}")
    if signed.record_id != rid:
        return fail(f"payload {base}{GATE_PAYLOAD} is the evaluation of {signed.record_id}, not of {rid}")
    if signers is None:
        return fail(f"{GATE_SIGNERS} is missing, so the signature cannot be checked")
    text = signature.decode("ascii", "replace")
    if ARMOR_BEGIN not in text:
        return fail(f"signature {base}{GATE_SIGNATURE} is not an armored SSH signature")
    try:
        v = verify(payload, text, signers)
    except GateSigError as e:
        return fail(str(e))
    if not v.ok:
        return fail(f"signature {base}{GATE_SIGNATURE}: {v.message}")
    claimed_signer = d.get("gate_signer")
    if claimed_signer and claimed_signer != v.principal:
        return fail(f"the site names {claimed_signer} as the signer, but the signature is by {v.principal}")
    # the artifacts, hashed again
    try:
        arts = artifact_paths(record)
    except ValueError as e:
        return fail(str(e))
    found: list[str] = []
    for path, declared in arts:
        data = fetch(path)
        if data is None:
            return fail(f"artifact {path} is missing")
        digest = hashlib.sha256(data).hexdigest()
        if declared and digest != declared.lower():
            return fail(f"artifact {path} has SHA-256 {digest}, but the record declares {declared}")
        found.append(digest)
    now = sorted(set(found))
    match = now == list(signed.hashes)
    expected = ("Verified" if signed.outcome == "passed" else "Failed") if match else "Unverified"
    wrong = sorted(c for c in claims if c != expected)
    if wrong:
        if not match:
            extra = [p for (p, _), h in zip(arts, found) if h not in signed.hashes]
            what = f"artifact {extra[0]} is not among the hashes the signature covers" if extra else "an artifact the signature covers is not published"
            return fail(f"the site claims {wrong[0]}, but {what}")
        return fail(f"the site claims {wrong[0]}, but the signed evaluation says {signed.outcome} ({expected})")
    if ev is not None and (ev.get("outcome"), _utc(ev.get("evaluated"))) != (signed.outcome, signed.evaluated):
        return fail(f"the record's gate_evaluation ({ev.get('outcome')}, {ev.get('evaluated')}) differs from the signed text ({signed.outcome}, {signed.evaluated})")
    arts_text = f"{len(found)} artifact{'s' if len(found) != 1 else ''} match" if match else "the artifacts changed after it (the site says Unverified, as it should)"
    return Outcome(rid, "verified", f"{signed.outcome} on {signed.evaluated}, signed by {v.principal} ({v.key_fingerprint}); {arts_text}")


def _utc(value: object) -> str | None:
    """An export's `evaluated` (any zone) as the signed form writes it, None when it is not a date-time."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        return None
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def select(records: Sequence[Mapping[str, Any]], ids: Sequence[str]) -> tuple[list[Mapping[str, Any]], list[str]]:
    """The records named by `ids` (SRCH:XXXXXXXX or XXXXXXXX), and the ids the export does not hold."""
    if not ids:
        return list(records), []
    want = {("SRCH:" + i.strip().upper().removeprefix("SRCH:")) for i in ids}
    chosen = [r for r in records if r["manifest"]["id"] in want]
    missing = sorted(want - {r["manifest"]["id"] for r in chosen})
    return chosen, missing


def signers_of(text: bytes, where: Path) -> AllowedSigners:
    """The allowed_signers a site publishes (or the reader supplies); AllowedSignersError when malformed."""
    from srchgen.gate.signers import AllowedSignersError, parse_allowed_signers

    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise AllowedSignersError(where, [(1, "not UTF-8")]) from None
    return parse_allowed_signers(decoded, where)
