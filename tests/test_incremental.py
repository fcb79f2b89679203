"""The build cache: an incremental build writes exactly what a clean build writes (issue 5)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from srchgen.build import budget
from srchgen.build import pipeline as build_mod
from srchgen.build import outputs as outputs_mod
from srchgen.build.pipeline import build
from srchgen.render.render import Renderer
from srchgen.cli.commands import main
from tests.conftest import project_for
from tests.test_build import tree


def _edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        p = root / path
        text = p.read_text()
        assert old in text, old
        p.write_text(text.replace(old, new, 1))

    return edit


def _delete(root: Path) -> None:
    (root / "records" / "A0000002.md").unlink()
    shutil.rmtree(root / "records" / "A0000002")


def _add(root: Path) -> None:
    text = (root / "records" / "C0000001.md").read_text().replace("SRCH:C0000001", "SRCH:C0000002").replace("submitted: 2026-09-01", "submitted: 2026-09-02")
    (root / "records" / "C0000002.md").write_text(text.replace("How do sparse attention", "Why do sparse attention"))


def _artifact(root: Path) -> None:
    (root / "records" / "A0000001" / "Proof.lean").write_text("theorem changed : True := trivial\n")


def _same_abstract(root: Path) -> None:
    """B0000003 takes C0000001's abstract: both pages gain the duplicate-abstract finding."""
    def body(name: str) -> tuple[str, str]:
        text = (root / "records" / name).read_text()
        head, _, rest = text[4:].partition("\n---\n")
        return "---\n" + head + "\n---\n", rest
    head, _ = body("B0000003.md")
    _, other = body("C0000001.md")
    (root / "records" / "B0000003.md").write_text(head + other)


def _template(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "about.html").write_text('{% extends "base.html" %}{% block content %}<p>Changed about</p>{% endblock %}\n')


EDITS = {
    "abstract": _edit("records/A0000002.md", "prints forty-two", "prints 42"),
    "title": _edit("records/8F12A054.md", "title: Scaling Vision-Language Models", "title: Scaling Vision Language Models"),
    "score-moves-tier": _edit("records/A0000002.md", "score: 6.1", "score: 4.1"),
    "date-moves-row": _edit("records/B0000003.md", "submitted: 2026-08-01", "submitted: 2026-05-01"),
    "related-added": _edit("records/B0000001.md", "topics: [retrieval, citation-integrity]", "topics: [retrieval, citation-integrity]\nrelated: [SRCH:B0000002]"),
    "record-deleted": _delete,
    "record-added": _add,
    "artifact-changed": _artifact,
    "template-added": _template,
    "config-changed": _edit("pyproject.toml", "page_size = 5", "page_size = 4"),
    # the listings stay as they are: only the record's own files, the feeds and the sitemap change
    "correction-appended": _edit(
        "records/B0000002.md", "    summary: Reinstated after the reference list was checked.\n",
        "    summary: Reinstated after the reference list was checked.\n  - date: 2026-08-01\n    type: erratum\n    summary: A figure caption was fixed.\n",
    ),
    "question-of-related-record": _edit("records/B0000001.md", "research_question: ", "research_question: Still, "),
    # listing keys: a topic, a related link removed, a tie on the same day
    "topic-added": _edit("records/B0000002.md", "topics: [citation-integrity]", "topics: [citation-integrity, decoding]"),
    "related-removed": _edit("records/B0000002.md", "related: [SRCH:B0000001]\n", ""),
    "same-day-as-another": _edit("records/B0000003.md", "submitted: 2026-08-01", "submitted: 2026-06-11"),
    "nothing": lambda root: None,
    # the duplicate-abstract check (issue 14) reads every record: both pages of a pair change
    "abstract-becomes-duplicate": _same_abstract,
    "duplicate-resolved": _edit("records/8F12A054.md", "The field of natural language processing (NLP)", "The field of NLP"),
    # a check of the record alone changes its listing rows (issue 24): the abstract no longer cut short
    "abstract-completed": _edit("records/3C71B9E2.md", "directed to specialized experts base…", "directed to specialized experts based on their content."),
}


