"""`srchgen init`: the starter registry, a folder that checks, builds and deploys as it is (issue 16).

A registry lives in its own repository and pins the srchgen release it was made with: the
workflows use this repository's action at the tag `v<version>` (action.yml), the pre-commit
hook names the same tag, and pyproject.toml records it. The files are written from
`srchgen/cli/_starter/` with O_EXCL, so an existing file is never overwritten, not even under
`--force`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from srchgen import __version__
from srchgen.config import Config
from srchgen.cli.scaffold import Draft, create as create_record
from srchgen.load.source import record_files

# Where srchgen itself lives: the action, the pre-commit hook and `pipx install` point here.
# Keep it equal to [project.urls] Source in srchgen's pyproject.toml (a test checks).
SOURCE = "https://github.com/srchgen/srchgen"
TAG = f"v{__version__}"
ACTION = f"{SOURCE.removeprefix('https://github.com/')}@{TAG}"
PIP_SPEC = f"srchgen @ git+{SOURCE}@{TAG}"

# Entries a fresh clone or `git init` leaves: a folder holding only these counts as empty.
IGNORED_ENTRIES = frozenset({".git"})

# (path written in the registry, file in srchgen/cli/_starter/); the example record comes after these.
FILES = (
    ("pyproject.toml", "pyproject.toml.in"),
    ("README.md", "README.md"),
    (".gitignore", "gitignore"),
    (".pre-commit-config.yaml", "pre-commit-config.yaml"),
    (".github/workflows/pages.yml", "pages.yml"),
    (".github/workflows/check.yml", "check.yml"),
)

EXAMPLE = Draft(
    question="Does straw mulching reduce soil moisture loss in rain-fed winter wheat during spring dry spells?",
    title="Example record: straw mulch and soil moisture in rain-fed wheat (replace this record)",
    section="research",
    topics=("example", "soil-moisture"),
    score=7.0,
    claims=0,
    publisher="Example Lab",
    report_artifact=False,
)


class StarterError(Exception):
    """The folder cannot take a starter registry (not empty without --force, or not a folder): exit 2."""


@dataclass(frozen=True)
class Options:
    """What `srchgen init` is told; everything but the title may stay unset."""

    title: str = Config.model_fields["title"].default
    repository: str | None = None
    license: str | None = None


@dataclass
class Result:
    """What init did, paths relative to the registry folder, in the order written."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Files that existed already (with --force) and were left as they were."""
    example: str | None = None
    """The example record, or None when records/ already held records."""


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _text(name: str, options: Options) -> str:
    """A starter file with its @NAME@ fields filled in."""
    text = resources.files("srchgen.cli").joinpath("_starter", name).read_text(encoding="utf-8")
    fields = {
        "@TITLE@": _toml(options.title),
        "@TITLE_TEXT@": options.title,
        "@REPOSITORY@": f"repository = {_toml(options.repository)}" if options.repository
        else '# repository = "https://github.com/org/registry"',
        "@LICENSE@": f"license = {_toml(options.license)}" if options.license else '# license = "CC-BY-4.0"',
        "@VERSION@": __version__,
        "@TAG@": TAG,
        "@ACTION@": ACTION,
        "@PIP_SPEC@": PIP_SPEC,
        "@SOURCE@": SOURCE,
    }
    for key, value in fields.items():
        text = text.replace(key, value)
    return text


def validate_options(options: Options) -> None:
    """The options must make a valid [tool.srchgen] table; checked before anything is written."""
    if not options.title.strip() or any(ch in options.title for ch in "\r\n"):
        raise StarterError("--title: the site title must be one non-empty line")
    try:
        Config.model_validate({"title": options.title, "repository": options.repository, "license": options.license})
    except ValidationError as e:
        err = e.errors()[0]
        raise StarterError(f"--{err['loc'][0]}: {err['msg'].removeprefix('Value error, ')}") from None


def occupied(target: Path) -> list[str]:
    """The entries that make a folder non-empty (a lone .git does not)."""
    if not target.exists():
        return []
    if not target.is_dir():
        raise StarterError(f"{target} exists and is not a folder")
    return sorted(e.name for e in os.scandir(target) if e.name not in IGNORED_ENTRIES)


def _write_new(path: Path, text: str) -> bool:
    """Create path with text; False when it exists already (O_EXCL: never overwritten, never through a symlink)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return True


def check_target(target: Path, force: bool) -> None:
    """Refuse a non-empty folder (unless force) before anything is asked or written."""
    found = occupied(target)
    if found and not force:
        shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
        raise StarterError(f"{target} is not empty ({shown}); run srchgen init in a new or empty folder, "
                           "or pass --force to add only the missing files (an existing file is never overwritten)")


def init(target: Path, options: Options, config: Config, force: bool = False) -> Result:
    """Write the starter registry into target (created when missing); refuses a non-empty folder unless force.

    config supplies the reference day (`Config.today`) the example record is dated with.
    """
    check_target(target, force)
    validate_options(options)
    target.mkdir(parents=True, exist_ok=True)
    result = Result()
    for dest, source in FILES:
        (result.created if _write_new(target / dest, _text(source, options)) else result.kept).append(dest)
    records = target / "records"
    if not records.is_dir() or not record_files(records):
        example = replace(EXAMPLE, abstract=_text("example.md.in", options))
        path = create_record(records, example, config, "records")
        result.example = path.relative_to(target).as_posix()
        result.created.append(result.example)
    return result
