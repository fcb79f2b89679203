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
@click.option("--base", metavar="GIT-REF", help="Also check records changed only additively since this git ref: corrections appended, id, submitted and DOI unchanged, no record deleted or renamed.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_cmd(records: str | None, base: str | None, strict: bool) -> None:
    """Validate every record and report all problems; writes nothing."""
    from srchgen.build import check

    project = make_project(records, None)
    report = check(project, strict=strict)
    if base is not None:
        from srchgen.errors import ConfigError, sort_problems
        from srchgen.history import check_base

        try:
            found = check_base(project.records, project.records_display, base)
        except ConfigError as e:
            _fail_usage(e.problems)
        report.problems = sort_problems(report.problems + found)
    report_problems(report)
    if report.errors:
        sys.exit(1)
    click.echo(f"{report.records} records ok")


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema (draft 2020-12) of paper-manifest-v1.1, for editors."""
    from srchgen.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


def _interactive() -> bool:
    """Ask for missing values only when a person is at the terminal (never in CI)."""
    return sys.stdin.isatty()


_SECTIONS = ["research", "benchmarks", "mathematics"]  # schema.Section, without importing pydantic at startup


@main.command("new")
@click.option("--records", metavar="DIR", help="Folder of record files [default: records/].")
@click.option("--question", help="The research question (required).")
@click.option("--section", type=click.Choice(_SECTIONS), help="research, benchmarks or mathematics (required).")
@click.option("--topics", help="Comma-separated lowercase slugs, e.g. soil-moisture,wheat.")
@click.option("--score", type=float, help="Review score, 0..10, at most two decimals (required).")
@click.option("--claims", type=int, help="Aggregate count of source-grounded claims (required).")
@click.option("--publisher", help="Publisher name (required).")
@click.option("--title", help="Optional short title; defaults to the research question.")
@click.option("--report-artifact/--no-report-artifact", default=None, help="Whether a report artifact is publicly available (required).")
@click.option("--date", "submitted", type=click.DateTime(["%Y-%m-%d"]), help="Submission date YYYY-MM-DD [default: today, UTC].")
def new_cmd(records: str | None, question: str | None, section: str | None, topics: str | None, score: float | None,
            claims: int | None, publisher: str | None, title: str | None, report_artifact: bool | None, submitted: Any) -> None:
    """Scaffold records/<HEX>.md with a fresh random id; prints its path. Never overwrites."""
    from srchgen.config import load_config
    from srchgen.errors import ConfigError
    from srchgen.scaffold import Draft, ScaffoldError, create, flag_for

    root = Path.cwd()
    try:
        config = load_config(root)
    except ConfigError as e:
        _fail_usage(e.problems)
    records_dir = Path(records) if records else root / "records"
    if not records_dir.is_dir():
        raise click.UsageError(f"records directory not found: {records or 'records'} (run in a registry folder or pass --records)")
    values: dict[str, Any] = {"question": question, "section": section, "score": score, "claims": claims,
                              "publisher": publisher, "report_artifact": report_artifact}
    missing = [k for k, v in values.items() if v is None]
    if missing and not _interactive():
        flags = ", ".join("--report-artifact or --no-report-artifact" if k == "report_artifact" else f"--{k}" for k in missing)
        raise click.UsageError(f"missing {flags} (stdin is not a terminal, so srchgen new cannot ask)")
    if values["question"] is None:
        values["question"] = click.prompt("Research question")
    if values["section"] is None:
        values["section"] = click.prompt("Section", type=click.Choice(_SECTIONS), default="research")
    if topics is None and missing:
        topics = click.prompt("Topics (comma-separated slugs, empty for none)", default="", show_default=False)
    if values["score"] is None:
        values["score"] = click.prompt("Review score (0..10)", type=float)
    if values["claims"] is None:
        values["claims"] = click.prompt("Source-grounded claims (count)", type=int, default=0)
    if values["publisher"] is None:
        values["publisher"] = click.prompt("Publisher")
    if values["report_artifact"] is None:
        values["report_artifact"] = click.confirm("Is a report artifact publicly available?", default=False)
    draft = Draft(
        topics=tuple(t.strip() for t in (topics or "").split(",") if t.strip()),
        title=title,
        submitted=submitted.date() if submitted else config.today,
        **values,
    )
    display = records if records and not Path(records).is_absolute() else shown(records_dir)
    try:
        path = create(records_dir, draft, config, display.rstrip("/") or ".")
    except ScaffoldError as e:
        for p in e.problems:
            flag = flag_for(p.message)
            click.echo(f"srchgen new: {flag + ': ' if flag else ''}{p.message}", err=True)
        sys.exit(2)
    click.echo(shown(path))


@main.command("serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--records", metavar="DIR", help="Folder of record files [default: records/].")
@click.option("--no-search", is_flag=True, help="Skip the Pagefind search index on each rebuild.")
def serve_cmd(port: int, records: str | None, no_search: bool) -> None:
    """Build and preview the site on 127.0.0.1, rebuilding and reloading open pages on change; Ctrl-C stops."""
    from srchgen.serve import serve

    project = make_project(records, None)
    sys.exit(serve(project, port=port, search=not no_search))
