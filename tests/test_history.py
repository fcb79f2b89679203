"""`srchgen check --base REF` against a real temporary git repository (SPEC §3 'Additive means', §5)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from srchgen.cli.commands import main

ENV = {"SOURCE_DATE_EPOCH": "1793491200", "GITHUB_ACTIONS": None}  # 2026-11-01
PROOF = b"theorem t : 1 + 1 = 2 := rfl\n"
SHA = hashlib.sha256(PROOF).hexdigest()
A = "records/1A2B3C4D.md"
B = "records/5E6F7A8B.md"
RECORD_A = f"""---
manifest: paper-manifest-v1.1
id: SRCH:1A2B3C4D
research_question: How does soil moisture affect winter wheat yield?
submitted: 2026-05-28
section: research
topics: [soil-moisture, wheat]
review:
  score: 7.5
claims:
  source_grounded: 3
publisher: Example Research
report_artifact: true
doi: 10.5281/zenodo.111
artifacts:
  - kind: lean4-proof
    path: 1A2B3C4D/Proof.lean
    sha256: "{SHA}"
gate_evaluation:
  evaluated: 2026-07-01T12:00:00Z
  outcome: passed
  artifact_sha256: ["{SHA}"]
corrections:
  - date: 2026-07-02
    type: correction
    summary: Fixed a figure.
  - date: 2026-07-02
    type: clarification
    summary: Clarified the method.
---
Soil moisture affects winter wheat yield: drier soils at flowering reduce the yield of winter wheat.
"""
RECORD_B = """---
manifest: paper-manifest-v1.1
id: SRCH:5E6F7A8B
research_question: How does soil salinity affect barley yield?
submitted: 2026-05-29
section: research
review:
  score: 6
claims:
  source_grounded: 0
publisher: Example Research
report_artifact: false
---
Soil salinity reduces barley yield in the reviewed trials.
"""
CORR_0 = "  - date: 2026-07-02\n    type: correction\n    summary: Fixed a figure.\n"
CORR_1 = "  - date: 2026-07-02\n    type: clarification\n    summary: Clarified the method.\n"
GATE = f"gate_evaluation:\n  evaluated: 2026-07-01T12:00:00Z\n  outcome: passed\n  artifact_sha256: [\"{SHA}\"]\n"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registry with two records committed and tagged `base`; the cwd."""
    (tmp_path / "records" / "1A2B3C4D").mkdir(parents=True)
    (tmp_path / A).write_text(RECORD_A)
    (tmp_path / B).write_text(RECORD_B)
    (tmp_path / "records/1A2B3C4D/Proof.lean").write_bytes(PROOF)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "tag", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        text = (repo / path).read_text()
        assert old in text, old
        (repo / path).write_text(text.replace(old, new, 1))

    return apply


def delete(path: str) -> Callable[[Path], None]:
    return lambda repo: (repo / path).unlink()


def rename_b(repo: Path) -> None:
    (repo / B).rename(repo / "records/9A9A9A9A.md")
    edit("records/9A9A9A9A.md", "SRCH:5E6F7A8B", "SRCH:9A9A9A9A")(repo)


