"""Warnings other than the relevance lint (SPEC §2), with exact path:line:col; `--strict` makes them errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from srchgen.cli.commands import main

ENV = {"SOURCE_DATE_EPOCH": "1793491200", "GITHUB_ACTIONS": None}  # 2026-11-01
A, B = "records/1A2B3C4D.md", "records/5E6F7A8B.md"
ABSTRACT_A = "Soil moisture affects winter wheat yield: drier soils at flowering reduce the yield of winter wheat.\n"
ABSTRACT_B = "Soil salinity reduces barley yield in the reviewed trials of barley.\n"
PROOF = b"theorem t : 1 + 1 = 2 := rfl\n"
SHA = hashlib.sha256(PROOF).hexdigest()


def record(hex_id: str = "1A2B3C4D", question: str = "How does soil moisture affect winter wheat yield?",
           extra: str = "", body: str = ABSTRACT_A) -> str:
    """Lines 1-12 are fixed; `extra` starts at line 13, the body right after the closing fence."""
    return (
        "---\n"
        "manifest: paper-manifest-v1.1\n"
        f"id: SRCH:{hex_id}\n"
        f"research_question: {question}\n"
        "submitted: 2026-05-28\n"
        "section: research\n"
        "review:\n"
        "  score: 7.5\n"
        "claims:\n"
        "  source_grounded: 3\n"
        "publisher: Example Research\n"
        "report_artifact: true\n"
        f"{extra}---\n{body}"
    )


def other(extra: str = "", question: str = "How does soil salinity affect barley yield?") -> str:
    return record("5E6F7A8B", question, extra, ABSTRACT_B)


GATE = (
    f"artifacts:\n  - kind: lean4-proof\n    path: 1A2B3C4D/Proof.lean\n    sha256: \"{SHA}\"\n"
    f"gate_evaluation:\n  evaluated: 2026-07-01T12:00:00Z\n  outcome: passed\n  artifact_sha256: [\"{SHA}\"]\n"
)
T200 = "T" + "x" * 199
T201 = "T" + "x" * 200

CASES: list[tuple[str, dict[str, str | bytes], list[str]]] = [
    ("clean", {A: record(), B: other()}, []),
    ("abstract-label", {A: record(body="Abstract: " + ABSTRACT_A)},
     [f"{A}:14:1: warning: the abstract starts with an 'Abstract:' label; the page already heads it 'Abstract', remove the label"]),
    ("abstract-label-bold-after-blank-line", {A: record(body="\n**Abstract:** " + ABSTRACT_A)},
     [f"{A}:15:1: warning: the abstract starts with an 'Abstract:' label; the page already heads it 'Abstract', remove the label"]),
    ("abstract-label-doubled", {A: record(body="Abstract: Abstract: " + ABSTRACT_A)},
     [f"{A}:14:1: warning: the abstract starts with an 'Abstract:' label; the page already heads it 'Abstract', remove the label"]),
    ("abstract-word-not-a-label", {A: record(body="The abstract: " + ABSTRACT_A)}, []),
    ("same-question", {A: record(), B: record("5E6F7A8B", "How does  soil moisture affect WINTER wheat yield?")},
     [f"{B}:4:20: warning: research_question: the same question as {A}",
      f"{B}:14:1: warning: the same abstract as {A} (SRCH:1A2B3C4D); check that the right abstract is attached"]),
    ("one-way-related", {A: record(extra="related: [SRCH:5E6F7A8B]\n"), B: other()},
     [f"{A}:13:11: warning: related[0]: SRCH:5E6F7A8B does not link back; add SRCH:1A2B3C4D to its related list"]),
    ("two-way-related", {A: record(extra="related: [SRCH:5E6F7A8B]\n"), B: other("related: [SRCH:1A2B3C4D]\n")}, []),
    ("bidi-override-in-title", {A: record(extra="title: Wheat \u202eyield\n")},
     [f"{A}:13:14: warning: title: contains the invisible control or bidi-override character U+202E; remove it"]),
    ("bidi-isolate-in-publisher", {A: record().replace("publisher: Example Research", "publisher: Example \u2067Research")},
     [f"{A}:11:20: warning: publisher: contains the invisible control or bidi-override character U+2067; remove it"]),
    # double-quoted with an escape: the raw column differs from the value's, so the value's start is given
    ("control-in-question", {A: record(question='"How does soil moisture affect winter\\a wheat yield?"')},
     [f"{A}:4:20: warning: research_question: contains the invisible control or bidi-override character U+0007; remove it"]),
    ("control-in-body", {A: record(body=ABSTRACT_A.replace("drier", "dr\x1bier"))},
     [f"{A}:14:45: warning: body contains the invisible control or bidi-override character U+001B; remove it"]),
    ("bidi-in-correction-summary", {A: record(extra="corrections:\n  - date: 2026-07-02\n    type: correction\n    summary: Fixed \u202dit.\n")},
     [f"{A}:16:20: warning: corrections[0].summary: contains the invisible control or bidi-override character U+202D; remove it"]),
    ("bidi-in-body", {A: record(body=ABSTRACT_A + "\nA second line with \u202e inside.\n")},
     [f"{A}:16:20: warning: body contains the invisible control or bidi-override character U+202E; remove it"]),
    ("tab-in-body-is-fine", {A: record(body=ABSTRACT_A.replace(" drier", "\tdrier"))}, []),
    ("title-200-ok", {A: record(extra=f"title: {T200}\n")}, []),
    ("title-201-warns", {A: record(extra=f"title: {T201}\n")},
     [f"{A}:13:8: warning: title: 201 characters; keep titles within 200 (listings cut them)"]),
    ("unsigned-gate-evaluation", {A: record(extra=GATE), "records/1A2B3C4D/Proof.lean": PROOF},
     [f"{A}:17:1: warning: gate_evaluation: unsigned (no gate_signers configured); the page shows it as unsigned"]),
]


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "records").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("records/")]


@pytest.mark.parametrize("name,files,expected", CASES, ids=[c[0] for c in CASES])
def test_warning(registry: Path, name: str, files: dict[str, str | bytes], expected: list[str]) -> None:
    write(registry, files)
    result = CliRunner().invoke(main, ["check"], env=ENV)
    assert result.exit_code == 0, result.output  # warnings never fail a check by themselves
    assert lines(result.stderr) == expected
    if expected:
        assert f"{len(expected)} warning{'s' if len(expected) != 1 else ''}" in result.stderr.splitlines()


@pytest.mark.parametrize("name,files,expected", [c for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]])
def test_strict_makes_warnings_errors(registry: Path, name: str, files: dict[str, str | bytes], expected: list[str]) -> None:
    write(registry, files)
    result = CliRunner().invoke(main, ["check", "--strict"], env=ENV)
    assert result.exit_code == 1
    assert lines(result.stderr) == [line.replace(": warning: ", ": ", 1) for line in expected]


def test_strict_build_writes_nothing(registry: Path) -> None:
    write(registry, {A: record(extra=f"title: {T201}\n")})
    result = CliRunner().invoke(main, ["build", "--strict", "--no-search"], env=ENV)
    assert result.exit_code == 1
    assert not (registry / "site").exists()


def test_warning_annotation(registry: Path) -> None:
    write(registry, {A: record(extra=f"title: {T201}\n")})
    result = CliRunner().invoke(main, ["check"], env={**ENV, "GITHUB_ACTIONS": "true"})
    assert result.exit_code == 0
    assert f"::warning file={A},line=13,col=8::title: 201 characters; keep titles within 200 (listings cut them)" in result.stdout
