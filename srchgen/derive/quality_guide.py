"""The quality guide's rules (SPEC §4): each derive rule restated for readers, as label and condition.

Printed from the same Config and the same formatting functions the build derives with (see
`derive`), so the guide and the record pages cannot disagree. Separate from `derive`: this is
prose for the guide page, not a rule any record is derived by.
"""

from __future__ import annotations

from dataclasses import dataclass

from srchgen.config import Config
from srchgen.derive.rules import (
    CHECK_CUT_SHORT, CHECK_DUPLICATE, CHECK_LABELS, CHECK_MISMATCH, Gate, Level, Provenance, Status, Tier, fmt_threshold, plural,
)


@dataclass(frozen=True)
class GuideRule:
    label: str
    condition: str


def guide_checks() -> list["GuideRule"]:
    """The automated checks, for the quality guide."""
    return [
        GuideRule(CHECK_LABELS[CHECK_MISMATCH], "The relevance lint finds too few of the research question's terms (or their spelled-out forms) in the abstract: the wrong abstract may be attached."),
        GuideRule(CHECK_LABELS[CHECK_CUT_SHORT], "The abstract ends with an ellipsis: the source kept only a cut version of it."),
        GuideRule(CHECK_LABELS[CHECK_DUPLICATE], "Another record carries the same abstract (ignoring case, spacing and an 'Abstract:' label): one text cannot answer two research questions, so one of them may carry the wrong abstract. Shown on both pages and as a search filter; the records' JSON lists only the checks of the record alone."),
    ]


def guide(config: Config) -> dict[str, list[GuideRule]]:
    """The quality guide's rules, printed from the same config the build derives with (SPEC §4)."""
    s_min = fmt_threshold(config.doi_grade_min_score)
    c_min = config.doi_grade_min_claims
    q = fmt_threshold(config.quarantine_below_score)
    act = config.gate_activated.isoformat()
    return {
        "level": [
            GuideRule(Level.L1.value, "No source-grounded claims."),
            GuideRule(Level.L2.value, "At least 1 source-grounded claim."),
            GuideRule(Level.L3.value, "Gate 2 status is Verified."),
        ],
        "provenance": [
            GuideRule(Provenance.L4.value, "Registered: the record has a DOI, or an external archival record exists."),
            GuideRule(Provenance.L3.value, "At least 1 aggregate source-grounded claim."),
            GuideRule(Provenance.L2.value, "A report artifact is publicly available."),
            GuideRule(Provenance.L1.value, "None of the above."),
        ],
        "tier": [
            GuideRule(Tier.QUARANTINE.value, "The record is retracted or withdrawn (and not reinstated)."),
            GuideRule(Tier.QUARANTINE.value, f"Review score below {q}."),
            GuideRule(Tier.WATCHLIST.value, "An expression of concern or a partial retraction is in force."),
            GuideRule(Tier.DOI_GRADE.value, f"Review score at least {s_min} and at least {plural(c_min, 'source-grounded claim')}."),
            GuideRule(Tier.WATCHLIST.value, "Otherwise."),
        ],
        "gate": [
            GuideRule(Gate.UNVERIFIED.value, "An evaluation exists but the attached artifacts changed after it; re-evaluation required."),
            GuideRule(Gate.VERIFIED.value, "The attached artifact was evaluated and held: a Lean4 proof type-checked, or a sealed-sandbox reproduction matched its results."),
            GuideRule(Gate.FAILED.value, "The attached artifact was evaluated and did not hold."),
            GuideRule(Gate.PENDING.value, "A sufficient artifact set (a Lean4 proof, or a repro script with its results) is attached and awaits evaluation."),
            GuideRule(Gate.UNVERIFIED.value, f"No artifacts and submitted before the pipeline was activated ({act})."),
            GuideRule(Gate.UNVERIFIED.value, "Otherwise: the page says what is missing."),
        ],
        "dimensions": [
            GuideRule("Evidence strength", f"HIGH if Gate 2 Verified; MEDIUM with at least {plural(c_min, 'source-grounded claim')}; else LOW."),
            GuideRule("Citation grounding", "Shown only when there are source-grounded claims: HIGH if the claim records are public (claim record source), else MEDIUM."),
            GuideRule("Uncertainty disclosure", "HIGH if the record has a section headed 'Limitations' or 'Uncertainty'; else MEDIUM."),
            GuideRule("Reproducibility status", "HIGH if registered or Gate 2 Verified; MEDIUM if a report artifact is available; else LOW."),
        ],
        "status": [
            GuideRule(Status.CURRENT.value, "No correction entries."),
            GuideRule(Status.RETRACTED.value, "A retraction is in force (a later reinstatement lifts it)."),
            GuideRule(Status.WITHDRAWN.value, "A withdrawal is in force (a later reinstatement lifts it)."),
            GuideRule(Status.PARTIALLY_RETRACTED.value, "A partial retraction was issued."),
            GuideRule(Status.EXPRESSION_OF_CONCERN.value, "An expression of concern was issued."),
            GuideRule(Status.REINSTATED.value, "A retraction or withdrawal was lifted by a reinstatement."),
            GuideRule(Status.CORRECTED.value, "A correction, corrigendum or erratum was issued."),
            GuideRule(Status.UPDATED.value, "An addendum or clarification was issued."),
        ],
        "checks": guide_checks(),
    }


def listing_rule(kind: str, value: str, config: Config) -> str | None:
    """The rule a tier or gate status listing holds, in one sentence for the top of its page
    (issue 24), printed from the same config as the guide's table; None for other listings.
    SPEC §3: the first rule that applies, so each sentence says what comes before it too."""
    s_min = fmt_threshold(config.doi_grade_min_score)
    claims = plural(config.doi_grade_min_claims, "source-grounded claim")
    q = fmt_threshold(config.quarantine_below_score)
    rules = {
        ("tier", Tier.DOI_GRADE.value):
            f"A record is DOI grade when its review score is at least {s_min} and it has at least {claims}, "
            "unless it is retracted or withdrawn or an expression of concern or a partial retraction is in force.",
        ("tier", Tier.WATCHLIST.value):
            f"A record is on the watchlist when its review score is at least {q}, it is not retracted or withdrawn, and either "
            f"an expression of concern or a partial retraction is in force or it misses DOI grade (a score of at least {s_min} and at least {claims}).",
        ("tier", Tier.QUARANTINE.value):
            f"A record is a quarantine candidate when it is retracted or withdrawn (and not reinstated), or when its review score is below {q}.",
        ("gate", Gate.VERIFIED.value):
            "A record is Verified when its attached artifact was evaluated and held: a Lean4 proof type-checked, "
            "or a sealed-sandbox reproduction matched its results; never from review score or claim count.",
        ("gate", Gate.PENDING.value):
            "A record is Pending when a sufficient artifact set (a Lean4 proof, or a repro script with its results) is attached and awaits evaluation.",
        ("gate", Gate.FAILED.value):
            "A record has Failed Gate 2 when its attached artifact was evaluated and did not hold.",
        ("gate", Gate.UNVERIFIED.value):
            "A record is Unverified when it has no sufficient artifact set (nothing attached, a repro script without its results, "
            "or results without a script) or when its artifacts changed after their evaluation.",
    }
    return rules.get((kind, value))