@pytest.mark.parametrize("change", sorted(EDITS))
def test_incremental_build_equals_clean_build(tmp_project: Path, change: str) -> None:
    assert not build(project_for(tmp_project), search=False).errors
    EDITS[change](tmp_project)
    if change == "artifact-changed":  # the manifest must follow the file, or the build must fail
        report = build(project_for(tmp_project), search=False)
        assert any("does not match the file" in p.message for p in report.errors)
        return
    incremental = build(project_for(tmp_project), search=False)
    assert not incremental.errors, [str(p) for p in incremental.errors]
    clean = tmp_project.parent / "clean"
    shutil.copytree(tmp_project, clean, ignore=shutil.ignore_patterns("site", ".srchgen-cache"))
    from_scratch = build(project_for(clean), search=False)
    assert not from_scratch.errors
    assert tree(tmp_project / "site") == tree(clean / "site")
    assert [str(p) for p in incremental.problems] == [str(p) for p in from_scratch.problems]  # warnings too
    # the size the build reports (SPEC §8), counted from the last build's and the changed files'
    assert incremental.usage == from_scratch.usage == budget.measure(tmp_project / "site")
    if change == "nothing":
        assert incremental.files == 0 and incremental.reused == 14
    if change in ("abstract", "correction-appended"):
        assert incremental.reused == 13
        assert 0 < incremental.files < 15  # the page, its data file, feeds, export: not the whole site


# Every listing key and cross-record Fact stays. An appended correction changes the record's
# last update, which the sitemap shows (<lastmod>, SPEC §8): that takes the full incremental build.
IN_PLACE = {"abstract", "nothing"}


