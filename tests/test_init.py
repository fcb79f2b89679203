"""`srchgen init` writes a registry that checks and builds as it is, and never overwrites (issue 16)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from click.testing import CliRunner

from srchgen import __version__
from srchgen.cli import commands as cli, starter
from srchgen.cli.commands import main
from srchgen.config import load_config
from tests.conftest import REPO

ENV = {"SOURCE_DATE_EPOCH": "1793491200", "GITHUB_ACTIONS": None}  # 2026-11-01
FILES = ["pyproject.toml", "README.md", ".gitignore", ".pre-commit-config.yaml",
         ".github/workflows/pages.yml", ".github/workflows/check.yml"]


def run(args: list[str], **kw: Any) -> Any:
    return CliRunner().invoke(main, args, env=ENV, catch_exceptions=False, **kw)


def load_yaml(path: Path) -> Any:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registry made by `srchgen init reg` (not at a terminal), the current directory its parent."""
    monkeypatch.chdir(tmp_path)
    result = run(["init", "reg", "--title", "Soil & Water \"Registry\"", "--license", "CC-BY-4.0"])
    assert result.exit_code == 0, result.output
    return tmp_path / "reg"


def test_init_writes_every_file_and_the_example_passes_strict_check(made: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (example,) = sorted((made / "records").glob("*.md"))
    assert sorted(tree(made)) == sorted(FILES + [f"records/{example.name}"])
    text = example.read_text(encoding="utf-8")
    assert "Example record" in text and "replace it" in text  # clearly an example to replace
    assert re.search(r"^submitted: 2026-11-01$", text, re.M)  # Config.today, from SOURCE_DATE_EPOCH
    monkeypatch.chdir(made)
    check = run(["check", "--strict"])  # no warning either: the example abstract answers its question
    assert check.exit_code == 0, check.output
    assert check.stdout == "1 record ok\n" and check.stderr == ""
    build = run(["build", "--no-search"])
    assert build.exit_code == 0, build.output
    assert (made / "site" / "index.html").is_file() and not (made / "templates").exists()


def test_init_output_lists_the_files_and_next_steps(made: Path) -> None:
    result = run(["init", "other", "--title", "T"])
    lines = result.stdout.splitlines()
    assert lines[0] == f"created a registry in other/ (srchgen {__version__}):"
    assert [line.split()[0] for line in lines[1:8]][:6] == FILES
    assert "an example record: replace it" in lines[7]
    assert "  cd other" in lines and any("srchgen new" in line for line in lines)


def test_pyproject_table_is_valid_commented_and_pins_this_release(made: Path) -> None:
    text = (made / "pyproject.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["tool"]["srchgen"] == {"title": 'Soil & Water "Registry"', "license": "CC-BY-4.0"}
    config = load_config(made)
    assert config.title == 'Soil & Water "Registry"' and config.license is not None and config.license.id == "CC-BY-4.0"
    for key in ("base_url", "repository", "doi_grade_min_score", "doi_grade_min_claims", "quarantine_below_score"):
        assert re.search(rf"^# {key} = ", text, re.M), f"{key} is not offered as a commented line"
    assert data["dependency-groups"]["srchgen"] == [f"srchgen @ git+{starter.SOURCE}@v{__version__}"]


def test_repository_option_is_written_uncommented(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init", "--repository", "https://github.com/org/reg", "--title", "T"]).exit_code == 0
    assert load_config(tmp_path).repository == "https://github.com/org/reg"


def test_workflows_and_hook_config_use_the_pinned_action(made: Path) -> None:
    action = load_yaml(REPO / "action.yml")
    hooks = load_yaml(REPO / ".pre-commit-hooks.yaml")
    pages, check = (load_yaml(made / ".github" / "workflows" / n) for n in ("pages.yml", "check.yml"))
    for wf, command in ((pages, "build"), (check, "check")):
        ours = [s for job in wf["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith("srchgen/")]
        assert [s["uses"] for s in ours] == [f"srchgen/srchgen@v{__version__}"] == [starter.ACTION]
        assert ours[0]["with"]["command"] == command
        assert set(ours[0]["with"]) <= set(action["inputs"])
        assert not [s for job in wf["jobs"].values() for s in job["steps"] if "make " in s.get("run", "")]
    assert pages["on"]["push"]["branches"] == ["main"] and "pull_request" in check["on"]
    assert pages["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    # issue 25: the build signs the provenance of the Pages artifact and of the site's manifest
    build = pages["jobs"]["build"]
    assert build["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write"}
    (attest,) = [s for s in build["steps"] if s.get("uses", "").startswith("actions/attest-build-provenance@")]
    assert attest["with"]["subject-path"].splitlines() == ["${{ runner.temp }}/artifact.tar", "site/manifest.json.gz"]
    assert build["steps"].index(attest) > [i for i, s in enumerate(build["steps"]) if s.get("uses", "").startswith("actions/upload-pages-artifact@")][0]
    checkout = next(s for s in check["jobs"]["check"]["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # check --base needs the target branch
    pre = load_yaml(made / ".pre-commit-config.yaml")
    (repo,) = pre["repos"]
    assert repo["repo"] == starter.SOURCE and repo["rev"] == f"v{__version__}"
    assert [h["id"] for h in repo["hooks"]] == ["srchgen-check"] == [h["id"] for h in hooks]
    ignored = (made / ".gitignore").read_text().split()
    assert "/site/" in ignored and "/.srchgen-cache/" in ignored


def test_contributor_readme_names_the_commands(made: Path) -> None:
    text = (made / "README.md").read_text(encoding="utf-8")
    assert text.startswith('# Soil & Water "Registry"\n')
    for words in ("srchgen new", "srchgen check", "srchgen serve", "pipx install", f"v{__version__}", "pre-commit install"):
        assert words in text


def test_readme_install_line_names_this_release() -> None:
    """A version bump must update the README's install line, or this fails."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f'pipx install "git+{starter.SOURCE}@v{__version__}"' in readme
    assert f"uses: {starter.ACTION}" in readme and f"srchgen, version {__version__}" in readme


def test_source_url_is_the_packages_own() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["urls"]["Source"] == starter.SOURCE
    assert "version" in project["dynamic"]  # the version lives in srchgen/__init__.py only


def _empty(p: Path) -> None:
    pass


def _git_only(p: Path) -> None:
    (p / ".git").mkdir()


def _missing(p: Path) -> None:
    p.rmdir()


def _readme(p: Path) -> None:
    (p / "README.md").write_text("mine\n")


def _git_and_file(p: Path) -> None:
    (p / ".git").mkdir()
    (p / "LICENSE").write_text("mine\n")


def _hidden(p: Path) -> None:
    (p / ".env").write_text("x\n")


def _many(p: Path) -> None:
    for i in range(7):
        (p / f"f{i}").write_text("x")


@pytest.mark.parametrize(
    "setup, expected",
    [
        (_empty, None),
        (_git_only, None),  # a fresh `git init` or clone of an empty repository counts as empty
        (_missing, None),
        (_readme, "is not empty (README.md)"),
        (_git_and_file, "is not empty (LICENSE)"),
        (_hidden, "is not empty (.env)"),
        (_many, "is not empty (f0, f1, f2, f3, f4, ...)"),
    ],
    ids=["empty", "only-.git", "missing", "a-file", ".git-and-a-file", "a-hidden-file", "seven-files"],
)
def test_init_refuses_a_non_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         setup: Callable[[Path], None], expected: str | None) -> None:
    target = tmp_path / "reg"
    target.mkdir()
    setup(target)
    before = tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run(["init", "reg", "--title", "T"])
    if expected is None:
        assert result.exit_code == 0, result.output
        assert (target / "pyproject.toml").is_file()
    else:
        assert result.exit_code == 2
        assert result.stderr.startswith(f"srchgen init: reg {expected}; run srchgen init in a new or empty folder, or pass --force")
        assert tree(tmp_path) == before  # nothing written


def test_init_refuses_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reg").write_text("x")
    result = run(["init", "reg"])
    assert result.exit_code == 2 and result.stderr == "srchgen init: reg exists and is not a folder\n"


def test_force_adds_missing_files_and_never_overwrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init", "--title", "T"]).exit_code == 0
    (example,) = (tmp_path / "records").glob("*.md")
    (tmp_path / "README.md").write_text("our own readme\n")
    (tmp_path / "pyproject.toml").write_text("[tool.srchgen]\ntitle = 'Ours'\n")
    (tmp_path / ".github" / "workflows" / "check.yml").unlink()
    before = tree(tmp_path)
    refused = run(["init", "--title", "T"])
    assert refused.exit_code == 2 and tree(tmp_path) == before
    result = run(["init", "--force", "--title", "Other"])
    assert result.exit_code == 0, result.output
    after = tree(tmp_path)
    assert {k: v for k, v in after.items() if k in before} == before  # every existing byte kept
    assert sorted(set(after) - set(before)) == [".github/workflows/check.yml"]  # no second example record
    assert "  README.md   kept as it was" in result.stdout.splitlines()
    assert example.is_file()


def test_force_writes_no_example_beside_existing_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "0000000A.md").write_text("ours\n")
    result = run(["init", "--force", "--title", "T"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "records").iterdir()) == ["0000000A.md"]
    assert "example record" not in result.stdout


def test_force_never_writes_through_a_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "README.md").symlink_to(outside)
    monkeypatch.chdir(reg)
    assert run(["init", "--force", "--title", "T"]).exit_code == 0
    assert outside.read_text() == "keep\n"


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--repository", "http://github.com/o/r"], "srchgen init: --repository: repository must be an https URL"),
        (["--license", "CC BY"], "srchgen init: --license: license 'CC BY' is not an SPDX id"),
        (["--title", " "], "srchgen init: --title: the site title must be one non-empty line"),
        (["--title", "Two\nlines"], "srchgen init: --title: the site title must be one non-empty line"),
    ],
    ids=["http-repository", "spdx-with-space", "blank-title", "two-line-title"],
)
def test_invalid_options_write_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(["init", "--title", "T", *flags])
    assert result.exit_code == 2 and result.stderr.startswith(message), result.stderr
    assert list(tmp_path.iterdir()) == []


def test_title_is_asked_at_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    result = run(["init"], input="Wheat Syntheses\n\n")
    assert result.exit_code == 0, result.output
    assert "Site title [Research Synthesis Registry]: " in result.stdout
    assert load_config(tmp_path).title == "Wheat Syntheses"


@pytest.mark.parametrize("answer,chosen", [("\n", "CC-BY-4.0"), ("CC0-1.0\n", "CC0-1.0")], ids=["suggested", "typed"])
def test_license_is_asked_at_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, chosen: str) -> None:
    """Issue 24: a registry made by init starts with a licence chosen (Zenodo will not publish without one)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    result = run(["init"], input="Wheat Syntheses\n" + answer)
    assert result.exit_code == 0, result.output
    assert "Licence of the records (an SPDX id) [CC-BY-4.0]: " in result.stdout
    config = load_config(tmp_path)
    assert config.license is not None and config.license.id == chosen


def test_license_flag_is_not_asked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    result = run(["init", "--license", "ODbL-1.0"], input="T\n")
    assert result.exit_code == 0 and "Licence" not in result.stdout, result.output
    assert load_config(tmp_path).license.id == "ODbL-1.0"  # type: ignore[union-attr]


def test_title_defaults_when_not_at_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_interactive", lambda: False)
    assert run(["init"]).exit_code == 0
    assert load_config(tmp_path).title == "Research Synthesis Registry"


def test_a_non_empty_folder_is_refused_before_the_title_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x").write_text("x")
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    result = run(["init"], input="never read\n")
    assert result.exit_code == 2 and "Site title" not in result.stdout
