"""Command line: turns results into output and exit codes; no rules live here (SPEC §5).

Exit codes: 0 ok, 1 invalid records (or a failed build), 2 usage or config error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from srchgen import __version__, cache

if TYPE_CHECKING:  # the heavy modules load only when a command needs them (the no-op build does not)
    from srchgen.build import Project, Report
    from srchgen.errors import Problem


def shown(path: Path) -> str:
    """A path as the user should read it: relative to the current directory when inside it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return rel.as_posix() or "."
    except ValueError:
        return str(path)


def _fail_usage(problems: list["Problem"]) -> NoReturn:
    for p in problems:
        click.echo(str(p), err=True)
    sys.exit(2)


def make_project(records: str | None, out: str | None, **overrides: Any) -> "Project":
    from srchgen.build import Project
    from srchgen.config import load_config
    from srchgen.errors import ConfigError

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


def report_problems(report: "Report") -> list[str]:
    """Print every problem, then the counts; returns the lines printed to stderr (for the no-op replay)."""
    lines: list[str] = []
    annotate = os.environ.get("GITHUB_ACTIONS") == "true"
    for p in report.problems:
        lines.append(str(p))
        click.echo(str(p), err=True)
        if annotate:
            click.echo(p.annotation())
    errors, warnings = report.errors, report.warnings
    if errors:
        files = len({p.path for p in errors})
        lines.append(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {files} file{'s' if files != 1 else ''}")
    if warnings:
        lines.append(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}")
    for line in lines[len(report.problems):]:
        click.echo(line, err=True)
    return lines


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
    """Validate every record and write the site (nothing is written if any record is invalid).

    Unchanged records, pages and files are reused from the cache in .srchgen-cache/ beside the
    output folder; when no input changed at all the build stops at once.
    """
    root = Path.cwd()
    records_dir = Path(records) if records else root / "records"
    out_dir = Path(out) if out else root / "site"
    options = [f"records={records}", f"base_url={base_url}", f"strict={strict}", f"search={not no_search}"]
    fp = cache.fingerprint(root, records_dir, out_dir, options)
    replay = cache.noop_messages(out_dir, fp)
    if replay is not None:
        for line in replay:
            click.echo(line, err=not line.startswith("built ") and not line.startswith("::"))
        click.echo(f"{shown(out_dir)}/ is up to date", err=True)
        return
    from srchgen.build import build

    project = make_project(records, out, base_url=base_url)
    cache.forget_noop(project.out)
    report = build(project, strict=strict, search=False if no_search else None)
    printed = report_problems(report)
    if report.errors:
        click.echo(f"site not written: {shown(project.out)} is unchanged", err=True)
        sys.exit(1)
    notes = [f"note: {note}" for note in report.notes]
    for note in notes:
        click.echo(note, err=True)
    done = f"built {len(report.summaries)} records into {shown(project.out)}/ ({report.files} files written, {report.reused} records from cache)"
    click.echo(done)
    annotations = [p.annotation() for p in report.problems] if os.environ.get("GITHUB_ACTIONS") == "true" else []
    cache.save_noop(project.out, fp, printed + notes + annotations + [done], cache.site_identity(project.out))


@main.command("check")
@click.option("--records", metavar="DIR", help="Folder of record files [default: records/].")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_cmd(records: str | None, strict: bool) -> None:
    """Validate every record and report all problems; writes nothing."""
    from srchgen.build import check

    project = make_project(records, None)
    report = check(project, strict=strict)
    report_problems(report)
    if report.errors:
        sys.exit(1)
    click.echo(f"{report.records} records ok")


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema (draft 2020-12) of paper-manifest-v1.1, for editors."""
    from srchgen.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))
