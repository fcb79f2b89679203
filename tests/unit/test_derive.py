"""SPEC §3 rules, table-driven at every boundary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from srchgen.config import Config
from srchgen.derive.rules import (
    Signer,
    Gate,
    Grade,
    Level,
    Provenance,
    Status,
    Tier,
    derive,
    derive_gate,
    derive_provenance,
    derive_status,
    derive_tier,
    fmt_threshold,
    plural,
)
from srchgen.derive.quality_guide import guide
from srchgen.check.schema import Record
from tests.conftest import manifest

H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64
CFG = Config(today=dt.date(2026, 11, 22))


def rec(**changes: Any) -> Record:
    return Record.model_validate(manifest(**changes))


def art(kind: str, h: str) -> dict[str, str]:
    return {"kind": kind, "path": f"0000000A/{kind}", "sha256": h}


def ev(outcome: str = "passed", hashes: tuple[str, ...] = (H1,), signature: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"evaluated": dt.datetime(2026, 7, 2, 12, tzinfo=dt.timezone.utc), "outcome": outcome, "artifact_sha256": list(hashes)}
    if signature:
        out["signature"] = signature
    return out


@pytest.mark.parametrize(
    "score, claims, tier",
    [
        (4.99, 9, Tier.QUARANTINE),
        (5.0, 9, Tier.DOI_GRADE),
        (5.0, 4, Tier.WATCHLIST),
        (7.49, 5, Tier.WATCHLIST),
        (7.5, 4, Tier.WATCHLIST),
        (7.5, 5, Tier.DOI_GRADE),
        (10.0, 5, Tier.DOI_GRADE),
        (0.0, 0, Tier.QUARANTINE),
        (7.5, 0, Tier.WATCHLIST),
    ],
    ids=lambda v: str(getattr(v, "name", v)),
)
def test_tier_thresholds(score: float, claims: int, tier: Tier) -> None:
    r = rec(review={"score": score}, claims={"source_grounded": claims})
    got, basis = derive_tier(r, Config(doi_grade_min_score=5.0 if claims == 9 else 7.5, today=CFG.today))
    assert got is tier
    assert basis.endswith(".")


def test_tier_basis_sentences_print_config() -> None:
    r = rec(review={"score": 5.5})
    tier, basis = derive_tier(r, Config(quarantine_below_score=6.0, today=CFG.today))
    assert (tier, basis) == (Tier.QUARANTINE, "Review score is below 6.0; source-level inspection is required before relying on the synthesis.")
    assert derive_tier(rec(review={"score": 7.5}, claims={"source_grounded": 5}), CFG)[1] == (
        "Review score and verified-claim count meet DOI-grade public quality thresholds."
    )
    assert derive_tier(rec(review={"score": 7.49}), CFG)[1] == "Review score or public verified-claim signal is below DOI-grade threshold."


def corr(date: str, type_: str) -> dict[str, Any]:
    return {"date": dt.date.fromisoformat(date), "type": type_, "summary": f"{type_} entry"}


@pytest.mark.parametrize(
    "log, status, tier, basis_start",
    [
        ([], Status.CURRENT, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "addendum")], Status.UPDATED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "clarification")], Status.UPDATED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "correction")], Status.CORRECTED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "corrigendum")], Status.CORRECTED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "erratum")], Status.CORRECTED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "addendum"), ("2026-07-03", "erratum")], Status.CORRECTED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "expression-of-concern")], Status.EXPRESSION_OF_CONCERN, Tier.WATCHLIST, "An expression of concern was issued on 2026-07-02"),
        ([("2026-07-02", "partial-retraction")], Status.PARTIALLY_RETRACTED, Tier.WATCHLIST, "A partial retraction was issued on 2026-07-02"),
        ([("2026-07-02", "retraction")], Status.RETRACTED, Tier.QUARANTINE, "Record retracted on 2026-07-02; see the correction record."),
        ([("2026-07-02", "withdrawal")], Status.WITHDRAWN, Tier.QUARANTINE, "Record withdrawn on 2026-07-02; see the correction record."),
        ([("2026-07-02", "withdrawal"), ("2026-07-03", "retraction")], Status.RETRACTED, Tier.QUARANTINE, "Record retracted on 2026-07-03"),
        ([("2026-07-02", "retraction"), ("2026-07-03", "reinstatement")], Status.REINSTATED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "withdrawal"), ("2026-07-03", "reinstatement"), ("2026-07-04", "correction")], Status.REINSTATED, Tier.DOI_GRADE, "Review score and"),
        ([("2026-07-02", "retraction"), ("2026-07-03", "reinstatement"), ("2026-07-04", "retraction")], Status.RETRACTED, Tier.QUARANTINE, "Record retracted on 2026-07-04"),
        ([("2026-07-02", "expression-of-concern"), ("2026-07-03", "retraction")], Status.RETRACTED, Tier.QUARANTINE, "Record retracted"),
        ([("2026-07-02", "partial-retraction"), ("2026-07-03", "expression-of-concern")], Status.PARTIALLY_RETRACTED, Tier.WATCHLIST, "An expression of concern was issued on 2026-07-03"),
    ],
    ids=lambda v: "-".join(t for _, t in v) or "none" if isinstance(v, list) else None,
)
def test_correction_status_and_tier(log: list[tuple[str, str]], status: Status, tier: Tier, basis_start: str) -> None:
    r = rec(review={"score": 8.0}, claims={"source_grounded": 6}, corrections=[corr(d, t) for d, t in log])
    assert derive_status(r.corrections) is status
    got, basis = derive_tier(r, CFG)
    assert got is tier
    assert basis.startswith(basis_start)


def test_retraction_beats_low_score_in_basis() -> None:
    r = rec(review={"score": 1.0}, corrections=[corr("2026-07-02", "retraction")])
    assert derive_tier(r, CFG)[1] == "Record retracted on 2026-07-02; see the correction record."


@pytest.mark.parametrize(
    "changes, provenance",
    [
        ({"doi": "10.5281/zenodo.1"}, Provenance.L4),
        ({"registered": True, "claims": {"source_grounded": 0}}, Provenance.L4),
        ({"registered": False, "claims": {"source_grounded": 1}}, Provenance.L3),
        ({"claims": {"source_grounded": 1}, "report_artifact": False}, Provenance.L3),
        ({"claims": {"source_grounded": 0}, "report_artifact": True}, Provenance.L2),
        ({"claims": {"source_grounded": 0}, "report_artifact": False}, Provenance.L1),
    ],
    ids=["doi", "registered", "claims", "claims-no-report", "report", "nothing"],
)
def test_provenance(changes: dict[str, Any], provenance: Provenance) -> None:
    assert derive_provenance(rec(**changes)) is provenance


@pytest.mark.parametrize("claims, level", [(0, Level.L1), (1, Level.L2), (4, Level.L2), (5, Level.L2)])
def test_level_from_claims(claims: int, level: Level) -> None:
    assert derive(rec(claims={"source_grounded": claims}), "x", CFG).level is level


GATE_CASES = [
    # (submitted, artifacts, evaluation, status, reason start, evaluated)
    ("2026-06-09", [], None, Gate.UNVERIFIED, "Published before the Gate 2 verification pipeline was activated (2026-06-10).", "2026-06-10T06:30:49+00:00"),
    ("2026-06-10", [], None, Gate.UNVERIFIED, "No reproducible artifact is attached", "Not evaluated"),
    ("2026-06-09", [art("repro-script", H1)], None, Gate.UNVERIFIED, "A repro script is attached without repro results", "Not evaluated"),
    ("2026-07-01", [art("repro-results", H1)], None, Gate.UNVERIFIED, "Repro results are attached without the repro script", "Not evaluated"),
    ("2026-07-01", [art("lean4-proof", H1)], None, Gate.PENDING, "Awaiting Gate 2 evaluation.", "Not yet evaluated"),
    ("2026-06-01", [art("repro-script", H1), art("repro-results", H2)], None, Gate.PENDING, "Awaiting Gate 2 evaluation.", "Not yet evaluated"),
    ("2026-07-01", [art("lean4-proof", H1)], ev("passed", (H1,)), Gate.VERIFIED, "Evaluated on 2026-07-02: the attached Lean4 proof type-checked.", "2026-07-02T12:00:00+00:00"),
    ("2026-07-01", [art("repro-script", H1), art("repro-results", H2)], ev("passed", (H2, H1)), Gate.VERIFIED, "Evaluated on 2026-07-02: a sealed-sandbox reproduction matched", "2026-07-02T12:00:00+00:00"),
    ("2026-07-01", [art("repro-script", H1), art("repro-results", H2)], ev("failed", (H1, H2)), Gate.FAILED, "Evaluated on 2026-07-02: a sealed-sandbox reproduction did not match", "2026-07-02T12:00:00+00:00"),
    ("2026-07-01", [art("lean4-proof", H1)], ev("failed", (H1,)), Gate.FAILED, "Evaluated on 2026-07-02: the attached Lean4 proof did not type-check.", "2026-07-02T12:00:00+00:00"),
    ("2026-07-01", [art("lean4-proof", H3)], ev("passed", (H1,)), Gate.UNVERIFIED, "The attached artifacts changed after the evaluation on 2026-07-02; re-evaluation required.", "2026-07-02T12:00:00+00:00"),
    ("2026-07-01", [art("lean4-proof", H1), art("repro-script", H2)], ev("passed", (H1,)), Gate.UNVERIFIED, "The attached artifacts changed", "2026-07-02T12:00:00+00:00"),
    ("2026-07-01", [art("repro-script", H1), art("repro-results", H2)], ev("failed", (H1,)), Gate.UNVERIFIED, "The attached artifacts changed", "2026-07-02T12:00:00+00:00"),
]


@pytest.mark.parametrize(
    "submitted, artifacts, evaluation, status, reason, evaluated",
    GATE_CASES,
    ids=["pre-activation", "activation-day", "script-only", "results-only", "lean-pending", "repro-pending", "lean-passed",
         "repro-passed", "repro-failed", "lean-failed", "stale-hash", "added-artifact", "removed-hash"],
)
def test_gate_branches(submitted: str, artifacts: list[dict[str, str]], evaluation: dict[str, Any] | None, status: Gate, reason: str, evaluated: str) -> None:
    r = rec(submitted=dt.date.fromisoformat(submitted), artifacts=artifacts, gate_evaluation=evaluation)
    verdict = derive_gate(r, CFG)
    assert verdict.status is status
    assert verdict.reason.startswith(reason)
    assert verdict.evaluated == evaluated


def test_gate_activation_date_comes_from_config() -> None:
    r = rec(submitted=dt.date(2026, 6, 20))
    cfg = Config(gate_activated=dt.date(2026, 7, 1), today=CFG.today)
    assert derive_gate(r, cfg).reason.startswith("Published before the Gate 2 verification pipeline was activated (2026-07-01).")


@pytest.mark.parametrize(
    "gate_signers, signature, signer, signed",
    [
        (None, None, None, False),
        (None, "sig", None, False),
        # A signature in the YAML is not enough: only a verified signer (from the check) makes it signed.
        ("signers", "sig", None, False),
        ("signers", "sig", Signer("gate@srch.example", "SHA256:abc"), True),
    ],
)
def test_signed_only_with_a_verified_signer(gate_signers: str | None, signature: str | None, signer: Signer | None, signed: bool) -> None:
    r = rec(artifacts=[art("lean4-proof", H1)], gate_evaluation=ev(signature=signature))
    verdict = derive_gate(r, Config(gate_signers=gate_signers, today=CFG.today), signer)
    assert verdict.signed is signed
    assert verdict.signer == signer
    assert derive_gate(rec(), CFG, Signer("x", "y")).signed is None  # no evaluation: nothing was signed


def test_verified_is_level_three_and_high_evidence() -> None:
    r = rec(claims={"source_grounded": 0}, report_artifact=False, artifacts=[art("lean4-proof", H1)], gate_evaluation=ev())
    d = derive(r, "abstract", CFG)
    assert d.level is Level.L3
    dims = {x.name: x.grade for x in d.dimensions}
    assert dims == {"Evidence strength": Grade.HIGH, "Uncertainty disclosure": Grade.MEDIUM, "Reproducibility status": Grade.HIGH}


@pytest.mark.parametrize(
    "changes, body, expected",
    [
        ({"claims": {"source_grounded": 4}}, "x", {"Evidence strength": "LOW", "Citation grounding": "MEDIUM", "Uncertainty disclosure": "MEDIUM", "Reproducibility status": "MEDIUM"}),
        ({"claims": {"source_grounded": 5}}, "x", {"Evidence strength": "MEDIUM", "Citation grounding": "MEDIUM", "Uncertainty disclosure": "MEDIUM", "Reproducibility status": "MEDIUM"}),
        ({"claims": {"source_grounded": 0}, "report_artifact": False}, "x", {"Evidence strength": "LOW", "Uncertainty disclosure": "MEDIUM", "Reproducibility status": "LOW"}),
        ({"claims": {"source_grounded": 2, "record_source": "https://c.example/x"}}, "x\n\n## Limitations\n\ny", {"Evidence strength": "LOW", "Citation grounding": "HIGH", "Uncertainty disclosure": "HIGH", "Reproducibility status": "MEDIUM"}),
        ({"doi": "10.1234/x"}, "x\n\n## uncertainty and caveats\n", {"Evidence strength": "MEDIUM", "Citation grounding": "MEDIUM", "Uncertainty disclosure": "HIGH", "Reproducibility status": "HIGH"}),
        ({}, "x\n\n### Limitations\n", {"Evidence strength": "MEDIUM", "Citation grounding": "MEDIUM", "Uncertainty disclosure": "MEDIUM", "Reproducibility status": "MEDIUM"}),
        ({}, "x\n\n## Known limitations\n", {"Evidence strength": "MEDIUM", "Citation grounding": "MEDIUM", "Uncertainty disclosure": "MEDIUM", "Reproducibility status": "MEDIUM"}),
    ],
    ids=["claims-4", "claims-5", "no-claims", "record-source+limitations", "doi+uncertainty", "h3-not-counted", "not-at-start"],
)
def test_dimensions(changes: dict[str, Any], body: str, expected: dict[str, str]) -> None:
    d = derive(rec(**changes), body, CFG)
    assert {x.name: x.grade.value for x in d.dimensions} == expected
    assert [x.name for x in d.dimensions] == [n for n in ("Evidence strength", "Citation grounding", "Uncertainty disclosure", "Reproducibility status") if n in expected]


@pytest.mark.parametrize("n, text", [(0, "0 aggregate source-grounded claims"), (1, "1 aggregate source-grounded claim"), (2, "2 aggregate source-grounded claims")])
def test_plural(n: int, text: str) -> None:
    assert plural(n, "aggregate source-grounded claim") == text


@pytest.mark.parametrize("x, text", [(7.5, "7.5"), (5.0, "5.0"), (5, "5.0"), (7.25, "7.25"), (10, "10.0")])
def test_fmt_threshold(x: float, text: str) -> None:
    assert fmt_threshold(x) == text


def test_guide_prints_configured_thresholds() -> None:
    cfg = Config(doi_grade_min_score=8.25, doi_grade_min_claims=1, quarantine_below_score=3.0, gate_activated=dt.date(2026, 1, 2), today=CFG.today)
    text = repr(guide(cfg))
    assert "at least 8.25 and at least 1 source-grounded claim." in text
    assert "Review score below 3.0." in text
    assert "(2026-01-02)" in text
    assert "7.5" not in text
