"""The command line through click's CliRunner: output lines and exit codes (SPEC §5)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from srchgen.cli.commands import main
from tests.conftest import manifest, record_text, write_record


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(main, list(args), env=env, catch_exceptions=False)


def test_build_ok(runner: CliRunner, tmp_project: Path) -> None:
    result = run(runner, "build", "--no-search")
    assert result.exit_code == 0, result.output
    assert "built 14 records into site/" in result.stdout
    assert "note: no base_url" in result.stderr
    assert (tmp_project / "site" / "index.html").is_file()


@pytest.mark.parametrize("command", [["build", "--no-search"], ["check"], ["--version"]])
def test_build_and_check_turn_the_cyclic_collector_off_for_their_process(runner: CliRunner, tmp_project: Path, command: list[str]) -> None:
    import gc

    gc.enable()  # conftest turns it back on after the test
    assert run(runner, *command).exit_code == 0
    assert gc.isenabled() is (command[0] == "--version")


def test_base_url_flag_overrides_config(runner: CliRunner, tmp_project: Path) -> None:
    result = run(runner, "build", "--no-search", "--base-url", "https://org.github.io/repo")
    assert result.exit_code == 0
    assert "note: no base_url" not in result.stderr
    page = (tmp_project / "site" / "records" / "A0000001" / "index.html").read_text()
    assert '<link rel="canonical" href="https://org.github.io/repo/records/A0000001/">' in page
    assert (tmp_project / "site" / "sitemap.xml").is_file()


@pytest.mark.parametrize("value", ["org.github.io/repo", "//org.github.io/repo/", "ftp://org.github.io/"])
@pytest.mark.parametrize("pyproject", [False, True], ids=["no-pyproject", "pyproject"])
def test_a_bad_base_url_flag_is_the_flags_error(runner: CliRunner, empty_project: Path, value: str, pyproject: bool) -> None:
    """Issue 15: it used to be reported as pyproject.toml:1:1, even in a folder without one."""
    if pyproject:
        (empty_project / "pyproject.toml").write_text("[tool.srchgen]\ntitle = 'T'\n")
    result = run(runner, "build", "--no-search", "--base-url", value)
    assert result.exit_code == 2
    assert f"Error: Invalid value for '--base-url': {value!r} is not an absolute http(s) URL; write it with its scheme, such as https://org.github.io/repo/" in result.stderr
    assert "pyproject.toml" not in result.stderr and not (empty_project / "site").exists()


def test_invalid_records_exit_1_report_everything_and_write_nothing(runner: CliRunner, empty_project: Path) -> None:
    records = empty_project / "records"
    write_record(records, manifest(review={"score": 11}))
    (records / "0000000B.md").write_text(record_text(manifest(id="SRCH:0000000B", publisher="no")).replace("publisher: 'no'", "publisher: no"))
    result = run(runner, "build")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "records/0000000A.md:8:10: review.score: must be <= 10, found number '11'"
    assert lines[1].startswith("records/0000000B.md:12:12: publisher: expected text, found boolean 'no'")
    assert "2 errors in 2 files" in lines
    assert "site not written: site does not exist yet and was not created" in lines  # never "unchanged" (issue 24)
    assert "Traceback" not in result.output
    assert not (empty_project / "site").exists()


def test_paths_shown_as_given(runner: CliRunner, empty_project: Path) -> None:
    other = empty_project / "elsewhere"
    write_record(other, manifest(review={"score": 11}))
    result = run(runner, "check", "--records", "elsewhere/")
    assert result.stderr.startswith("elsewhere/0000000A.md:8:10: ")
    result = run(runner, "check", "--records", str(other))
    assert result.stderr.startswith("elsewhere/0000000A.md:8:10: ")


def test_github_annotations(runner: CliRunner, empty_project: Path) -> None:
    write_record(empty_project / "records", manifest(review={"score": 11}))
    result = run(runner, "check", env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert "::error file=records/0000000A.md,line=8,col=10::review.score: must be <= 10, found number '11'" in result.stdout


def test_check_warnings_and_strict(runner: CliRunner, empty_project: Path) -> None:
    write_record(empty_project / "records", manifest(), body="Abstract: the harness builds a valid record.\n")
    result = run(runner, "check")
    assert result.exit_code == 0
    assert "records/0000000A.md:15:1: warning: the abstract starts with an 'Abstract:' label" in result.stderr
    assert result.stdout == "1 record checked: 0 ok, 1 with warnings\n"  # a warning is not "ok" (issue 24)
    strict = run(runner, "check", "--strict")
    assert strict.exit_code == 1
    assert "records/0000000A.md:15:1: the abstract starts with an 'Abstract:' label" in strict.stderr


@pytest.mark.parametrize("out", [".", "records", "records/sub", ".."])
def test_out_may_not_hold_the_project(runner: CliRunner, empty_project: Path, out: str) -> None:
    result = run(runner, "build", "--out", out)
    assert result.exit_code == 2
    assert "would overwrite the project or its records" in result.stderr


def test_missing_records_dir_is_usage_error(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(runner, "build")
    assert result.exit_code == 2
    assert "records directory not found" in result.stderr


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[tool.srchgen]\npage_sise = 10\n", "pyproject.toml:2:1: unknown key 'page_sise' in [tool.srchgen]; did you mean 'page_size'?"),
        ("[tool.srchgen]\ntitle = 'x'\npage_size = 0\n", "pyproject.toml:3:1: [tool.srchgen] page_size: Input should be greater than or equal to 1"),
        ("[tool.srchgen]\nbase_url = 'ftp://x'\n", "pyproject.toml:2:1: [tool.srchgen] base_url: base_url must be an absolute http(s) URL"),
        ("[tool.srchgen\n", "pyproject.toml:1:"),
        ("[tool.srchgen]\nfeed_size = 0\n", "pyproject.toml:2:1: [tool.srchgen] feed_size: Input should be greater than or equal to 1"),
        ("[tool.srchgen]\nsearch_shard_size = 0\n", "pyproject.toml:2:1: [tool.srchgen] search_shard_size: Input should be greater than or equal to 1"),
        ("[tool.srchgen]\nsearch_shard_size = '5000'\n", "pyproject.toml:2:1: [tool.srchgen] search_shard_size: Input should be a valid integer"),
        ("[tool.srchgen]\nsearch_shard_size = true\n", "pyproject.toml:2:1: [tool.srchgen] search_shard_size: Input should be a valid integer"),
        ("[tool.srchgen]\nmax_site_bytes = 0\n", "pyproject.toml:2:1: [tool.srchgen] max_site_bytes: Input should be greater than or equal to 1"),
        ("[tool.srchgen]\nrepository = 'http://github.com/o/r'\n", "pyproject.toml:2:1: [tool.srchgen] repository: repository must be an https URL"),
        ("[tool.srchgen]\nlicense = 'CC BY'\n", "pyproject.toml:2:1: [tool.srchgen] license: license 'CC BY' is not an SPDX id such as CC-BY-4.0"),
        ("[tool.srchgen]\nlicense = { id = 'CC-BY-4.0', url = 'x' }\n", "pyproject.toml:2:1: [tool.srchgen] license: license url must be an absolute http(s) URL"),
    ],
)
def test_config_errors_exit_2(runner: CliRunner, empty_project: Path, toml: str, message: str) -> None:
    (empty_project / "pyproject.toml").write_text(toml)
    result = run(runner, "check")
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("value, expected", [
    ("'CC-BY-4.0'", ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")),
    ("'CC0-1.0'", ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/")),
    ("'Apache-2.0'", ("Apache-2.0", "https://spdx.org/licenses/Apache-2.0.html")),
    ("{ id = 'LicenseRef-Ours', url = 'https://example.org/terms' }", ("LicenseRef-Ours", "https://example.org/terms")),
])
def test_license_is_an_spdx_id_with_a_url(empty_project: Path, value: str, expected: tuple[str, str]) -> None:
    from srchgen.config import load_config

    (empty_project / "pyproject.toml").write_text(f"[tool.srchgen]\nlicense = {value}\nrepository = 'https://github.com/o/r/'\n")
    config = load_config(empty_project)
    assert config.license is not None and (config.license.id, config.license.url) == expected
    assert config.repository == "https://github.com/o/r"


def test_schema_is_json_schema_that_accepts_records(runner: CliRunner) -> None:
    result = run(runner, "schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = json.loads(json.dumps(manifest(), default=str))
    assert list(validator.iter_errors(good)) == []
    bad = dict(good, reveiw={"score": 1})
    assert list(validator.iter_errors(bad))


@pytest.mark.parametrize("command", ["build", "check", "schema"])
def test_every_command_has_help(runner: CliRunner, command: str) -> None:
    result = run(runner, command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout and len(result.stdout.splitlines()) > 3


def test_version(runner: CliRunner) -> None:
    result = run(runner, "--version")
    assert result.exit_code == 0 and "srchgen" in result.stdout


@pytest.mark.parametrize("license,noted", [(None, True), ("CC-BY-4.0", False)], ids=["without", "with"])
def test_a_build_without_a_license_says_so_once(runner: CliRunner, tmp_project: Path, license: str | None, noted: bool) -> None:
    """Issue 24: like base_url, a missing licence is named (no page, feed or export would carry one)."""
    if license is not None:
        with (tmp_project / "pyproject.toml").open("a", encoding="utf-8") as f:
            f.write(f'license = "{license}"\n')
    result = run(runner, "build", "--no-search")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("note: no license:") == (1 if noted else 0)
