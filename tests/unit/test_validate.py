"""Schema and cross-field rules of SPEC §2, at their boundaries, with exact positions."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest

from srchgen.config import Config
from srchgen.check.schema_errors import SUGGEST_LIMIT
from srchgen.load.source import load_sources, parse_source
from srchgen.check.validate import validate
from tests.conftest import manifest, record_text, write_record

CFG = Config(today=dt.date(2026, 11, 22))


def problems_for(text: str, name: str = "0000000A.md", config: Config = CFG) -> list[str]:
    src, problems = parse_source(text.encode(), f"records/{name}", name)
    if src is None:
        return [str(p) for p in problems]
    _, found = validate([src], config)
    return [str(p) for p in problems + found if p.severity == "error"]


def errors(**changes: Any) -> list[str]:
    return problems_for(record_text(manifest(**changes)))


def test_base_manifest_is_valid() -> None:
    assert errors() == []


@pytest.mark.parametrize(
    "score, ok",
    [(0, True), (0.0, True), (10, True), (10.0, True), (7.83, True), (7.5, True), (10.01, False), (-0.01, False),
     (7.835, False), (float("nan"), False), (float("inf"), False), (True, False), ("7.5", False)],
    ids=lambda v: repr(v),
)
def test_score_boundaries(score: Any, ok: bool) -> None:
    assert (errors(review={"score": score}) == []) is ok


@pytest.mark.parametrize(
    "yaml_score, message",
    [
        ("7.830", None),
        ("7.835", "review.score: at most two decimals, found 7.835"),
        (".nan", "review.score: NaN and infinity are not scores"),
        (".inf", "review.score: NaN and infinity are not scores; expected a number from 0 to 10, found number '.inf'"),
        ("yes", "review.score: a boolean is not a score; expected a number from 0 to 10, found boolean 'yes'"),
        ('"7.5"', "review.score: expected a number from 0 to 10, found text '7.5'; remove the quotes"),
        ("10.5", "review.score: must be <= 10, found number '10.5'"),
    ],
)
def test_score_messages(yaml_score: str, message: str | None) -> None:
    text = record_text(manifest()).replace("score: 7.5", f"score: {yaml_score}")
    found = problems_for(text)
    if message is None:
        assert found == []
    else:
        assert len(found) == 1 and message in found[0], found
        assert found[0].startswith("records/0000000A.md:8:10: ")


@pytest.mark.parametrize(
    "claims, message",
    [(0, None), (1, None), (-1, "must be >= 0"), (True, "a boolean is not a count"), (1.5, "expected a whole number >= 0"), ("3", "remove the quotes")],
    ids=lambda v: repr(v),
)
def test_claim_count(claims: Any, message: str | None) -> None:
    found = errors(claims={"source_grounded": claims})
    assert (found == []) if message is None else (len(found) == 1 and message in found[0]), found


@pytest.mark.parametrize(
    "line, message",
    [
        ("publisher: no", "publisher: expected text, found boolean 'no'; YAML read 'no' as a boolean: quote it (\"no\") if you mean text"),
        ("title: 1984", "title: expected text, found number '1984'; YAML read '1984' as a number: quote it (\"1984\")"),
        ("title: 2026-01-01", "title: expected text, found date '2026-01-01'"),
        ("publisher: ''", "publisher: must not be empty"),
        ("reveiw: x", "unknown key 'reveiw'; did you mean 'review'?"),
        ("manifest: paper-manifest-v1.0", "manifest: expected 'paper-manifest-v1.1', found text 'paper-manifest-v1.0'"),
        ("section: physics", "section: expected one of 'research', 'benchmarks' or 'mathematics'; found text 'physics'"),
        ("report_artifact: 'yes'", "report_artifact: expected true or false, found text 'yes'; remove the quotes"),
        ("topics: ai", "topics: expected a list such as [a, b], found text 'ai'"),
        ("topics: [Machine-Learning]", "topics[0]: topic 'Machine-Learning' must be a lowercase slug"),
        ("topics: [ai, ai]", "topics: 'ai' is listed twice"),
        ("id: SRCH:0000000a", "id: expected SRCH: followed by 8 hex digits, e.g. SRCH:08EA5386 (hex digits in upper case)"),
        ("id: SRCH:0000000", "id: expected SRCH: followed by 8 hex digits"),
        ("doi: https://doi.org/10.5281/zenodo.1", "doi: write the DOI without the 'https://doi.org/' prefix: 10.5281/zenodo.1"),
        ("doi: 10.12/x", "doi: expected a DOI such as 10.5281/zenodo.123"),
        ("report_url: http://example.org/r", "report_url: expected an https:// URL with a host, found 'http://example.org/r'"),
        ("report_url: https:///nohost", "report_url: expected an https:// URL with a host"),
        ("submitted: 2026-02-30", "submitted: '2026-02-30' is not a calendar date"),
        ("submitted: 2026-13-01", "submitted: '2026-13-01' is not a calendar date"),
        ("submitted: 28 May 2026", "submitted: expected a calendar date YYYY-MM-DD, found '28 May 2026'"),
        ("submitted: 2026-05-28T10:00:00Z", "submitted: expected a calendar date YYYY-MM-DD, not a date and time"),
        ("submitted: 2026-11-23", "submitted: 2026-11-23 is in the future (today is 2026-11-22)"),
    ],
)
def test_field_messages(line: str, message: str) -> None:
    key = line.split(":")[0]
    text = record_text(manifest(**{key: ...})) if key in manifest() else record_text(manifest())
    text = text.replace("---\n", f"---\n{line}\n", 1)
    found = problems_for(text)
    assert any(message in f for f in found), found
    assert all(f.startswith("records/0000000A.md:2:") for f in found if message in f), found


def test_quoted_date_is_accepted() -> None:
    assert problems_for(record_text(manifest(submitted=...)).replace("---\n", "---\nsubmitted: '2026-05-28'\n", 1)) == []


def test_submitted_today_is_not_future() -> None:
    assert errors(submitted=dt.date(2026, 11, 22)) == []


def test_missing_keys_point_at_parent_or_start() -> None:
    found = errors(publisher=..., review={"method": "x"})
    assert any(f.startswith("records/0000000A.md:1:1: missing required key 'publisher'") for f in found), found
    assert any(f.startswith("records/0000000A.md:7:1: review: missing required key 'score' under 'review'") or "missing required key 'score' under 'review'" in f for f in found), found


def test_all_problems_of_a_record_are_reported() -> None:
    found = errors(publisher=True, review={"score": 11}, section="x", reveiw=1)
    assert len(found) == 4, found


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"doi": "10.5281/x", "registered": False}, "registered: a record with a DOI is registered"),
        ({"related": ["SRCH:0000000A"]}, "related[0]: a record cannot be related to itself"),
        ({"related": ["SRCH:0000000B"]}, "related[0]: no record has the id SRCH:0000000B"),
        ({"related": ["SRCH:0000000B", "SRCH:0000000B"]}, "related: 'SRCH:0000000B' is listed twice"),
        ({"corrections": [{"date": dt.date(2026, 6, 30), "type": "correction", "summary": "x"}]}, "corrections[0].date: 2026-06-30 is before submitted (2026-07-01)"),
        ({"corrections": [{"date": dt.date(2026, 11, 23), "type": "correction", "summary": "x"}]}, "corrections[0].date: 2026-11-23 is in the future"),
        ({"corrections": [{"date": dt.date(2026, 8, 2), "type": "correction", "summary": "x"}, {"date": dt.date(2026, 8, 1), "type": "erratum", "summary": "y"}]}, "corrections[1].date: 2026-08-01 is earlier than the entry before it (2026-08-02)"),
        ({"corrections": [{"date": dt.date(2026, 8, 2), "type": "reinstatement", "summary": "x"}]}, "corrections[0].type: a reinstatement must follow a retraction or withdrawal that is still in force"),
        ({"corrections": [{"date": dt.date(2026, 8, 2), "type": "retraction", "summary": "x"}, {"date": dt.date(2026, 8, 3), "type": "reinstatement", "summary": "y"}, {"date": dt.date(2026, 8, 4), "type": "reinstatement", "summary": "z"}]}, "corrections[2].type: a reinstatement must follow"),
        ({"corrections": [{"date": dt.date(2026, 8, 2), "type": "retracted", "summary": "x"}]}, "corrections[0].type: expected one of"),
        ({"corrections": [{"date": dt.date(2026, 8, 2), "type": "erratum", "summary": "  "}]}, "corrections[0].summary: must not be empty"),
        ({"corrections": [{"date": dt.date(2026, 8, 2), "type": "erratum", "summary": "<b>x</b>"}]}, "corrections[0].summary: must be plain text"),
        ({"gate_evaluation": {"evaluated": dt.datetime(2026, 7, 2), "outcome": "passed", "artifact_sha256": ["a" * 64]}}, "gate_evaluation.evaluated: has no time zone"),
        ({"gate_evaluation": {"evaluated": dt.datetime(2026, 7, 2, tzinfo=dt.timezone.utc), "outcome": "passed", "artifact_sha256": []}}, "gate_evaluation.artifact_sha256: must not be empty"),
        ({"gate_evaluation": {"evaluated": dt.datetime(2026, 7, 2, tzinfo=dt.timezone.utc), "outcome": "passed", "artifact_sha256": ["a" * 64]}}, "gate_evaluation: needs a sufficient artifact set"),
        ({"gate_evaluation": {"evaluated": dt.datetime(2026, 7, 2, tzinfo=dt.timezone.utc), "outcome": "ok", "artifact_sha256": ["a" * 64]}}, "gate_evaluation.outcome: expected 'passed' or 'failed'"),
        ({"artifacts": [{"kind": "lean4-proof", "path": "../x", "sha256": "a" * 64}]}, "artifacts[0].path: '../x' must not contain '..'"),
        ({"artifacts": [{"kind": "lean4-proof", "path": "/etc/passwd", "sha256": "a" * 64}]}, "artifacts[0].path: '/etc/passwd' must be a relative path"),
        ({"artifacts": [{"kind": "lean4-proof", "path": "0000000B/P.lean", "sha256": "a" * 64}]}, "must be inside the record's own folder 0000000A/"),
        ({"artifacts": [{"kind": "lean4-proof", "path": "0000000A/P.lean", "sha256": "A" * 64}]}, "artifacts[0].sha256: expected 64 lowercase hex digits"),
        ({"artifacts": [{"kind": "proof", "path": "0000000A/P.lean", "sha256": "a" * 64}]}, "artifacts[0].kind: expected one of 'lean4-proof', 'repro-script' or 'repro-results'"),
    ],
    ids=["doi-unregistered", "self-related", "unknown-related", "dup-related", "corr-before", "corr-future", "corr-order",
         "reinstate-alone", "reinstate-twice", "corr-type", "corr-summary", "corr-html", "gate-naive", "gate-empty", "gate-no-artifacts",
         "gate-outcome", "art-dotdot", "art-abs", "art-other", "art-sha", "art-kind"],
)
def test_rules(changes: dict[str, Any], message: str, tmp_path: Path) -> None:
    records = tmp_path / "records"
    write_record(records, manifest(**changes))
    sources, problems = load_sources(records, "records")
    _, found = validate(sources, CFG)
    text = [str(p) for p in problems + found if p.severity == "error"]
    assert any(message in t for t in text), text


def test_artifact_hash_and_existence(tmp_path: Path) -> None:
    records = tmp_path / "records"
    (records / "0000000A").mkdir(parents=True)
    (records / "0000000A" / "P.lean").write_text("theorem x : True := trivial\n")
    good = hashlib.sha256(b"theorem x : True := trivial\n").hexdigest()
    arts = [
        {"kind": "lean4-proof", "path": "0000000A/P.lean", "sha256": good},
        {"kind": "repro-script", "path": "0000000A/missing.sh", "sha256": good},
        {"kind": "repro-results", "path": "0000000A/P.lean", "sha256": "b" * 64},
    ]
    write_record(records, manifest(artifacts=arts))
    (records / "0000000A" / "link.lean").symlink_to(records / "0000000A" / "P.lean")
    sources, _ = load_sources(records, "records")
    _, found = validate(sources, CFG)
    text = [str(p) for p in found if p.severity == "error"]
    assert len(text) == 2, text
    assert "artifacts[1].path: '0000000A/missing.sh' file not found" in text[0]
    assert f"artifacts[2].sha256: does not match the file 0000000A/P.lean (its sha256 is {good})" in text[1]


def test_symlinked_artifact_rejected(tmp_path: Path) -> None:
    records = tmp_path / "records"
    (records / "0000000A").mkdir(parents=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (records / "0000000A" / "P.lean").symlink_to(outside)
    write_record(records, manifest(artifacts=[{"kind": "lean4-proof", "path": "0000000A/P.lean", "sha256": "a" * 64}]))
    sources, _ = load_sources(records, "records")
    _, found = validate(sources, CFG)
    assert any("is a symbolic link" in str(p) for p in found), [str(p) for p in found]


def test_duplicate_ids_and_dois_report_the_later_file(tmp_path: Path) -> None:
    records = tmp_path / "records"
    write_record(records, manifest(doi="10.5281/ABC"))
    text = record_text(manifest(doi="10.5281/abc"))
    (records / "0000000B.md").write_text(text)
    sources, _ = load_sources(records, "records")
    _, found = validate(sources, CFG)
    text_ = [str(p) for p in found if p.severity == "error"]
    assert text_ == [
        "records/0000000B.md:3:5: id: SRCH:0000000A does not match the file name 0000000B.md; the file must be 0000000A.md or the id SRCH:0000000B",
        "records/0000000B.md:3:5: id: SRCH:0000000A is already used by records/0000000A.md",
        "records/0000000B.md:14:6: doi: 10.5281/abc is already used by records/0000000A.md",
    ]


def test_duplicate_doi_case_insensitive(tmp_path: Path) -> None:
    records = tmp_path / "records"
    write_record(records, manifest(doi="10.5281/ABC"))
    write_record(records, manifest(id="SRCH:0000000B", doi="10.5281/abc"))
    sources, _ = load_sources(records, "records")
    _, found = validate(sources, CFG)
    assert [str(p) for p in found if p.severity == "error"] == [
        "records/0000000B.md:14:6: doi: 10.5281/abc is already used by records/0000000A.md"
    ]


def test_bad_file_name(tmp_path: Path) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "notes.md").write_text(record_text(manifest()))
    sources, _ = load_sources(records, "records")
    _, found = validate(sources, CFG)
    assert [str(p) for p in found if p.severity == "error"] == [
        "records/notes.md:1:1: file name must be the record's 8 upper-case hex digits, e.g. 0000000A.md"
    ]


def test_symlinked_record_file_is_an_error(tmp_path: Path) -> None:
    records = tmp_path / "records"
    write_record(records, manifest())
    (records / "0000000B.md").symlink_to(records / "0000000A.md")
    _, problems = load_sources(records, "records")
    assert [str(p) for p in problems] == ["records/0000000B.md:1:1: record file is a symbolic link; records must be regular files"]


@pytest.mark.parametrize("extra", [SUGGEST_LIMIT - 1, SUGGEST_LIMIT, SUGGEST_LIMIT + 1, 3 * SUGGEST_LIMIT])
def test_every_unknown_key_is_reported_and_the_first_ones_get_a_suggestion(extra: int) -> None:
    """Suggestions cost difflib work per key (a hostile record has 10,000): the first SUGGEST_LIMIT
    unknown keys get one, the rest are still reported, each at its own line."""
    keys = "".join(f"reveiw{i}: x\n" for i in range(extra))
    found = [f for f in problems_for(record_text(manifest()).replace("---\n", "---\n" + keys, 1)) if "unknown key" in f]
    assert len(found) == extra
    assert sum("did you mean 'review'?" in f for f in found) == min(extra, SUGGEST_LIMIT)
    assert sum(f"no suggestions past the first {SUGGEST_LIMIT} unknown keys" in f for f in found) == max(0, extra - SUGGEST_LIMIT)
    assert len({f.split(":")[1] for f in found}) == extra  # one line each
