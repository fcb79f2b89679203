"""paper-manifest-v1.1 as strict pydantic models: authored fields only (SPEC §2).

Derived fields are not here, so an author can never set one (`extra="forbid"`), and
`srchgen schema` is `Record.model_json_schema()`. Rules spanning several fields or
records live in validate.py.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Sequence
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

MANIFEST = "paper-manifest-v1.1"
ID_RE = re.compile(r"SRCH:[0-9A-F]{8}", re.ASCII)
HEX_RE = re.compile(r"[0-9A-F]{8}", re.ASCII)
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
DOI_RE = re.compile(r"10\.[0-9]{4,9}/\S+", re.ASCII)
SHA_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

_STRICT = ConfigDict(strict=True, frozen=True, extra="forbid")


def _text(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty")
    return v


def _date(v: Any) -> Any:
    """A calendar date, written plain (2026-05-28) or quoted ('2026-05-28')."""
    if isinstance(v, dt.datetime):
        raise ValueError("expected a calendar date YYYY-MM-DD, not a date and time")
    if isinstance(v, str):
        if not DATE_RE.fullmatch(v.strip()):
            raise ValueError(f"expected a calendar date YYYY-MM-DD, found '{v}'")
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"'{v}' is not a calendar date") from None
    return v


def _datetime(v: Any) -> Any:
    """A date and time with a time zone (2026-07-01T12:00:00Z), plain or quoted."""
    if isinstance(v, str):
        try:
            v = dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(f"expected a date and time such as 2026-07-01T12:00:00Z, found '{v}'") from None
    if isinstance(v, dt.datetime) and v.tzinfo is None:
        raise ValueError("has no time zone; add one, e.g. 2026-07-01T12:00:00Z")
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        raise ValueError("expected a date and time with a time zone, e.g. 2026-07-01T12:00:00Z")
    return v


def _https(v: str) -> str:
    parts = urlsplit(v)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in v):
        raise ValueError(f"expected an https:// URL with a host, found '{v}'")
    return v


def _doi(v: str) -> str:
    low = v.lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if low.startswith(prefix):
            raise ValueError(f"write the DOI without the '{v[: len(prefix)]}' prefix: {v[len(prefix):]}")
    if not DOI_RE.fullmatch(v):
        raise ValueError(f"expected a DOI such as 10.5281/zenodo.123 (pattern 10.NNNN/...), found '{v}'")
    return v


def _score(v: float) -> float:
    if Decimal(repr(float(v))).as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"at most two decimals, found {v!r}")
    return float(v)


def _record_id(v: str) -> str:
    if not ID_RE.fullmatch(v):
        hint = " (hex digits in upper case)" if ID_RE.fullmatch(v.upper()) else ""
        raise ValueError(f"expected SRCH: followed by 8 hex digits, e.g. SRCH:08EA5386{hint}; found '{v}'")
    return v


def _slug(v: str) -> str:
    if not SLUG_RE.fullmatch(v):
        raise ValueError(f"topic '{v}' must be a lowercase slug such as 'vision-language-models'")
    return v


def _sha(v: str) -> str:
    if not SHA_RE.fullmatch(v):
        raise ValueError(f"expected 64 lowercase hex digits (a sha256), found '{v}'")
    return v


def _unique(v: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    for item in v:
        if item in seen:
            raise ValueError(f"'{item}' is listed twice")
        seen.add(item)
    return v


Text = Annotated[str, AfterValidator(_text)]
Date = Annotated[dt.date, BeforeValidator(_date), Field(json_schema_extra={"format": "date"})]
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime)]
HttpsUrl = Annotated[str, AfterValidator(_https), Field(json_schema_extra={"pattern": r"^https://[^\s/?#]+", "format": "uri"})]
RecordId = Annotated[str, AfterValidator(_record_id), Field(json_schema_extra={"pattern": r"^SRCH:[0-9A-F]{8}$"})]
Sha256 = Annotated[str, AfterValidator(_sha), Field(json_schema_extra={"pattern": r"^[0-9a-f]{64}$"})]
Slug = Annotated[str, AfterValidator(_slug), Field(json_schema_extra={"pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"})]
Doi = Annotated[str, AfterValidator(_doi), Field(json_schema_extra={"pattern": r"^10\.[0-9]{4,9}/\S+$"})]
Score = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False), AfterValidator(_score)]


class Section(str, Enum):
    research = "research"
    benchmarks = "benchmarks"
    mathematics = "mathematics"


class ArtifactKind(str, Enum):
    lean4_proof = "lean4-proof"
    repro_script = "repro-script"
    repro_results = "repro-results"


class CorrectionType(str, Enum):
    """Crossref/Crossmark update types (SPEC §2)."""

    addendum = "addendum"
    clarification = "clarification"
    correction = "correction"
    corrigendum = "corrigendum"
    erratum = "erratum"
    expression_of_concern = "expression-of-concern"
    partial_retraction = "partial-retraction"
    retraction = "retraction"
    withdrawal = "withdrawal"
    reinstatement = "reinstatement"


class Review(BaseModel):
    model_config = _STRICT
    score: Score
    """0.00..10.00, at most two decimals."""
    method: Text | None = None
    """How the score was given, e.g. 'Automated multi-reviewer assessment'."""


class Claims(BaseModel):
    model_config = _STRICT
    source_grounded: int = Field(ge=0)
    """Aggregate count of source-grounded claims."""
    record_source: HttpsUrl | None = None
    """https URL of the public claim records, or null."""


class Artifact(BaseModel):
    model_config = _STRICT
    kind: Annotated[ArtifactKind, Strict(False)]
    path: Text
    """Relative to records/, inside records/<HEX>/."""
    sha256: Sha256


class GateEvaluation(BaseModel):
    model_config = _STRICT
    evaluated: DateTime
    outcome: Literal["passed", "failed"]
    artifact_sha256: Annotated[list[Sha256], Field(min_length=1)]
    signature: Text | None = None
    """Armored SSH signature (namespace srchgen-gate) over the canonical text."""


class Correction(BaseModel):
    model_config = _STRICT
    date: Date
    type: Annotated[CorrectionType, Strict(False)]
    summary: Text


class Record(BaseModel):
    """One paper-manifest-v1.1 record: exactly the authored fields."""

    model_config = ConfigDict(
        strict=True,
        frozen=True,
        extra="forbid",
        title="paper-manifest-v1.1",
        json_schema_extra={"$id": "https://srchgen.invalid/schema/paper-manifest-v1.1.json"},
    )

    manifest: Literal["paper-manifest-v1.1"]
    id: RecordId
    research_question: Text
    title: Text | None = None
    submitted: Date
    section: Annotated[Section, Strict(False)]
    topics: Annotated[list[Slug], AfterValidator(_unique)] = []
    review: Review
    claims: Claims
    publisher: Text
    report_artifact: bool
    report_url: HttpsUrl | None = None
    doi: Doi | None = None
    registered: bool | None = None
    related: Annotated[list[RecordId], AfterValidator(_unique)] = []
    artifacts: list[Artifact] = []
    gate_evaluation: GateEvaluation | None = None
    corrections: list[Correction] = []
    note: Text | None = None

    @property
    def hex(self) -> str:
        return self.id[5:]

    @property
    def display_title(self) -> str:
        return self.title if self.title is not None else self.research_question

    @property
    def is_registered(self) -> bool:
        return self.doi is not None or bool(self.registered)


# What the record says, read the same way by validate (check) and by derive and gate: here,
# below both, so neither stage imports the other upward.
_LIFTED_BY_REINSTATEMENT = {CorrectionType.retraction, CorrectionType.withdrawal}


def corrections_in_force(corrections: Sequence[Correction]) -> list[Correction]:
    """Read the log in order; a reinstatement lifts earlier retractions and withdrawals (SPEC §3)."""
    active: list[Correction] = []
    for c in corrections:
        if c.type is CorrectionType.reinstatement:
            active = [a for a in active if a.type not in _LIFTED_BY_REINSTATEMENT]
        active.append(c)
    return active


def sufficient_artifacts(record: Record) -> bool:
    """A lean4-proof, or a repro-script together with repro-results (SPEC §3)."""
    kinds = {a.kind for a in record.artifacts}
    return ArtifactKind.lean4_proof in kinds or {ArtifactKind.repro_script, ArtifactKind.repro_results} <= kinds


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of paper-manifest-v1.1, for editors and `srchgen schema`."""
    schema = Record.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