FIX = "corrections are additive: restore it and append a new entry (e.g. a 'clarification') instead"
CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("unchanged", lambda repo: None, []),
    ("append-correction", edit(A, "---\nSoil", "  - date: 2026-08-01\n    type: addendum\n    summary: Added a table.\n---\nSoil"), []),
    ("first-correction-on-new-record", edit(B, "---\nSoil", "corrections:\n  - date: 2026-08-01\n    type: addendum\n    summary: Added.\n---\nSoil"), []),
    ("abstract-and-score-edited", edit(A, "score: 7.5", "score: 8"), []),
    ("new-record", lambda repo: (repo / "records/0000000A.md").write_text(RECORD_B.replace("5E6F7A8B", "0000000A").replace("barley", "oat")), []),
    ("later-gate-evaluation", edit(A, "2026-07-01T12:00:00Z", "2026-08-01T09:00:00+02:00"), []),
    ("correction-summary-edited", edit(A, "Fixed a figure.", "Fixed the MMMU figure."),
     [f"{A}:26:14: corrections[0].summary: edited since base (was 'Fixed a figure.'); {FIX}"]),
    ("correction-type-edited", edit(A, "type: clarification", "type: addendum"),
     [f"{A}:28:11: corrections[1].type: edited since base (was 'clarification'); {FIX}"]),
    ("correction-date-edited", edit(A, "  - date: 2026-07-02\n    type: clarification", "  - date: 2026-07-05\n    type: clarification"),
     [f"{A}:27:11: corrections[1].date: edited since base (was '2026-07-02'); {FIX}"]),
    ("corrections-reordered", edit(A, CORR_0 + CORR_1, CORR_1 + CORR_0),
     [f"{A}:24:5: corrections[0]: the entry of base at this position (2026-07-02 correction) is now corrections[1]; keep existing entries in order and append new ones at the end"]),
    ("correction-inserted-before", edit(A, CORR_1, "  - date: 2026-07-02\n    type: addendum\n    summary: Added.\n" + CORR_1),
     [f"{A}:27:5: corrections[1]: the entry of base at this position (2026-07-02 clarification) is now corrections[2]; keep existing entries in order and append new ones at the end"]),
    ("correction-removed", edit(A, CORR_1, ""),
     [f"{A}:23:1: corrections: 1 entry of base removed (from corrections[1], 2026-07-02 clarification); {FIX}"]),
    ("all-corrections-removed", edit(A, "corrections:\n" + CORR_0 + CORR_1, ""),
     [f"{A}:1:1: corrections: 2 entries of base removed (from corrections[0], 2026-07-02 correction); {FIX}"]),
    ("submitted-changed", edit(A, "submitted: 2026-05-28", "submitted: 2026-05-27"),
     [f"{A}:5:12: submitted: changed from 2026-05-28 (at base) to 2026-05-27; a record's submitted never changes"]),
    ("submitted-quoted-is-same", edit(A, "submitted: 2026-05-28", "submitted: '2026-05-28'"), []),
    ("doi-changed", edit(A, "zenodo.111", "zenodo.222"),
     [f"{A}:14:6: doi: changed from 10.5281/zenodo.111 (at base) to 10.5281/zenodo.222; a DOI once given never changes"]),
    ("doi-removed", edit(A, "doi: 10.5281/zenodo.111\n", ""),
     [f"{A}:1:1: doi: 10.5281/zenodo.111 (at base) was removed; a DOI once given never changes"]),
    ("doi-case-only", edit(A, "zenodo.111", "ZENODO.111"), []),
    ("submitted-removed", edit(A, "submitted: 2026-05-28\n", ""),
     [f"{A}:1:1: missing required key 'submitted'; add: submitted: YYYY-MM-DD",
      f"{A}:1:1: submitted: 2026-05-28 (at base) was removed; a record's submitted never changes"]),
    ("now-unparseable-reports-only-the-syntax-error", edit(B, "section: research", "section: [research"),
     [f"{B}:7:7: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence started at line 6); close the list with ']' (items separated by ', ')"]),
    ("doi-added", edit(B, "report_artifact: false\n", "report_artifact: false\ndoi: 10.5281/zenodo.333\n"), []),
    ("id-changed", edit(B, "id: SRCH:5E6F7A8B", "id: SRCH:5E6F7A8C"),
     [f"{B}:3:5: id: SRCH:5E6F7A8C does not match the file name 5E6F7A8B.md; the file must be 5E6F7A8C.md or the id SRCH:5E6F7A8B",
      f"{B}:3:5: id: changed from SRCH:5E6F7A8B (at base) to SRCH:5E6F7A8C; a record's id never changes"]),
    ("record-deleted", delete(B),
     [f"{B}:1:1: record file deleted since base; records are never deleted or renamed: restore {B} (withdraw a record with a 'withdrawal' correction instead)"]),
    ("record-renamed", rename_b,
     [f"{B}:1:1: record file renamed to records/9A9A9A9A.md since base; records are never deleted or renamed: restore {B} (withdraw a record with a 'withdrawal' correction instead)"]),
    ("record-renamed-keeping-id", lambda repo: (repo / B).rename(repo / "records/9A9A9A9A.md"),
     [f"{B}:1:1: record file renamed to records/9A9A9A9A.md since base; records are never deleted or renamed: restore {B} (withdraw a record with a 'withdrawal' correction instead)",
      "records/9A9A9A9A.md:3:5: id: SRCH:5E6F7A8B does not match the file name 9A9A9A9A.md; the file must be 5E6F7A8B.md or the id SRCH:9A9A9A9A"]),
    ("gate-removed", edit(A, GATE, ""),
     [f"{A}:1:1: gate_evaluation: removed since base; an evaluation is only replaced by a later one"]),
    ("gate-replaced-by-earlier", edit(A, "2026-07-01T12:00:00Z", "2026-06-30T12:00:00Z"),
     [f"{A}:20:14: gate_evaluation: replaced by an earlier one (2026-06-30T12:00:00+00:00); the evaluation of 2026-07-01T12:00:00+00:00 at base is only replaced by a later one"]),
    ("gate-edited-in-place", edit(A, "outcome: passed", "outcome: failed"),
     [f"{A}:20:14: gate_evaluation: edited; the evaluation of 2026-07-01T12:00:00+00:00 at base is only replaced by a later one"]),
]


