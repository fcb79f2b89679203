"""`srchgen new` writes a record that passes `check` but for its placeholder abstract, with a fresh id,
never overwriting (issue 3, SPEC §5; the placeholder is an error since issue 15)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from click.testing import CliRunner

from srchgen.cli import commands as cli
from srchgen.cli.commands import main
from srchgen.config import Config
from srchgen.cli.scaffold import Draft, create, fresh_id, render, schema_url, taken_ids

ENV = {"SOURCE_DATE_EPOCH": "1793491200", "GITHUB_ACTIONS": None}  # 2026-11-01
FLAGS = ["--question", "How does soil moisture affect winter wheat yield?", "--section", "research", "--score", "7.5",
         "--claims", "3", "--publisher", "Example Research", "--report-artifact", "--topics", "soil-moisture, wheat"]


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "records").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text().split("---\n")[1])


def assert_only_placeholder() -> None:
    """`check` after `new`: every rule passes but the placeholder abstract, which is an error (issue 15)."""
    check = CliRunner().invoke(main, ["check"], env=ENV)
    errors = [line for line in check.stderr.splitlines() if re.match(r"\S+:\d+:\d+: (?!warning: )", line)]
    assert check.exit_code == 1 and len(errors) == 1 and errors[0].endswith(": the abstract is still the placeholder written by 'srchgen new'; replace it with the abstract"), check.output


def test_new_from_flags_passes_check(registry: Path) -> None:
    result = CliRunner().invoke(main, ["new", *FLAGS], env=ENV)
    assert result.exit_code == 0, result.output
    rel = result.stdout.strip()
    assert rel.startswith("records/") and rel.endswith(".md")
    path = registry / rel
    data = front_matter(path)
    assert data["id"] == f"SRCH:{path.stem}"
    assert data["submitted"].isoformat() == "2026-11-01"  # today from SOURCE_DATE_EPOCH
    assert data["topics"] == ["soil-moisture", "wheat"]
    assert data["review"] == {"score": 7.5} and data["claims"]["source_grounded"] == 3
    assert path.read_text().splitlines()[1] == "# yaml-language-server: $schema=../site/schema/paper-manifest-v1.1.json"
    check = CliRunner().invoke(main, ["check"], env=ENV)  # the placeholder is the one error left (issue 15)
    assert check.exit_code == 1, check.output
    assert check.stderr.splitlines()[:2] == [
        f"{rel}:17:1: the abstract is still the placeholder written by 'srchgen new'; replace it with the abstract", "1 error in 1 file",
    ]
    path.write_text(path.read_text().replace("TODO: replace this paragraph with the abstract. It should answer the research question:", "We ask:"))
    assert CliRunner().invoke(main, ["check"], env=ENV).exit_code == 0


def test_new_values_that_yaml_would_misread_are_quoted(registry: Path) -> None:
    flags = ["--question", "Does 'no': yes # hold?", "--section", "mathematics", "--score", "10", "--claims", "0",
             "--publisher", "no", "--title", "1984", "--no-report-artifact", "--date", "2026-05-28"]
    result = CliRunner().invoke(main, ["new", *flags], env=ENV)
    assert result.exit_code == 0, result.output
    data = front_matter(registry / result.stdout.strip())
    assert data["research_question"] == "Does 'no': yes # hold?"
    assert data["publisher"] == "no" and data["title"] == "1984" and data["report_artifact"] is False
    assert data["submitted"].isoformat() == "2026-05-28"
    assert_only_placeholder()


@pytest.mark.parametrize(
    "change,message",
    [
        (["--score", "7.555"], "srchgen new: --score: review.score: at most two decimals, found 7.555"),
        (["--claims", "-1"], "srchgen new: --claims: claims.source_grounded: must be >= 0, found number '-1'"),
        (["--topics", "Soil Moisture"], "srchgen new: --topics: topics[0]: topic 'Soil Moisture' must be a lowercase slug such as 'vision-language-models'"),
        (["--date", "2027-01-01"], "srchgen new: --date: submitted: 2027-01-01 is in the future (today is 2026-11-01)"),
        (["--score", "11"], "srchgen new: --score: review.score: must be <= 10, found number '11.0'"),
    ],
)
def test_new_rejects_invalid_values_and_writes_nothing(registry: Path, change: list[str], message: str) -> None:
    flags = list(FLAGS)
    if change[0] in flags:
        flags[flags.index(change[0]) + 1] = change[1]
    else:
        flags += change
    result = CliRunner().invoke(main, ["new", *flags], env=ENV)
    assert result.exit_code == 2
    assert message in result.stderr.splitlines()
    assert list((registry / "records").iterdir()) == []


@pytest.mark.parametrize("abstract, check_exit", [
    ("Barley yield falls by a tenth for each dS/m of soil salinity above 8, across 22 field trials.", 0),
    ("   ", 1),  # blank: the placeholder, which check reports
])
def test_new_with_an_abstract_passes_check(registry: Path, abstract: str, check_exit: int) -> None:
    result = CliRunner().invoke(main, ["new", *FLAGS, "--abstract", abstract], env=ENV)
    assert result.exit_code == 0, result.output
    path = registry / result.stdout.strip().splitlines()[-1]
    assert (abstract.strip() in path.read_text()) and ("placeholder abstract" in result.stderr) == (check_exit == 1)
    check = CliRunner().invoke(main, ["check"], env=ENV)
    assert check.exit_code == check_exit, check.output


def test_new_without_flags_and_no_terminal_is_usage_error(registry: Path) -> None:
    result = CliRunner().invoke(main, ["new", "--question", "Q?"], env=ENV)
    assert result.exit_code == 2
    assert ("missing --section, --score, --claims, --publisher, --report-artifact or --no-report-artifact "
            "(stdin is not a terminal, so srchgen new cannot ask)") in result.stderr
    assert list((registry / "records").iterdir()) == []


def test_new_asks_at_a_terminal(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    answers = "How does soil salinity affect barley yield?\n\nbenchmarks\nsalinity,barley\n6.25\n4\nExample Lab\ny\n\n"
    result = CliRunner().invoke(main, ["new"], input=answers, env=ENV)
    assert result.exit_code == 0, result.output
    path = registry / result.stdout.strip().splitlines()[-1]
    data = front_matter(path)
    assert data["section"] == "benchmarks" and data["topics"] == ["salinity", "barley"]
    assert data["review"]["score"] == 6.25 and data["claims"]["source_grounded"] == 4 and data["report_artifact"] is True
    assert_only_placeholder()


def test_missing_records_folder_is_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["new", *FLAGS], env=ENV).exit_code == 2


def tokens(*values: str) -> Iterator[str]:
    return iter(values)


def test_fresh_id_skips_every_id_in_use(tmp_path: Path) -> None:
    (tmp_path / "AAAAAAAA.md").write_text("---\nid: SRCH:AAAAAAAA\n---\n")
    (tmp_path / "BBBBBBBB").mkdir()  # an artifact folder without its record
    (tmp_path / "CCCCCCCC.md").write_text("---\nid: SRCH:dddddddd\n---\n")  # an id that is not its file name
    assert taken_ids(tmp_path) >= {"AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD"}
    seq = tokens("aaaaaaaa", "bbbbbbbb", "dddddddd", "0a1b2c3d")
    assert fresh_id(tmp_path, lambda n: next(seq)) == "0A1B2C3D"


def test_fresh_id_is_random_hex() -> None:
    import re

    ids = {fresh_id(Path("/nonexistent")) for _ in range(20)}
    assert len(ids) == 20 and all(re.fullmatch(r"[0-9A-F]{8}", i) for i in ids)


def test_create_never_overwrites(tmp_path: Path) -> None:
    draft = Draft("How does X affect Y?", "research", 5, 0, "P", False)
    config = Config()
    first = create(tmp_path, draft, config, token=lambda n: "0a0a0a0a")
    before = first.read_bytes()
    # the same random draw again: the id is taken, so a new one is drawn and the first file stays
    seq = tokens("0a0a0a0a", "0b0b0b0b")
    second = create(tmp_path, draft, config, token=lambda n: next(seq))
    assert second.name == "0B0B0B0B.md" and first.read_bytes() == before


def test_create_refuses_existing_file_even_if_id_check_raced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from srchgen.cli import scaffold

    (tmp_path / "0C0C0C0C.md").write_text("someone else's record\n")
    monkeypatch.setattr(scaffold, "fresh_id", lambda records_dir, token: "0C0C0C0C")
    with pytest.raises(FileExistsError):
        create(tmp_path, Draft("Q?", "research", 5, 0, "P", False), Config())
    assert (tmp_path / "0C0C0C0C.md").read_text() == "someone else's record\n"


def test_schema_url_uses_base_url() -> None:
    assert schema_url(Config(base_url="https://org.github.io/repo")) == "https://org.github.io/repo/schema/paper-manifest-v1.1.json"
    text = render(Draft("Q?", "research", 5, 0, "P", False), "0D0D0D0D", "https://x/schema.json")
    assert text.splitlines()[1] == "# yaml-language-server: $schema=https://x/schema.json"


def test_section_choices_match_the_schema() -> None:
    from srchgen.check.schema import Section

    assert cli._SECTIONS == [s.value for s in Section]


def test_new_writes_doi_report_url_and_related(registry: Path) -> None:
    """--doi, --report-url and --related (issue 24): written, validated, and a related id must be a record of the registry."""
    first = CliRunner().invoke(main, ["new", *FLAGS], env=ENV)
    assert first.exit_code == 0, first.output
    other = "SRCH:" + Path(first.stdout.strip()).stem
    flags = [*FLAGS, "--doi", "10.5281/zenodo.123", "--report-url", "https://example.org/report.pdf", "--related", f" {other} ", "--title", "Soil and wheat"]
    result = CliRunner().invoke(main, ["new", *flags], env=ENV)
    assert result.exit_code == 0, result.output
    data = front_matter(registry / result.stdout.strip())
    assert data["doi"] == "10.5281/zenodo.123" and data["report_url"] == "https://example.org/report.pdf"
    assert data["related"] == [other] and data["title"] == "Soil and wheat"


@pytest.mark.parametrize(
    "flag,value,message",
    [
        ("--doi", "not-a-doi", "srchgen new: --doi: doi:"),
        ("--report-url", "ftp://example.org/r.pdf", "srchgen new: --report-url: report_url:"),
        ("--related", "SRCH:ABCDEF12", "srchgen new: --related: related[0]: no record has the id SRCH:ABCDEF12"),
    ],
    ids=["doi", "report-url", "related"],
)
def test_new_rejects_a_bad_doi_report_url_or_related_id(registry: Path, flag: str, value: str, message: str) -> None:
    result = CliRunner().invoke(main, ["new", *FLAGS, flag, value], env=ENV)
    assert result.exit_code == 2, result.output
    assert any(line.startswith(message) for line in result.stderr.splitlines()), result.stderr
    assert list((registry / "records").iterdir()) == []


def test_new_asks_for_a_title_at_a_terminal(registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    answers = "How does soil salinity affect barley yield?\nSalinity and barley\nbenchmarks\nsalinity\n6.25\n4\nExample Lab\ny\n\n"
    result = CliRunner().invoke(main, ["new"], input=answers, env=ENV)
    assert result.exit_code == 0, result.output
    assert "Short title" in result.output
    assert front_matter(registry / result.stdout.strip().splitlines()[-1])["title"] == "Salinity and barley"
