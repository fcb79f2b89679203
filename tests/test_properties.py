"""Property-based tests (issue 4): the loader never raises, derived fields are total and monotone.

Deterministic for CI (`derandomize=True`, bounded example counts); the long, coverage-guided
run is `make fuzz` (fuzz/fuzz_loader.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srchgen.config import Config
from srchgen.derive.rules import Gate, Tier, derive, derive_tier
from srchgen.errors import Problem
from srchgen.load.source import parse_source
from srchgen.check.validate import validate

CONFIG = Config(today=dt.date(2026, 11, 22))
HEX = "08EA5386"
NAME = f"{HEX}.md"
PATH = f"records/{NAME}"
TIER_ORDER = {Tier.QUARANTINE: 0, Tier.WATCHLIST: 1, Tier.DOI_GRADE: 2}
SETTINGS = settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_and_validate(raw: bytes) -> tuple[list[Any], list[Problem]]:
    """The whole front end on one file: records or problems, nothing else."""
    src, problems = parse_source(raw, PATH, NAME)
    if src is None:
        assert problems, "rejected without saying why"
        return [], problems
    valid, found = validate([src], CONFIG)
    return valid, problems + found


def _check_problems(problems: list[Problem]) -> None:
    for p in problems:
        assert isinstance(p, Problem) and p.path == PATH and p.line >= 1 and p.col >= 1
        assert str(p).startswith(f"{PATH}:{p.line}:{p.col}: ")


# --- arbitrary input ----------------------------------------------------------------------------

TOKENS = [
    "---\n", "...\n", "\n", "\r\n", ": ", "- ", "? ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: ", "!!str ", "!x ",
    "|\n", ">-\n", '"', "'", "\\0", "\\x07", "\t", "  ", "#", "\ufeff", "\u202e", "\x00", "\x85", "id", "manifest",
    "paper-manifest-v1.1", "SRCH:08EA5386", "review", "score", "7.83", ".nan", "1e400", "no", "~", "2026-05-28",
    "2026-02-30", "claims", "source_grounded", "artifacts", "path", "../x", "corrections", "type", "related",
    "## Limitations\n", "<script>", "{{ 7*7 }}",
]  # fmt: skip


@SETTINGS
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_end_in_records_or_problems(raw: bytes) -> None:
    valid, problems = load_and_validate(raw)
    _check_problems(problems)


@SETTINGS
@given(st.text(max_size=1024))
def test_arbitrary_text_with_fences_ends_in_records_or_problems(text: str) -> None:
    valid, problems = load_and_validate(f"---\n{text}\n---\n{text}\n".encode("utf-8", "surrogatepass"))
    _check_problems(problems)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=80))
def test_yaml_shaped_noise_ends_in_records_or_problems(tokens: list[str]) -> None:
    valid, problems = load_and_validate(("---\n" + "".join(tokens) + "\n---\nAn abstract.\n").encode("utf-8", "surrogatepass"))
    _check_problems(problems)


# --- valid manifests ----------------------------------------------------------------------------

SHA = st.text("0123456789abcdef", min_size=64, max_size=64)
DAY = st.dates(dt.date(2020, 1, 1), dt.date(2026, 6, 30))
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40).filter(str.strip)
SCORE = st.integers(0, 1000).map(lambda n: n / 100)
KINDS = ["lean4-proof", "repro-script", "repro-results"]
SAFE_CORRECTIONS = ["addendum", "clarification", "correction", "corrigendum", "erratum", "expression-of-concern",
                    "partial-retraction", "retraction", "withdrawal"]  # fmt: skip


@st.composite
def manifests(draw: st.DrawFn, score: float | None = None, claims: int | None = None) -> dict[str, Any]:
    submitted = draw(DAY)
    kinds = draw(st.lists(st.sampled_from(KINDS), unique=True))
    artifacts = [{"kind": k, "path": f"{HEX}/{k}.txt", "sha256": draw(SHA)} for k in kinds]
    sufficient = "lean4-proof" in kinds or {"repro-script", "repro-results"} <= set(kinds)
    m: dict[str, Any] = {
        "manifest": "paper-manifest-v1.1",
        "id": f"SRCH:{HEX}",
        "research_question": draw(TEXT),
        "submitted": submitted,
        "section": draw(st.sampled_from(["research", "benchmarks", "mathematics"])),
        "topics": draw(st.lists(st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8})?", fullmatch=True), unique=True, max_size=4)),
        "review": {"score": draw(SCORE) if score is None else score},
        "claims": {"source_grounded": draw(st.integers(0, 50)) if claims is None else claims},
        "publisher": draw(TEXT),
        "report_artifact": draw(st.booleans()),
    }
    if draw(st.booleans()):
        m["doi"] = f"10.{draw(st.integers(1000, 99999))}/x{draw(st.integers(0, 999))}"
    elif draw(st.booleans()):
        m["registered"] = draw(st.booleans())
    if artifacts:
        m["artifacts"] = artifacts
    if sufficient and draw(st.booleans()):
        hashes = [a["sha256"] for a in artifacts] if draw(st.booleans()) else [draw(SHA)]
        when = dt.datetime.combine(draw(st.dates(submitted, dt.date(2026, 11, 22))), dt.time(12), dt.timezone.utc)
        m["gate_evaluation"] = {"evaluated": when.isoformat(), "outcome": draw(st.sampled_from(["passed", "failed"])), "artifact_sha256": hashes}
    days = sorted(draw(st.lists(st.dates(submitted, dt.date(2026, 11, 22)), max_size=3)))
    if days:
        m["corrections"] = [{"date": d, "type": draw(st.sampled_from(SAFE_CORRECTIONS)), "summary": draw(TEXT.map(lambda t: t.replace("<", "(")))} for d in days]
    return m


def _file(m: dict[str, Any]) -> bytes:
    fm = yaml.safe_dump(m, sort_keys=False, allow_unicode=True)
    return f"---\n{fm}---\nAn abstract that addresses the research question.\n".encode()


def _record(m: dict[str, Any]) -> Any:
    valid, problems = load_and_validate(_file(m))
    errors = [p for p in problems if p.severity == "error"]
    assert errors == [] and len(valid) == 1, [str(p) for p in errors]
    return valid[0].record


@SETTINGS
@given(manifests())
def test_every_valid_manifest_derives_one_tier_and_one_gate_status(m: dict[str, Any]) -> None:
    record = _record(m)
    d = derive(record, "An abstract.", CONFIG)
    assert isinstance(d.tier, Tier) and d.tier in TIER_ORDER
    assert isinstance(d.gate.status, Gate)
    assert d.tier_basis and d.gate.reason
    if d.gate.status is Gate.VERIFIED:  # SPEC §3: only a passed evaluation of the current artifacts
        assert m["gate_evaluation"]["outcome"] == "passed"
        assert set(m["gate_evaluation"]["artifact_sha256"]) == {a["sha256"] for a in m["artifacts"]}


@SETTINGS
@given(st.data(), SCORE, SCORE, st.integers(0, 50))
def test_the_tier_never_improves_when_the_score_falls(data: st.DataObject, s1: float, s2: float, claims: int) -> None:
    high, low = max(s1, s2), min(s1, s2)
    m = data.draw(manifests(score=high, claims=claims))
    lower = {**m, "review": {"score": low}}
    t_high, _ = derive_tier(_record(m), CONFIG)
    t_low, _ = derive_tier(_record(lower), CONFIG)
    assert TIER_ORDER[t_low] <= TIER_ORDER[t_high], (low, high, claims, t_low, t_high)
