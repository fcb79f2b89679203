"""Fixtures: the corpus, scratch projects written from strings, the built sites (Lektor's chain)."""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from click.testing import CliRunner

from srchgen.build.pipeline import Project, build
from srchgen.config import Config, load_config
from tests.gatekit import keys, registry  # noqa: F401  (gate fixtures: throwaway SSH keys, a signed registry)

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CORPUS = TESTS / "corpus"
GOLDEN = TESTS / "golden" / "site"
TODAY = dt.date(2026, 11, 22)
# SPEC §2: "not in the future" is judged against SOURCE_DATE_EPOCH when set; tests pin it.
SOURCE_DATE_EPOCH = str(int(dt.datetime(2026, 11, 22, 12, tzinfo=dt.timezone.utc).timestamp()))
os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH


@pytest.fixture(autouse=True)
def _cyclic_collector_restored() -> Any:
    """`srchgen build` and `check` turn CPython's cyclic collector off for their process
    (cli.few_collections); run in-process by CliRunner, they must not leave the test run without it."""
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current build")


BASE = {
    "manifest": "paper-manifest-v1.1",
    "id": "SRCH:0000000A",
    "research_question": "Does the test harness build a valid record?",
    "submitted": dt.date(2026, 7, 1),
    "section": "research",
    "review": {"score": 7.5, "method": "Automated multi-reviewer assessment"},
    "claims": {"source_grounded": 5},
    "publisher": "Assignee Research",
    "report_artifact": True,
}


def manifest(**changes: Any) -> dict[str, Any]:
    """A valid manifest with changes; a value of `...` removes the key."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def record_text(data: dict[str, Any], body: str = "A short abstract about the test harness building a record.\n") -> str:
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n" + body


def write_record(records: Path, data: dict[str, Any], body: str | None = None) -> Path:
    records.mkdir(parents=True, exist_ok=True)
    path = records / f"{data['id'][5:]}.md"
    path.write_text(record_text(data) if body is None else record_text(data, body), encoding="utf-8")
    return path


@pytest.fixture
def config() -> Config:
    return Config(today=TODAY)


@pytest.fixture
def tmp_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of corpus/valid in a temporary folder, which is also the current directory."""
    root = tmp_path / "project"
    shutil.copytree(CORPUS / "valid", root, symlinks=True)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def empty_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "scratch"
    (root / "records").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def project_for(root: Path, out: Path | None = None, **overrides: Any) -> Project:
    config = load_config(root, **overrides)
    return Project(root=root, records=root / "records", out=out or root / "site", config=config)


@pytest.fixture(scope="session")
def built_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpus/valid built once per session (no search index), for assertions on pages."""
    root = tmp_path_factory.mktemp("built") / "project"
    shutil.copytree(CORPUS / "valid", root, symlinks=True)
    report = build(project_for(root, base_url="https://example.org/repo/"), search=False)
    assert not report.errors, [str(p) for p in report.errors]
    return root / "site"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped records/ built as `make site` would, with search, under a /repo/ base URL."""
    root = tmp_path_factory.mktemp("shipped") / "project"
    root.mkdir()
    shutil.copytree(REPO / "records", root / "records")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    report = build(project_for(root, base_url="https://example.org/repo/"))
    assert not report.errors, [str(p) for p in report.errors]
    return root / "site"


RecordWriter = Callable[..., Path]
