"""Derive stage: the public triage fields of SPEC §3, one pure function per rule.

Every sentence that quotes a threshold or a date prints it from Config, so the quality
guide (which calls these same functions) and the record pages cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum
from typing import Sequence

from srchgen.check import relevance
from srchgen.config import Config
from srchgen.check.schema import ArtifactKind, Correction, CorrectionType, Record, corrections_in_force, sufficient_artifacts
from srchgen.load.source import abstract_of

GATE_NAME = "Gate 2 — Verification (formal proof or sandbox reproduction)"
TIER_FOOTNOTE = "Descriptive public triage only; this tier does not alter current publication or DOI behavior."
DIMENSIONS_FOOTNOTE = "Automated triage signals derived from public fields; not human peer review or independent validation."
CORRECTIONS_FOOTNOTE = "Public corrections are additive records. Current status does not claim the synthesis is error-free."
VERIFICATION_FOOTNOTE = (
    "Descriptive public verification status only; aggregate claim counts are public, "
    "but individual claim records are not exposed here."
)
VERIFICATION_FOOTNOTE_SOURCED = (
    "Descriptive public verification status only; aggregate claim counts are public, "
    "and the individual claim records are published at the claim record source."
)
UNVERIFIED_FOOTNOTE = (
    "This record has not completed Gate 2 of the verification pipeline (a type-checked Lean4 proof "
    "for mathematical claims, or a sealed-sandbox reproduction for empirical claims). It is a literature "
    "synthesis only. VERIFIED requires an attached reproducible artifact (Lean4 proof source, or repro "
    "script and results) before this status can be set; it is not derived from review score or claim count."
)
PENDING_FOOTNOTE = (
    "This record carries a reproducible artifact that is awaiting Gate 2 evaluation. Until it is "
    "evaluated it is a literature synthesis only; VERIFIED is set only by a passed evaluation of the "
    "attached artifact, never from review score or claim count."
)
FAILED_FOOTNOTE = (
    "Gate 2 evaluated the attached artifact and it did not hold. This record is a literature synthesis "
    "only; its claims are not verified by the attached artifact."
)
VERIFIED_FOOTNOTE = (
    "Gate 2 evaluated the attached artifact and it held. VERIFIED is set only by an evaluation of the "
    "attached reproducible artifact, never from review score or claim count."
)
MANIFEST_CONTRACT = "paper-manifest-v1.1"
CORRECTION_CONTRACT = "correction-record-v1"
PROVENANCE_CONTRACT = "source-provenance-v1"
GUIDE_LINK_TEXT = "How to read scores, claims, manifests, and evidence links"


class Level(str, Enum):
    """Paper-level verification (SPEC §3)."""

    L1 = "L1, Literature synthesis"
    L2 = "L2, Source-grounded claims"
    L3 = "L3, Gate-verified"


class Provenance(str, Enum):
    L4 = "L4, External archival record"
    L3 = "L3, Claim aggregate record"
    L2 = "L2, Public artifact record"
    L1 = "L1, Unpublished record"


class Tier(str, Enum):
    QUARANTINE = "Quarantine candidate"
    WATCHLIST = "Watchlist"
    DOI_GRADE = "DOI grade"


class Gate(str, Enum):
    VERIFIED = "Verified"
    PENDING = "Pending"
    FAILED = "Failed"
    UNVERIFIED = "Unverified"


class Grade(str, Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Status(str, Enum):
    """Correction status, most severe first (SPEC §3)."""

    RETRACTED = "RETRACTED"
    WITHDRAWN = "WITHDRAWN"
    PARTIALLY_RETRACTED = "PARTIALLY RETRACTED"
    EXPRESSION_OF_CONCERN = "EXPRESSION OF CONCERN"
    REINSTATED = "REINSTATED"
    CORRECTED = "CORRECTED"
    UPDATED = "UPDATED"
    CURRENT = "CURRENT"


_SEVERITY = list(Status)
_STATUS_OF = {
    CorrectionType.retraction: Status.RETRACTED,
    CorrectionType.withdrawal: Status.WITHDRAWN,
    CorrectionType.partial_retraction: Status.PARTIALLY_RETRACTED,
    CorrectionType.expression_of_concern: Status.EXPRESSION_OF_CONCERN,
    CorrectionType.reinstatement: Status.REINSTATED,
    CorrectionType.correction: Status.CORRECTED,
    CorrectionType.corrigendum: Status.CORRECTED,
    CorrectionType.erratum: Status.CORRECTED,
    CorrectionType.addendum: Status.UPDATED,
    CorrectionType.clarification: Status.UPDATED,
}


@dataclass(frozen=True)
class Signer:
    """Who signed an evaluation, known only after ssh-keygen verified it (SPEC §2)."""

    principal: str
    key: str  # the key's fingerprint, SHA256:...
    # The exact bytes ssh-keygen verified (gate.sig.canonical_payload), published beside the
    # record page with the signature so a reader can run the same check (issue 25).
    payload: bytes = b""


@dataclass(frozen=True)
class GateVerdict:
    status: Gate
    reason: str
    evaluated: str  # what the "Evaluated" row shows
    footnote: str
    signed: bool | None  # None: no evaluation; False: no verified signature
    signer: Signer | None = None  # set only when the signature verified


@dataclass(frozen=True)
class Dimension:
    name: str
    grade: Grade


@dataclass(frozen=True)
class Derived:
    """Everything computed from a record; never written by authors."""

    level: Level
    provenance: Provenance
    tier: Tier
    tier_basis: str
    gate: GateVerdict
    dimensions: tuple[Dimension, ...]
    status: Status
    in_force: tuple[Correction, ...]
    uncertainty_disclosed: bool
    checks: tuple["Check", ...] = ()  # what the automated checks found (issue 14): signals, never a tier


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """'1 aggregate source-grounded claim', '6 aggregate source-grounded claims' (SPEC §3)."""
    return f"{n} {singular if n == 1 else (plural_form or singular + 's')}"


def fmt_threshold(x: float) -> str:
    """7.5 -> '7.5', 5.0 -> '5.0': thresholds printed as configured, never as 7.500000."""
    s = f"{x:.2f}".rstrip("0")
    return s + "0" if s.endswith(".") else s


def derive_status(corrections: Sequence[Correction]) -> Status:
    """CURRENT with no entries, else the most severe status in force."""
    if not corrections:
        return Status.CURRENT
    statuses = [_STATUS_OF[c.type] for c in corrections_in_force(corrections)]
    return min(statuses, key=_SEVERITY.index)


def derive_provenance(record: Record) -> Provenance:
    if record.is_registered:
        return Provenance.L4
    if record.claims.source_grounded >= 1:
        return Provenance.L3
    if record.report_artifact:
        return Provenance.L2
    return Provenance.L1


def derive_level(record: Record, gate: Gate) -> Level:
    if gate is Gate.VERIFIED:
        return Level.L3
    return Level.L2 if record.claims.source_grounded >= 1 else Level.L1


def _last(in_force: Sequence[Correction], types: set[CorrectionType]) -> Correction | None:
    found = [c for c in in_force if c.type in types]
    return found[-1] if found else None


_TIER_DOI_BASIS = "Review score and verified-claim count meet DOI-grade public quality thresholds."
_TIER_WATCH_BASIS = "Review score or public verified-claim signal is below DOI-grade threshold."


def quarantine_basis(config: Config) -> str:
    return (
        f"Review score is below {fmt_threshold(config.quarantine_below_score)}; "
        "source-level inspection is required before relying on the synthesis."
    )


def derive_tier(record: Record, config: Config) -> tuple[Tier, str]:
    """Quality tier and its Basis sentence, first rule that applies (SPEC §3)."""
    in_force = corrections_in_force(record.corrections)
    pulled = _last(in_force, {CorrectionType.retraction, CorrectionType.withdrawal})
    if pulled is not None:
        verb = "retracted" if pulled.type is CorrectionType.retraction else "withdrawn"
        return Tier.QUARANTINE, f"Record {verb} on {pulled.date.isoformat()}; see the correction record."
    if record.review.score < config.quarantine_below_score:
        return Tier.QUARANTINE, quarantine_basis(config)
    concern = _last(in_force, {CorrectionType.expression_of_concern, CorrectionType.partial_retraction})
    if concern is not None:
        what = "An expression of concern" if concern.type is CorrectionType.expression_of_concern else "A partial retraction"
        return Tier.WATCHLIST, f"{what} was issued on {concern.date.isoformat()}; see the correction record."
    if record.review.score >= config.doi_grade_min_score and record.claims.source_grounded >= config.doi_grade_min_claims:
        return Tier.DOI_GRADE, _TIER_DOI_BASIS
    return Tier.WATCHLIST, _TIER_WATCH_BASIS


def artifact_hashes(record: Record) -> frozenset[str]:
    return frozenset(a.sha256 for a in record.artifacts)


def _evidence_kind(record: Record) -> str:
    kinds = {a.kind for a in record.artifacts}
    return "formal proof" if ArtifactKind.lean4_proof in kinds else "sandbox reproduction"


def fmt_timestamp(t: dt.datetime) -> str:
    return t.isoformat()


def derive_gate(record: Record, config: Config, signer: Signer | None = None) -> GateVerdict:
    """Gate 2 verdict, first branch that applies (SPEC §3).

    `signer` is who signed the evaluation, as the signature check found it; without one the
    evaluation is shown as unsigned, whatever the YAML says (SPEC §2: signed means verified).
    """
    ev = record.gate_evaluation
    signer = signer if ev is not None else None
    signed = None if ev is None else signer is not None
    if ev is not None:
        day = ev.evaluated.astimezone(dt.timezone.utc).date().isoformat()
        stamp = fmt_timestamp(ev.evaluated)
        if frozenset(ev.artifact_sha256) != artifact_hashes(record):
            return GateVerdict(
                Gate.UNVERIFIED,
                f"The attached artifacts changed after the evaluation on {day}; re-evaluation required.",
                stamp,
                UNVERIFIED_FOOTNOTE,
                signed,
                signer,
            )
        if ev.outcome == "passed":
            held = (
                "the attached Lean4 proof type-checked"
                if _evidence_kind(record) == "formal proof"
                else "a sealed-sandbox reproduction matched the attached results"
            )
            return GateVerdict(Gate.VERIFIED, f"Evaluated on {day}: {held}.", stamp, VERIFIED_FOOTNOTE, signed, signer)
        failed = (
            "the attached Lean4 proof did not type-check"
            if _evidence_kind(record) == "formal proof"
            else "a sealed-sandbox reproduction did not match the attached results"
        )
        return GateVerdict(Gate.FAILED, f"Evaluated on {day}: {failed}.", stamp, FAILED_FOOTNOTE, signed, signer)
    if sufficient_artifacts(record):
        return GateVerdict(Gate.PENDING, "Awaiting Gate 2 evaluation.", "Not yet evaluated", PENDING_FOOTNOTE, signed, signer)
    kinds = {a.kind for a in record.artifacts}
    if not kinds and record.submitted < config.gate_activated:
        return GateVerdict(
            Gate.UNVERIFIED,
            f"Published before the Gate 2 verification pipeline was activated ({config.gate_activated.isoformat()}). "
            "No formal proof or sandbox reproduction has been attempted for this record.",
            fmt_timestamp(config.gate_initial_evaluation),
            UNVERIFIED_FOOTNOTE,
            signed,
        )
    if not kinds:
        missing = "No reproducible artifact is attached (a Lean4 proof, or a repro script and its results)."
    elif ArtifactKind.repro_script in kinds:
        missing = "A repro script is attached without repro results; both are needed for a sandbox reproduction."
    else:
        missing = "Repro results are attached without the repro script that produces them; both are needed."
    return GateVerdict(Gate.UNVERIFIED, missing, "Not evaluated", UNVERIFIED_FOOTNOTE, signed, signer)


_UNCERTAINTY = re.compile(r"^ {0,3}##[ \t]+(limitations|uncertainty)", re.I | re.M)


def discloses_uncertainty(body: str) -> bool:
    """A level-2 heading starting with 'Limitations' or 'Uncertainty', any case (SPEC §3)."""
    return _UNCERTAINTY.search(body) is not None


def derive_dimensions(record: Record, gate: Gate, body: str, config: Config) -> tuple[Dimension, ...]:
    verified = gate is Gate.VERIFIED
    claims = record.claims.source_grounded
    dims = []
    evidence = Grade.HIGH if verified else Grade.MEDIUM if claims >= config.doi_grade_min_claims else Grade.LOW
    dims.append(Dimension("Evidence strength", evidence))
    if claims > 0:
        grounding = Grade.HIGH if record.claims.record_source else Grade.MEDIUM
        dims.append(Dimension("Citation grounding", grounding))
    dims.append(Dimension("Uncertainty disclosure", Grade.HIGH if discloses_uncertainty(body) else Grade.MEDIUM))
    repro = Grade.HIGH if (record.is_registered or verified) else Grade.MEDIUM if record.report_artifact else Grade.LOW
    dims.append(Dimension("Reproducibility status", repro))
    return tuple(dims)


@dataclass(frozen=True)
class Check:
    """One finding of the automated checks on a record's text (the lints of SPEC §2), shown on
    its page beside the tier: a signal for the reader, not a verdict, and never a tier of its own."""

    id: str  # stable, for the JSON and the search filter
    label: str  # short: the search filter's value and the notice's heading
    text: str  # one or two sentences for the page


CHECK_MISMATCH = "abstract-question-mismatch"
CHECK_CUT_SHORT = "abstract-cut-short"
CHECK_DUPLICATE = "abstract-duplicate"  # across records: found once every record is known (render.dupes_of)
CHECK_LABELS = {
    CHECK_MISMATCH: "Abstract may not address the question",
    CHECK_CUT_SHORT: "Abstract cut short in its source",
    CHECK_DUPLICATE: "Same abstract as another record",
}
NO_CHECKS_LABEL = "No findings"
CHECKS_FOOTNOTE = (
    "Automated checks read the record's text; they are signals for the reader, not verdicts, "
    "and they do not change the quality tier."
)
_ABSTRACT_END = re.compile(r"(…|\.\.\.)[\s*_)\]\"'”’]*\Z")


def derive_checks(record: Record, body: str) -> tuple[Check, ...]:
    """The automated checks that need only this record: the relevance lint (SPEC §2) and an
    abstract that ends in an ellipsis (the seeds' abstracts survive only cut short)."""
    abstract = abstract_of(body)  # as lint.py reads it, so the relevance score is computed once (memoised)
    found = []
    if abstract.strip() and not relevance.addresses_question(record.research_question, abstract):
        missing = [term for term, _, present in relevance.explain(record.research_question, abstract) if not present][:6]
        terms = f" (question terms it never mentions: {', '.join(missing)})" if missing else ""
        found.append(Check(
            CHECK_MISMATCH, CHECK_LABELS[CHECK_MISMATCH],
            f"An automated check found that this abstract may not address the record's research question{terms}. "
            "Compare the two before relying on the synthesis.",
        ))
    if _ABSTRACT_END.search(abstract.rstrip()):
        found.append(Check(
            CHECK_CUT_SHORT, CHECK_LABELS[CHECK_CUT_SHORT],
            "The abstract ends with an ellipsis: only a cut version of it survives in the source. "
            "The full text is in the report, where one is linked.",
        ))
    return tuple(found)


def derive(record: Record, body: str, config: Config, signer: Signer | None = None) -> Derived:
    """All derived fields of one record; pure (`signer` comes from the signature check)."""
    gate = derive_gate(record, config, signer)
    tier, basis = derive_tier(record, config)
    return Derived(
        level=derive_level(record, gate.status),
        provenance=derive_provenance(record),
        tier=tier,
        tier_basis=basis,
        gate=gate,
        dimensions=derive_dimensions(record, gate.status, body, config),
        status=derive_status(record.corrections),
        in_force=tuple(corrections_in_force(record.corrections)),
        uncertainty_disclosed=discloses_uncertainty(body),
        checks=derive_checks(record, body),
    )