@pytest.mark.parametrize("name,change,expected", CASES, ids=[c[0] for c in CASES])
def test_base(repo: Path, name: str, change: Callable[[Path], None], expected: list[str]) -> None:
    change(repo)
    result = CliRunner().invoke(main, ["check", "--base", "base"], env=ENV)
    lines = [line for line in result.stderr.splitlines() if line.startswith("records/") and ": warning: " not in line]
    assert lines == expected, result.output
    assert result.exit_code == (1 if expected else 0), result.output


def test_base_compares_committed_history_not_worktree(repo: Path) -> None:
    """A change committed on a branch is still compared with the base ref, as in a pull request."""
    git(repo, "checkout", "-qb", "feature")
    edit(A, "Fixed a figure.", "Fixed it.")(repo)
    git(repo, "commit", "-qam", "edit")
    result = CliRunner().invoke(main, ["check", "--base", "main"], env=ENV)
    assert result.exit_code == 1
    assert f"{A}:26:14: corrections[0].summary: edited since main (was 'Fixed a figure.'); {FIX}" in result.stderr


def test_without_base_history_is_not_checked(repo: Path) -> None:
    delete(B)(repo)
    assert CliRunner().invoke(main, ["check"], env=ENV).exit_code == 0


def test_unknown_ref_is_usage_error(repo: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--base", "no-such-branch"], env=ENV)
    assert result.exit_code == 2
    assert "--base no-such-branch: no such commit or branch here" in result.stderr


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / B).write_text(RECORD_B)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = CliRunner().invoke(main, ["check", "--base", "main"], env=ENV)
    assert result.exit_code == 2
    assert "--base needs a git repository" in result.stderr


def test_records_folder_absent_at_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "README").write_text("x\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "start")
    (tmp_path / "records").mkdir()
    (tmp_path / B).write_text(RECORD_B)
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["check", "--base", "main"], env=ENV).exit_code == 0


def test_annotations_for_history_errors(repo: Path) -> None:
    delete(B)(repo)
    result = CliRunner().invoke(main, ["check", "--base", "base"], env={**ENV, "GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert f"::error file={B},line=1,col=1::record file deleted since base;" in result.stdout


def test_unparseable_base_version_is_not_compared(repo: Path) -> None:
    """A record broken at base and fixed now is judged by today's rules only."""
    edit(B, "section: research", "section: [research")(repo)
    git(repo, "commit", "-qam", "broken")
    git(repo, "tag", "broken")
    edit(B, "section: [research", "section: research")(repo)
    edit(B, "submitted: 2026-05-29", "submitted: 2026-05-30")(repo)
    result = CliRunner().invoke(main, ["check", "--base", "broken"], env=ENV)
    assert result.exit_code == 0, result.output
