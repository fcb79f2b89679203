"""Command line: turns results into output and exit codes; no rules live here (SPEC §5).

Exit codes: 0 ok, 1 invalid records (or a failed build), 2 usage or config error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from srchgen import __version__
from srchgen.build import Project, Report, build, check
from srchgen.config import load_config
from srchgen.errors import ConfigError, Problem
from srchgen.schema import json_schema


def shown(path: Path) -> str:
    """A path as the user should read it: relative to the current directory when inside it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return rel.as_posix() or "."
    except ValueError:
        return str(path)


def _fail_usage(problems: list[Problem]) -> NoReturn:
    for p in problems:
        click.echo(str(p), err=True)
    sys.exit(2)


def make_project(records: str | None, out: str | None, **overrides: Any) -> Project:
    root = Path.cwd()
    try:
        config = load_config(root, **overrides)
    except ConfigError as e:
        _fail_usage(e.problems)
    records_dir = Path(records) if records else root / "records"
    if not records_dir.is_dir():
        raise click.UsageError(f"records directory not found: {records or 'records'} (run in a registry folder or pass --records)")
    out_dir = Path(out) if out else root / "site"
    r_out, r_rec = out_dir.resolve(), records_dir.resolve()
    if r_out == root.resolve() or r_out == r_rec or r_out in r_rec.parents or r_rec in r_out.parents:
        raise click.UsageError(f"--out {out or 'site'} would overwrite the project or its records; choose a separate folder such as site/")
    display = records if records and not Path(records).is_absolute() else shown(records_dir)
    return Project(root=root, records=records_dir, out=out_dir, config=config, records_display=display.rstrip("/") or ".")


def report_problems(report: Report) -> None:
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    for p in report.problems:
        click.echo(str(p), err=True)
        if annotate:
            click.echo(p.annotation())
    errors, warnings = report.errors, report.warnings
    if errors:
        files = len({p.path for p in errors})
        click.echo(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {files} file{'s' if files != 1 else ''}", err=True)
    if warnings:
        click.echo(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="srchgen")
def main() -> None:
    """srchgen: build the static site of a research-synthesis registry."""


@main.command("build")
@click.option("--records", metavar="DIR", help="Folder of record files [default: records/].")
@click.option("--out", metavar="DIR", help="Output folder [default: site/].")
@click.option("--base-url", metavar="URL", help="Absolute URL the site is served from (overrides base_url).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--no-search", is_flag=True, help="Skip the Pagefind search index.")
def build_cmd(records: str | None, out: str | None, base_url: str | None, strict: bool, no_search: bool) -> None:
    """Validate every record and write the site (nothing is written if any record is invalid)."""
    project = make_project(records, out, base_url=base_url)
    report = build(project, strict=strict, search=False if no_search else None)
    report_problems(report)
    if report.errors:
        click.echo(f"site not written: {shown(project.out)} is unchanged", err=True)
        sys.exit(1)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"built {len(report.entries)} records into {shown(project.out)}/ ({report.files} files)")


@main.command("check")
@click.option("--records", metavar="DIR", help="Folder of record files [default: records/].")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_cmd(records: str | None, strict: bool) -> None:
    """Validate every record and report all problems; writes nothing."""
    project = make_project(records, None)
    report = check(project, strict=strict)
    report_problems(report)
    if report.errors:
        sys.exit(1)
    click.echo(f"{len(report.entries)} records ok")


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema (draft 2020-12) of paper-manifest-v1.1, for editors."""
    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))
