"""Each record's history from git (issue 14), against real temporary repositories."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from srchgen.load import git_log
from srchgen.build.pipeline import build
from srchgen.cli.commands import main
from tests.conftest import manifest, project_for, record_text

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git missing")

REPO_URL = "https://github.com/org/registry"


def git(root: Path, *args: str, day: int = 1) -> str:
    stamp = f"2026-07-{day:02d}T12:00:00+00:00"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org", "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def repo(empty_project: Path) -> Path:
    """A registry with one record and three commits: added, a correction appended, an edit."""
    root = empty_project
    (root / "pyproject.toml").write_text(f'[tool.srchgen]\ntitle = "T"\nrepository = "{REPO_URL}"\n', encoding="utf-8")
    (root / ".gitignore").write_text("site/\n.srchgen-cache/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    data = manifest(submitted="2026-06-20")
    path = root / "records" / "0000000A.md"
    path.write_text(record_text(data), encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Add SRCH:0000000A", day=1)
    data["corrections"] = [{"date": "2026-07-02", "type": "erratum", "summary": "Fixed a figure."}]
    path.write_text(record_text(data), encoding="utf-8")
    git(root, "commit", "-q", "-am", "Erratum for SRCH:0000000A", day=2)
    data["title"] = "A better title"
    path.write_text(record_text(data), encoding="utf-8")
    git(root, "commit", "-q", "-am", "Retitle", day=3)
    return root


def _rows(html: str) -> list[tuple[str, str, str]]:
    section = html[html.index('<h2 id="history">') : html.index("</section>", html.index('<h2 id="history">'))]
    return re.findall(r'<tr><td><time datetime="([^"]+)">.*?</time></td><td>(.*?)</td><td>(.*?)<span', section)


def test_history_lists_three_commits_newest_first_with_links(repo: Path) -> None:
    report = build(project_for(repo), search=False)
    assert not report.errors, [str(p) for p in report.errors]
    html = (repo / "site/records/0000000A/index.html").read_text(encoding="utf-8")
    rows = _rows(html)
    assert [(d, what) for d, _, what in rows] == [
        ("2026-07-03", "Edit"), ("2026-07-02", "Correction appended (erratum)"), ("2026-07-01", "Record added"),
    ]
    commits = git(repo, "log", "--format=%H").split()
    for (_, cell, _), commit in zip(rows, commits):
        assert f'href="{REPO_URL}/blob/{commit}/records/0000000A.md"' in cell and f"<code>{commit[:7]}</code>" in cell


def test_one_git_log_for_all_records(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, ...]] = []
    real = git_log._git
    monkeypatch.setattr(git_log, "_git", lambda records, *args: calls.append(args) or real(records, *args))
    build(project_for(repo), search=False)
    assert sum(1 for a in calls if "log" in a) == 1


def test_a_new_commit_reaches_the_page_through_the_cache(repo: Path) -> None:
    """The cache's key holds the history: amending the last commit (no file changes) updates the links,
    through `srchgen build`'s no-op check too."""
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        assert runner.invoke(main, ["build", "--no-search"]).exit_code == 0
        git(repo, "commit", "-q", "--amend", "-m", "Retitle, amended", day=4)
        result = runner.invoke(main, ["build", "--no-search"])
        assert result.exit_code == 0, result.output
    finally:
        os.chdir(cwd)
    html = (repo / "site/records/0000000A/index.html").read_text(encoding="utf-8")
    newest = git(repo, "log", "-1", "--format=%H")
    assert _rows(html)[0][0] == "2026-07-04" and newest[:7] in _rows(html)[0][1]


def test_without_git_history_the_section_says_so(empty_project: Path, tmp_path: Path) -> None:
    (empty_project / "records").mkdir(exist_ok=True)
    (empty_project / "records" / "0000000A.md").write_text(record_text(manifest()), encoding="utf-8")
    build(project_for(empty_project), search=False)
    html = (empty_project / "site/records/0000000A/index.html").read_text(encoding="utf-8")
    assert "No history is shown: the records are not in a git repository." in html


def test_a_shallow_clone_says_so(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True, capture_output=True)
    history = git_log.read(clone / "records")
    assert history.missing is not None and "shallow" in history.missing and history.by_hex == {}


def test_gate_evaluation_is_classified() -> None:
    patch = (
        "\x1e" + "a" * 40 + "\x1f2026-07-05T09:00:00+02:00\x1fGate 2: evaluate\n\n"
        "diff --git a/records/0000000B.md b/records/0000000B.md\nindex 1..2 100644\n--- a/records/0000000B.md\n+++ b/records/0000000B.md\n"
        "@@ -20,0 +21,8 @@\n+gate_evaluation:\n+  evaluated: 2026-07-05T07:00:00Z\n+  outcome: passed\n+  artifact_sha256:\n"
        "+  - " + "0" * 64 + "\n+  signature: |\n+    -----BEGIN SSH SIGNATURE-----\n+    U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg\n"
    )
    (change,) = git_log.parse(patch)["0000000B"]
    assert change.what == "Gate evaluation" and change.date.isoformat() == "2026-07-05" and change.short == "aaaaaaa"
