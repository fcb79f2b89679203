"""`srchgen new`: write a fresh record file that passes `check` (SPEC §5).

The id is random (secrets), checked against every existing file name and id; the file is
created with O_EXCL so an existing record is never overwritten. The abstract is a
placeholder (lint.PLACEHOLDER) that `check` and `build` report as an error until it is
replaced, so CI never publishes a record without its real abstract; every other rule passes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import yaml

from srchgen.clock import reference_date
from srchgen.config import Config
from srchgen.errors import Problem
from srchgen.check.lint import PLACEHOLDER
from srchgen.check.schema import MANIFEST
from srchgen.load.source import parse_source, record_files
from srchgen.check.validate import PLACEHOLDER_MESSAGE, validate

SCHEMA_FILE = "schema/paper-manifest-v1.1.json"
_UNKNOWN_RELATED = re.compile(r"related\[\d+\]: no record has the id (SRCH:[0-9A-F]{8})")  # validate.check_registry
_ID_LINE = re.compile(r"^id:\s*['\"]?SRCH:([0-9A-Fa-f]{8})", re.M)


@dataclass(frozen=True)
class Draft:
    """What an author tells `srchgen new`; everything else in the record is optional."""

    question: str
    section: str
    score: float
    claims: int
    publisher: str
    report_artifact: bool
    topics: tuple[str, ...] = ()
    title: str | None = None
    report_url: str | None = None
    doi: str | None = None
    related: tuple[str, ...] = ()
    submitted: dt.date | None = None
    """None: the config's reference day (`Config.today`), the same day 'in the future' is judged by."""
    abstract: str | None = None
    """None: the placeholder (lint.PLACEHOLDER), which `check` warns about until it is replaced."""


# Which flag sets which key, so an error names what to change on the command line.
FLAGS = {
    "research_question": "--question", "title": "--title", "submitted": "--date", "section": "--section",
    "topics": "--topics", "review": "--score", "claims": "--claims", "publisher": "--publisher",
    "report_artifact": "--report-artifact", "report_url": "--report-url", "doi": "--doi", "related": "--related",
}


def flag_for(message: str) -> str | None:
    """The command-line flag a validation message is about, if any."""
    key = re.match(r"[a-z_]+", message)
    return FLAGS.get(key.group()) if key else None


class ScaffoldError(Exception):
    """The flags would give an invalid record; carries the problems (exit 2)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def schema_url(config: Config) -> str:
    """Where editors find the schema: the published copy when base_url is set, else the local build's."""
    if config.base_url:
        return config.base_url + SCHEMA_FILE
    return "../site/" + SCHEMA_FILE


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly this text: plain when safe, else double-quoted."""
    plain = value.strip() == value and "\n" not in value and value != ""
    if plain:
        try:
            plain = yaml.safe_load(f"k: {value}\n") == {"k": value} and not value.startswith(("'", '"', "&", "*", "!"))
        except yaml.YAMLError:
            plain = False
    return value if plain else json.dumps(value, ensure_ascii=False)


def render(draft: Draft, hex_id: str, schema: str) -> str:
    """The record file's text (SPEC §2 layout, required keys first)."""
    lines = [
        "---",
        f"# yaml-language-server: $schema={schema}",
        f"manifest: {MANIFEST}",
        f"id: SRCH:{hex_id}",
        f"research_question: {_scalar(draft.question)}",
    ]
    if draft.title is not None:
        lines.append(f"title: {_scalar(draft.title)}")
    submitted = draft.submitted or reference_date()
    lines += [f"submitted: {submitted.isoformat()}", f"section: {_scalar(draft.section)}"]
    if draft.topics:
        lines.append(f"topics: [{', '.join(_scalar(t) for t in draft.topics)}]")
    lines += [
        "review:",
        f"  score: {float(draft.score)!r}",  # repr: validation sees every decimal given,
        "claims:",
        f"  source_grounded: {draft.claims}",
        "  record_source: null",
        f"publisher: {_scalar(draft.publisher)}",
        f"report_artifact: {'true' if draft.report_artifact else 'false'}",
        *([f"report_url: {_scalar(draft.report_url)}"] if draft.report_url else []),
        *([f"doi: {_scalar(draft.doi)}"] if draft.doi else []),
        *([f"related: [{', '.join(_scalar(r) for r in draft.related)}]"] if draft.related else []),
        "---",
        draft.abstract.strip() if draft.abstract is not None
        else f"{PLACEHOLDER} It should answer the research question: {draft.question.strip()}",
        "",
    ]
    return "\n".join(lines)


def taken_ids(records_dir: Path) -> set[str]:
    """Hex ids already in use: file names, record folders and the ids written inside files."""
    taken: set[str] = set()
    if not records_dir.is_dir():
        return taken
    for entry in os.scandir(records_dir):
        taken.add(entry.name.removesuffix(".md").upper())
    for file in record_files(records_dir):
        try:
            head = file.read_bytes()[:4096].decode("utf-8", "replace")
        except OSError:
            continue
        taken.update(m.upper() for m in _ID_LINE.findall(head))
    return taken


def fresh_id(records_dir: Path, token: Callable[[int], str] = secrets.token_hex) -> str:
    """8 random upper-case hex digits not used by any record (SPEC §2 id format)."""
    taken = taken_ids(records_dir)
    for _ in range(1000):
        hex_id = token(4).upper()
        if hex_id not in taken:
            return hex_id
    raise RuntimeError("could not find a free record id")  # pragma: no cover - 2^32 ids


def create(records_dir: Path, draft: Draft, config: Config, display: str = "records",
           token: Callable[[int], str] = secrets.token_hex) -> Path:
    """Validate the draft as a record, then write records/<HEX>.md; never overwrites (O_EXCL)."""
    if draft.submitted is None:
        draft = replace(draft, submitted=config.today)
    hex_id = fresh_id(records_dir, token)
    text = render(draft, hex_id, schema_url(config))
    name = f"{hex_id}.md"
    shown = f"{display.rstrip('/')}/{name}"
    src, problems = parse_source(text.encode("utf-8"), shown, name)
    if src is not None:
        _, found = validate([src], config)
        problems += found
    # The draft is validated alone: a related id is unknown to that check when it is another
    # record of the registry, so only ids no record file uses are reported (--related).
    existing = {f"SRCH:{h}" for h in taken_ids(records_dir)}
    errors = [
        p for p in problems
        if p.severity == "error" and p.message != PLACEHOLDER_MESSAGE
        and not ((m := _UNKNOWN_RELATED.fullmatch(p.message)) and m.group(1) in existing)
    ]
    if errors:
        raise ScaffoldError(errors)
    records_dir.mkdir(parents=True, exist_ok=True)
    path = records_dir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path