@pytest.mark.parametrize("change", sorted(set(EDITS) - {"artifact-changed"}))
def test_edits_that_keep_the_registry_are_built_in_place(tmp_project: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    """edit_in_place takes the build (no other record's row is decoded: triage never runs) exactly
    when the records' listing keys and Facts are as they were; a changed research question
    (the duplicate-question rule reads it) or line shift of a Fact falls back to the full build."""
    assert not build(project_for(tmp_project), search=False).errors
    EDITS[change](tmp_project)
    triaged: list[bool] = []
    real = build_mod.triage
    monkeypatch.setattr(build_mod, "triage", lambda *a, **k: triaged.append(True) or real(*a, **k))
    report = build(project_for(tmp_project), search=False)
    assert not report.errors and report.records == len(list((tmp_project / "records").glob("*.md")))
    assert (not triaged) is (change in IN_PLACE)


def test_a_corrupt_or_foreign_cache_is_ignored(tmp_project: Path) -> None:
    build(project_for(tmp_project), search=False)
    want = tree(tmp_project / "site")
    for f in (tmp_project / ".srchgen-cache").rglob("*"):
        if f.is_file():
            f.write_bytes(b"\x00garbage")
    report = build(project_for(tmp_project), search=False)
    assert not report.errors and report.reused == 0
    assert tree(tmp_project / "site") == want


@pytest.mark.parametrize("change, listings_rebuilt", [("abstract", False), ("correction-appended", True), ("title", True), ("topic-added", True)])
def test_listings_are_rebuilt_only_when_a_listing_key_changed(
    tmp_project: Path, monkeypatch: pytest.MonkeyPatch, change: str, listings_rebuilt: bool
) -> None:
    """The registry key: an edit that leaves every row, topic, related link and last update as it
    was renders no listing or registry page. A correction changes only the last update (the
    sitemap's lastmod): the registry pages are remade, but no listing page (their rows are as they were)."""
    assert not build(project_for(tmp_project), search=False).errors
    EDITS[change](tmp_project)
    calls: list[str] = []
    real_listing, real_aggregates = Renderer.listing_page, outputs_mod.aggregate_outputs
    monkeypatch.setattr(Renderer, "listing_page", lambda self, *a, **k: calls.append("listing") or real_listing(self, *a, **k))
    monkeypatch.setattr(outputs_mod, "aggregate_outputs", lambda *a, **k: calls.append("registry") or real_aggregates(*a, **k))
    assert not build(project_for(tmp_project), search=False).errors
    assert ("registry" in calls) is listings_rebuilt
    if not listings_rebuilt:
        assert calls == []
    if change == "correction-appended":
        assert "listing" not in calls


@pytest.mark.parametrize("damage", ["truncated", "deleted"])
def test_a_damaged_texts_file_is_not_trusted(tmp_project: Path, damage: str) -> None:
    """The state is whole but the texts file it points into is cut short or gone: rebuilt, no traceback."""
    build(project_for(tmp_project), search=False)
    want = tree(tmp_project / "site")
    (texts,) = (tmp_project / ".srchgen-cache").glob("texts-*")
    if damage == "truncated":
        texts.write_bytes(texts.read_bytes()[:-10])
    else:
        texts.unlink()
    (tmp_project / "records" / "A0000002.md").write_text((tmp_project / "records" / "A0000002.md").read_text().replace("forty-two", "42"))
    report = build(project_for(tmp_project), search=False)
    assert not report.errors and report.reused == 0
    clean = tmp_project.parent / "clean"
    shutil.copytree(tmp_project, clean, ignore=shutil.ignore_patterns("site", ".srchgen-cache"))
    build(project_for(clean), search=False)
    assert tree(tmp_project / "site") == tree(clean / "site") != want


def test_deleting_site_rebuilds_it_from_cache(tmp_project: Path) -> None:
    build(project_for(tmp_project), search=False)
    want = tree(tmp_project / "site")
    shutil.rmtree(tmp_project / "site")
    report = build(project_for(tmp_project), search=False)
    assert report.reused == 14
    assert tree(tmp_project / "site") == want


def test_noop_build_replays_messages_without_work(tmp_project: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["build", "--no-search"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["build", "--no-search"])
    assert second.exit_code == 0
    assert [l for l in second.stderr.splitlines() if "warning" in l] == [l for l in first.stderr.splitlines() if "warning" in l]
    built, size = first.stdout.splitlines()  # "built N records into site/ (...)", "site/: F files, S MB"
    assert second.stdout == f"site/ is up to date: {built.split()[1]} records, {size.removeprefix('site/: ')}\n"  # one line (issue 24)
    assert "built " not in second.output
    (tmp_project / "records" / "A0000002.md").write_text((tmp_project / "records" / "A0000002.md").read_text().replace("forty-two", "42"))
    third = runner.invoke(main, ["build", "--no-search"])
    assert "up to date" not in third.stderr and "13 records from cache" in third.stdout
    shutil.rmtree(tmp_project / "site")
    fourth = runner.invoke(main, ["build", "--no-search"])
    assert "up to date" not in fourth.stderr and (tmp_project / "site" / "index.html").is_file()


def test_check_uses_a_fresh_cache_and_reports_the_same(tmp_project: Path) -> None:
    runner = CliRunner()
    cold = runner.invoke(main, ["check"])
    runner.invoke(main, ["build", "--no-search"])
    warm = runner.invoke(main, ["check"])
    assert cold.exit_code == warm.exit_code == 0
    assert cold.stderr == warm.stderr and cold.stdout == warm.stdout


def test_installing_a_dependency_is_not_a_noop(tmp_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Upgrading e.g. Jinja2 may change the output: the no-op fingerprint sees site-packages change."""
    from srchgen.build import cache

    packages = tmp_path / "venv" / "site-packages"
    packages.mkdir(parents=True)
    monkeypatch.setattr("sys.path", [*__import__("sys").path, str(packages)])
    args = (tmp_project, tmp_project / "records", tmp_project / "site", ["x"])
    before = cache.fingerprint(*args)
    assert cache.fingerprint(*args) == before
    (packages / "jinja2-9.9.dist-info").mkdir()
    os.utime(packages, ns=(1, 10**18))  # whatever the clock's resolution
    assert cache.fingerprint(*args) != before
