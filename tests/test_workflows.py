"""The GitHub workflows have the structure Pages and pull requests need, and their srchgen commands work (issue 3, SPEC §5)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent  # the venv running the tests has the srchgen script
BASE_URL = "https://example.github.io/registry"


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def step(job: dict[str, Any], action: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("uses", "").startswith(action + "@"))


def run_steps(job: dict[str, Any], word: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if word in s.get("run", "")]


def test_actions_are_pinned_to_a_major_version() -> None:
    for name in ("pages.yml", "check.yml"):
        for job in load(name)["jobs"].values():
            for s in job["steps"]:
                if "uses" in s:
                    assert re.fullmatch(r"actions/[a-z-]+@v\d+", s["uses"]), s["uses"]


def test_pages_workflow_structure() -> None:
    wf = load("pages.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["permissions"] == {"contents": "read"}
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    assert uses(build) == [
        "actions/checkout", "actions/setup-python", "actions/cache", "actions/configure-pages", "actions/upload-pages-artifact",
        "actions/attest-build-provenance",
    ]
    assert step(build, "actions/setup-python")["with"]["python-version"] == "3.11"
    assert step(build, "actions/checkout")["with"]["fetch-depth"] == 0  # full history: each record page lists its changes
    # building writes nothing to the repository; it may only sign its provenance (issue 25)
    assert build["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write"}
    subjects = step(build, "actions/attest-build-provenance")["with"]["subject-path"].splitlines()
    assert subjects == ["${{ runner.temp }}/artifact.tar", "site/manifest.json.gz"]  # upload-pages-artifact's tar, and the manifest a reader downloads
    cache = step(build, "actions/cache")["with"]
    assert cache["path"] == ".srchgen-cache"
    assert "steps.version.outputs.version" in cache["key"] and "hashFiles('records/**'" in cache["key"]
    assert cache["restore-keys"].strip() == "srchgen-${{ steps.version.outputs.version }}-"
    assert step(build, "actions/configure-pages")["id"] == "pages"
    (site,) = run_steps(build, "make site")
    assert site["env"]["SRCHGEN_BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert "--base-url $SRCHGEN_BASE_URL/" in site["run"]
    assert step(build, "actions/upload-pages-artifact")["with"]["path"] == "site/"
    # deploy: its own job, after build, with exactly the Pages permissions
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert uses(deploy) == ["actions/deploy-pages"]
    assert step(deploy, "actions/deploy-pages")["id"] == "deployment"


def test_check_workflow_structure() -> None:
    wf = load("check.yml")
    assert "pull_request" in wf["on"]
    assert wf["permissions"] == {"contents": "read"}
    (job,) = wf["jobs"].values()
    assert uses(job) == ["actions/checkout", "actions/setup-python"]
    assert step(job, "actions/checkout")["with"]["fetch-depth"] == 0  # the base branch must be there
    assert any(s.get("run") == "make install" for s in job["steps"])
    (check,) = run_steps(job, "srchgen check")
    assert check["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert shlex.split(check["run"]) == [".venv/bin/srchgen", "check", "--base", "origin/$BASE_REF"]


def _make_site_command(run: str) -> str:
    """`make site SITE_FLAGS=...` as the shell command make would run (the Makefile's own recipe)."""
    words = shlex.split(run)
    assert words[:2] == ["make", "site"]
    flags = dict(w.split("=", 1) for w in words[2:])["SITE_FLAGS"]
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^site:.*\n\t(.+)$", makefile, re.M)
    assert recipe, "Makefile has no site recipe"
    command = recipe.group(1).replace("$(BIN)", str(BIN)).replace("$(SITE_FLAGS)", flags)
    assert "$(" not in command, command
    return command


def _shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=full, capture_output=True, text=True, check=False)


def _registry(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "records", tmp_path / "records")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_pages_build_command_runs(tmp_path: Path) -> None:
    (site,) = run_steps(load("pages.yml")["jobs"]["build"], "make site")
    root = _registry(tmp_path)
    env = {"SRCHGEN_BASE_URL": BASE_URL, "SOURCE_DATE_EPOCH": "1793491200", "GITHUB_ACTIONS": "true"}
    proc = _shell(_make_site_command(site["run"]), root, env)
    assert proc.returncode == 0, proc.stderr
    assert (root / "site" / "index.html").is_file()
    assert (root / "site" / "schema" / "paper-manifest-v1.1.json").is_file()
    assert f"<loc>{BASE_URL}/" in (root / "site" / "sitemap.xml").read_text()  # the base URL reached the build


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A checkout as actions/checkout leaves it for a pull request: origin/main is the target branch."""
    root = _registry(tmp_path)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "registry")
    _git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(root, "checkout", "-qb", "pr")
    return root


def _check_command() -> str:
    (job,) = load("check.yml")["jobs"].values()
    (check,) = run_steps(job, "srchgen check")
    return check["run"].replace(".venv/bin/", f"{BIN}/")


PR_ENV = {"BASE_REF": "main", "SOURCE_DATE_EPOCH": "1793491200", "GITHUB_ACTIONS": "true"}


def test_check_command_passes_an_additive_pull_request(pull_request: Path) -> None:
    rec = pull_request / "records" / "08EA5386.md"
    text = rec.read_text()
    rec.write_text(text.replace("related: [", "corrections:\n  - date: 2026-07-02\n    type: clarification\n    summary: Clarified the scope.\nrelated: [", 1))
    proc = _shell(_check_command(), pull_request, PR_ENV)
    assert proc.returncode == 0, proc.stderr


def test_check_command_annotates_a_deleted_record(pull_request: Path) -> None:
    (pull_request / "records" / "D5E0A418.md").unlink()
    proc = _shell(_check_command(), pull_request, PR_ENV)
    assert proc.returncode == 1
    assert "::error file=records/D5E0A418.md,line=1,col=1::record file deleted since origin/main;" in proc.stdout
    assert "records/D5E0A418.md:1:1: record file deleted since origin/main;" in proc.stderr
