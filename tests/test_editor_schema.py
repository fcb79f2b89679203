"""`srchgen schema` (JSON Schema draft 2020-12) accepts every shipped record and rejects broken manifests (SPEC §4, §5)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from srchgen.cli.commands import main
from srchgen.check.schema import json_schema

ROOT = Path(__file__).resolve().parents[1]
RECORDS = sorted((ROOT / "records").glob("*.md"))


def as_json(value: Any) -> Any:
    """What an editor's YAML language server hands the schema: dates as ISO text."""
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    return as_json(yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---\n")))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(CliRunner().invoke(main, ["schema"]).stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    return Draft202012Validator(schema)


def test_there_are_shipped_records() -> None:
    assert len(RECORDS) >= 5


@pytest.mark.parametrize("path", RECORDS, ids=[p.name for p in RECORDS])
def test_shipped_record_is_valid(validator: Draft202012Validator, path: Path) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(front_matter(path))]
    assert errors == []


def _seed() -> dict[str, Any]:
    return front_matter(ROOT / "records" / "08EA5386.md")


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node[p]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return data


_DELETE = object()
BROKEN = [
    ("publisher", _DELETE, "'publisher' is a required property"),
    ("claims.source_grounded", _DELETE, "'source_grounded' is a required property"),
    ("reveiw", {"score": 7}, "Additional properties are not allowed ('reveiw' was unexpected)"),
    ("review.score", "7.5", "'7.5' is not of type 'number'"),
    ("review.score", 10.5, "10.5 is greater than the maximum of 10"),
    ("claims.source_grounded", -1, "-1 is less than the minimum of 0"),
    ("section", "physics", "'physics' is not one of ['research', 'benchmarks', 'mathematics']"),
    ("manifest", "paper-manifest-v1.0", "'paper-manifest-v1.1' was expected"),
    ("id", "SRCH:1a2b3c4d", "'SRCH:1a2b3c4d' does not match '^SRCH:[0-9A-F]{8}$'"),
    ("publisher", False, "False is not of type 'string'"),
    ("title", 1984, "1984 is not valid under any of the given schemas"),  # optional: string or null
    ("topics", ["Soil Moisture"], "'Soil Moisture' does not match '^[a-z0-9]+(-[a-z0-9]+)*$'"),
    ("doi", "https://doi.org/10.5281/zenodo.1", "'https://doi.org/10.5281/zenodo.1' is not valid under any of the given schemas"),
    ("report_artifact", "yes", "'yes' is not of type 'boolean'"),
]


@pytest.mark.parametrize("path,value,message", BROKEN, ids=[f"{b[0]}={b[1]!r}"[:40] for b in BROKEN])
def test_broken_manifest_fails_schema(validator: Draft202012Validator, path: str, value: Any, message: str) -> None:
    data = _set(_seed(), path, value)
    messages = [e.message for e in validator.iter_errors(data)]
    assert any(message in m for m in messages), messages


def test_build_publishes_the_same_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "records", tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--no-search"], env={"SOURCE_DATE_EPOCH": "1793491200"})
    assert result.exit_code == 0, result.output
    published = json.loads((tmp_path / "site/schema/paper-manifest-v1.1.json").read_text())
    printed = json.loads(CliRunner().invoke(main, ["schema"]).stdout)
    assert published == printed == json_schema()
