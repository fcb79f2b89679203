"""Every SPEC §2 violation has a case in tests/corpus/invalid/ with its exact error lines (issue 3)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from srchgen.cli.commands import main

CORPUS = Path(__file__).parent / "corpus" / "invalid"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.txt").is_file())
# 2026-11-01T00:00:00Z: the reference day, so "in the future" does not depend on the clock
PROBLEM = re.compile(r"^\S+:\d+:\d+: (?!warning: )")  # errors only: warnings are tests/unit/test_lint.py's
ENV = {"SOURCE_DATE_EPOCH": "1793491200", "GITHUB_ACTIONS": None}


def _problem_lines(text: str) -> list[str]:
    """The `path:line:col: message` lines (the closing count line is checked separately)."""
    return [line for line in text.splitlines() if PROBLEM.match(line)]


@pytest.fixture
def case_dir(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the case (symlinks kept as links), as the current directory."""
    work = tmp_path / request.param
    shutil.copytree(CORPUS / request.param, work, symlinks=True)
    monkeypatch.chdir(work)
    return work


def test_corpus_size() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("case_dir", CASES, indirect=True)
def test_check_reports_exact_lines(case_dir: Path) -> None:
    expected = (case_dir / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert expected, "a case must expect at least one error"
    result = CliRunner().invoke(main, ["check"], env=ENV)
    assert result.exit_code == 1, result.output
    assert _problem_lines(result.stderr) == expected
    errors = len(expected)
    files = len({line.split(":", 1)[0] for line in expected})
    summary = f"{errors} error{'s' if errors != 1 else ''} in {files} file{'s' if files != 1 else ''}"
    assert summary in result.stderr.splitlines()
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case_dir", CASES, indirect=True)
def test_build_leaves_site_untouched(case_dir: Path) -> None:
    site = case_dir / "site"
    site.mkdir()
    (site / "index.html").write_text("old site\n")
    result = CliRunner().invoke(main, ["build", "--no-search"], env=ENV)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in site.iterdir()) == ["index.html"]
    assert (site / "index.html").read_text() == "old site\n"
    assert not list(case_dir.glob("site.tmp-*"))


@pytest.mark.parametrize("case_dir", ["duplicate-key", "doi-duplicate"], indirect=True)
def test_github_actions_annotations(case_dir: Path) -> None:
    expected = (case_dir / "expected.txt").read_text(encoding="utf-8").splitlines()
    result = CliRunner().invoke(main, ["check"], env={**ENV, "GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    want = []
    for line in expected:
        path, ln, col, msg = line.split(":", 3)
        want.append(f"::error file={path},line={ln},col={col}::{msg.strip()}")
    assert annotations == want


def test_annotation_escapes_newlines_and_commas() -> None:
    from srchgen.errors import Problem

    p = Problem("records/a,b.md", 3, 4, "50% off\nnext")
    assert p.annotation() == "::error file=records/a%2Cb.md,line=3,col=4::50%25 off%0Anext"
    assert Problem("r.md", 1, 1, "w", "warning").annotation() == "::warning file=r.md,line=1,col=1::w"


def test_file_over_one_mebibyte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated here rather than committed: a 1 MiB fixture would bloat the repository."""
    records = tmp_path / "records"
    records.mkdir()
    text = (CORPUS / "abstract-empty" / "records" / "1A2B3C4D.md").read_text() + "x" * (1024 * 1024)
    (records / "1A2B3C4D.md").write_text(text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"], env=ENV)
    assert result.exit_code == 1
    size = len(text.encode())
    assert _problem_lines(result.stderr) == [
        f"records/1A2B3C4D.md:1:1: file is {size:,} bytes; a record may be at most 1,048,576 bytes (1 MiB)"
    ]
