"""Command line: turns results into output and exit codes; no rules live here (SPEC §5).

Exit codes: 0 ok, 1 invalid records (or a failed build), 2 usage or config error.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from srchgen import __version__
from srchgen.build import cache, lock
from srchgen.cli.base import environment_fault, fail_usage, registry_context, shown
from srchgen.cli.gate import gate_cmd
from srchgen.cli.verify import verify_cmd

if TYPE_CHECKING:  # the heavy modules load only when a command needs them (the no-op build does not)
    from srchgen.build.pipeline import Project, Report


def _folders(records: str | None, out: str | None) -> tuple[Path, Path]:
    """The records and output folders; a usage error (exit 2) when records/ is missing or the
    output would overwrite the project or its records."""
    root = Path.cwd()
    records_dir = Path(records) if records else root / "records"
    if not records_dir.is_dir():
        raise click.UsageError(f"records directory not found: {records or 'records'} (run in a registry folder or pass --records)")
    out_dir = Path(out) if out else root / "site"
    r_out, r_rec = out_dir.resolve(), records_dir.resolve()
    if r_out == root.resolve() or r_out == r_rec or r_out in r_rec.parents or r_rec in r_out.parents:
        raise click.UsageError(f"--out {out or 'site'} would overwrite the project or its records; choose a separate folder such as site/")
    return records_dir, out_dir


def make_project(records: str | None, out: str | None, **overrides: Any) -> "Project":
    from srchgen.build.pipeline import Project
    from srchgen.config import load_config
    from srchgen.errors import ConfigError

    from srchgen.config import normalize_base_url

    root = Path.cwd()
    try:  # an option's mistake is the option's, not pyproject.toml's (issue 15)
        normalize_base_url(overrides.get("base_url"))
    except ValueError:
        raise click.BadParameter(
            f"{overrides['base_url']!r} is not an absolute http(s) URL; write it with its scheme, such as https://org.github.io/repo/",
            param_hint="'--base-url'",
        ) from None
    try:
        config = load_config(root, **overrides)
    except ConfigError as e:
        fail_usage(e.problems)
    records_dir, out_dir = _folders(records, out)
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
@click.option("--no-wait", is_flag=True, help="When another build of the same output folder is running, exit 2 at once instead of waiting for it.")
def build_cmd(records: str | None, out: str | None, base_url: str | None, strict: bool, no_search: bool, no_wait: bool) -> None:
    """Validate every record and write the site (nothing is written if any record is invalid).

    Unchanged records, pages and files are reused from the cache in .srchgen-cache/ beside the
    output folder; when no input changed at all the build stops at once. One build of an
    output folder runs at a time: a second one waits for the first (or, with --no-wait, exits 2).
    """
    records_dir, out_dir = _folders(records, out)
    few_collections()

    def waiting(busy: lock.Busy) -> None:
        click.echo(f"waiting for another build of {_busy_site(busy, out_dir)} ({_busy_pid(busy)})…", err=True)

    try:
        with lock.build_lock(out_dir, wait=not no_wait, waiting=waiting):
            _build_locked(records, out, records_dir, out_dir, base_url, strict, no_search)
    except lock.Busy as busy:
        click.echo(f"srchgen: another build of {_busy_site(busy, out_dir)} is running ({_busy_pid(busy)}); not waiting (--no-wait)", err=True)
        sys.exit(2)
    except OSError as e:  # the one place environment faults of a build are reported (issue 15)
        click.echo(f"srchgen: {environment_fault(e, out_dir)}", err=True)
        sys.exit(1)


def few_collections() -> None:
    """A build makes millions of small objects that live until it ends and hold no reference
    cycle worth collecting, so CPython's cyclic collector only walks them again and again:
    every 700 allocations by default, and over the whole heap as it grows (mypy raises its
    threshold for the same reason). It is off for this command's process (and the worker it
    forks), not in build(): a long-running `srchgen serve` keeps it. Measured on tmpfs:
    - 10,000 records, cold, four alternating pairs (medians): default 7.9 s, threshold
      10,000 6.9 s, then three pairs: threshold 6.28 s, off 6.17 s; peak RSS 159-163 MB each;
    - 100,000 records, cold: threshold 67.9 s, off 64.1 s, peak RSS 1,070 MB both;
    - 100,000 records, one edited, three pairs: threshold 2.80 s, off 2.48 s (reading the
      state's ~1,000,000 tuples and lists filled the young generations again and again)."""
    gc.disable()


def _busy_site(busy: "lock.Busy", out_dir: Path) -> str:
    return f"{shown(Path(busy.out) if busy.out else out_dir)}/"


def _busy_pid(busy: "lock.Busy") -> str:
    return f"pid {busy.pid}" if busy.pid is not None else "pid unknown"


def _build_locked(records: str | None, out: str | None, records_dir: Path, out_dir: Path, base_url: str | None, strict: bool, no_search: bool) -> None:
    """The build, from the first read of the cache to its last write, under the build lock."""
    root = Path.cwd()
    options = [f"records={records}", f"base_url={base_url}", f"strict={strict}", f"search={not no_search}"]
    stats: cache.Stats = {}
    fp = cache.fingerprint(root, records_dir, out_dir, options, stats)
    replay = cache.noop_messages(out_dir, fp)
    if replay is not None:
        # The last build's warnings and notes again, then one line: nothing was built (issue 24).
        site = f"{shown(out_dir)}/"  # once, not once a line: it resolves two paths (0.09 s of a 0.3 s no-op at 10,000)
        stdout = ("::", f"{site} is up to date")
        for line in replay:
            click.echo(line, err=not line.startswith(stdout))
        return
    from srchgen.build.budget import OverBudget
    from srchgen.build.pipeline import build
    from srchgen.errors import ConfigError

    project = make_project(records, out, base_url=base_url)
    cache.forget_noop(project.out)
    try:
        report = build(project, strict=strict, search=False if no_search else None, stats=stats)
    except ConfigError as e:  # e.g. a missing or malformed gate_signers file (SPEC §2)
        fail_usage(e.problems)
    except OverBudget as e:  # SPEC §8: over max_site_bytes, found before site/ was touched
        click.echo(e.usage.over(f"{shown(project.out)}/", e.limit), err=True)
        click.echo(not_written(project.out), err=True)
        sys.exit(1)
    printed = report_problems(report)
    if report.errors:
        click.echo(not_written(project.out), err=True)
        sys.exit(1)
    notes = [f"note: {note}" for note in report.notes]
    for note in notes:
        click.echo(note, err=True)
    done = f"built {report.records} records into {shown(project.out)}/ ({report.files} files written, {report.reused} records from cache)"
    click.echo(done)
    size = [report.usage.line(f"{shown(project.out)}/")] if report.usage is not None else []
    for line in size:
        click.echo(line)
    annotations = [p.annotation() for p in report.problems] if os.environ.get("GITHUB_ACTIONS") == "true" else []
    same = f"{shown(project.out)}/ is up to date: {count(report.records, 'record')}"
    if report.usage is not None:
        same += f", {report.usage.line('').removeprefix(': ')}"
    cache.save_noop(project.out, fp, printed + notes + annotations + [same], cache.site_identity(project.out))


def not_written(out: Path) -> str:
    """Why a failed build left the output folder alone, without calling a folder that is not there unchanged."""
    if out.exists():
        return f"site not written: {shown(out)} is unchanged"
    return f"site not written: {shown(out)} does not exist yet and was not created"


def count(n: int, noun: str) -> str:
    """'1 record', '2 records' (SPEC §3: counts agree in number)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


@main.command("check")
@click.option("--records", metavar="DIR", help="Folder of record files [default: records/].")
@click.option("--base", metavar="GIT-REF", help="Also check records changed only additively since this git ref: corrections appended, id, submitted and DOI unchanged, no record deleted or renamed, a gate evaluation only replaced by a later signed one that verifies against the gate signers of the ref.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check_cmd(records: str | None, base: str | None, strict: bool) -> None:
    """Validate every record and report all problems; writes nothing."""
    from srchgen.build.pipeline import check
    from srchgen.errors import ConfigError, sort_problems

    project = make_project(records, None)
    few_collections()
    try:
        report = check(project, strict=strict)
    except ConfigError as e:  # e.g. a missing or malformed gate_signers file (SPEC §2)
        fail_usage(e.problems)
    if base is not None:
        from srchgen.cli.history import check_base

        try:
            found = check_base(project.records, project.records_display, base, project.root)
        except ConfigError as e:
            fail_usage(e.problems)
        report.problems = sort_problems(report.problems + found)
    report_problems(report)
    if report.errors:
        sys.exit(1)
    # "ok" only for the records with nothing to report (issue 24): a warning is not ok.
    flagged = len({p.path for p in report.problems if p.path.endswith(".md")})
    if flagged:
        click.echo(f"{count(report.records, 'record')} checked: {report.records - flagged:,} ok, {flagged:,} with warnings")
    else:
        click.echo(f"{count(report.records, 'record')} ok")


@main.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema (draft 2020-12) of paper-manifest-v1.1, for editors."""
    from srchgen.check.schema import json_schema

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
@click.option("--report-url", help="Optional https link to the report.")
@click.option("--doi", help="Optional DOI, e.g. 10.5281/zenodo.123 (a DOI implies registered).")
@click.option("--related", help="Comma-separated ids of existing related records, e.g. SRCH:8F12A054.")
@click.option("--date", "submitted", type=click.DateTime(["%Y-%m-%d"]), help="Submission date YYYY-MM-DD [default: today, UTC].")
@click.option("--abstract", help="The abstract (Markdown) [default: a placeholder that check reports until it is replaced].")
def new_cmd(records: str | None, question: str | None, section: str | None, topics: str | None, score: float | None,
            claims: int | None, publisher: str | None, title: str | None, report_artifact: bool | None,
            report_url: str | None, doi: str | None, related: str | None, submitted: Any, abstract: str | None) -> None:
    """Scaffold records/<HEX>.md with a fresh random id; prints its path. Never overwrites."""
    from srchgen.cli.scaffold import Draft, ScaffoldError, create, flag_for

    _, records_dir, display, config = registry_context(records)
    values: dict[str, Any] = {"question": question, "section": section, "score": score, "claims": claims,
                              "publisher": publisher, "report_artifact": report_artifact}
    missing = [k for k, v in values.items() if v is None]
    if missing and not _interactive():
        flags = ", ".join("--report-artifact or --no-report-artifact" if k == "report_artifact" else f"--{k}" for k in missing)
        raise click.UsageError(f"missing {flags} (stdin is not a terminal, so srchgen new cannot ask)")
    if values["question"] is None:
        values["question"] = click.prompt("Research question")
    if title is None and missing:
        title = click.prompt("Short title (empty: the research question is the title)", default="", show_default=False) or None
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
    if abstract is None and missing:
        abstract = click.prompt("Abstract (one paragraph; empty for a placeholder to replace later)", default="",
                                show_default=False) or None
    draft = Draft(
        abstract=abstract.strip() or None if abstract is not None else None,
        topics=tuple(t.strip() for t in (topics or "").split(",") if t.strip()),
        title=title,
        report_url=report_url or None,
        doi=doi or None,
        related=tuple(r.strip() for r in (related or "").split(",") if r.strip()),
        submitted=submitted.date() if submitted else config.today,
        **values,
    )
    try:
        path = create(records_dir, draft, config, display)
    except ScaffoldError as e:
        for p in e.problems:
            flag = flag_for(p.message)
            click.echo(f"srchgen new: {flag + ': ' if flag else ''}{p.message}", err=True)
        sys.exit(2)
    click.echo(shown(path))
    if draft.abstract is None:
        click.echo(f"note: {shown(path)} has a placeholder abstract; check and build report it until you replace it", err=True)


SUGGESTED_LICENSE = "CC-BY-4.0"  # what `srchgen init` suggests at a terminal


@main.command("init")
@click.argument("directory", metavar="[DIR]", default=".", required=False)
@click.option("--title", help="Site title [asked at a terminal; default: Research Synthesis Registry].")
@click.option("--repository", metavar="URL", help="https URL of the registry's own repository (record history, correction links).")
@click.option("--license", "license_", metavar="SPDX", help="The records' licence, an SPDX id such as CC-BY-4.0 [asked at a terminal; default there: CC-BY-4.0].")
@click.option("--force", is_flag=True, help="Add the missing files to a non-empty folder; an existing file is never overwritten.")
def init_cmd(directory: str, title: str | None, repository: str | None, license_: str | None, force: bool) -> None:
    """Create a registry in DIR [default: the current folder] that checks, builds and deploys as it is.

    Writes an example record, pyproject.toml, README.md, .gitignore, .pre-commit-config.yaml and
    GitHub workflows that use this srchgen release. Refuses a non-empty folder unless --force.
    """
    from srchgen.config import Config
    from srchgen.cli.starter import Options, StarterError, check_target, init

    target = Path(directory)
    try:
        check_target(target, force)
        if title is None and _interactive():
            title = click.prompt("Site title", default=Options.title)
        if license_ is None and _interactive():  # a registry starts with a licence chosen (Zenodo needs one)
            license_ = click.prompt("Licence of the records (an SPDX id)", default=SUGGESTED_LICENSE)
        options = Options(title=Options.title if title is None else title, repository=repository, license=license_)
        result = init(target, options, Config.model_validate({}), force)  # its today dates the example
    except StarterError as e:
        click.echo(f"srchgen init: {e}", err=True)
        sys.exit(2)
    where = shown(target)
    click.echo(f"created a registry in {where}/ (srchgen {__version__}):")
    for path in result.created:
        click.echo(f"  {path}" + ("   an example record: replace it with your first real record" if path == result.example else ""))
    for path in result.kept:
        click.echo(f"  {path}   kept as it was")
    click.echo("next:" + (f"\n  cd {where}" if where != "." else ""))
    click.echo("  srchgen new       add a record (asks at a terminal; srchgen new --help for flags)")
    click.echo("  srchgen check     check every record")
    click.echo("  srchgen serve     preview on http://127.0.0.1:8000")
    click.echo("  then push to GitHub and set Settings > Pages > Source to GitHub Actions")


main.add_command(gate_cmd)  # srchgen gate: cli/gate.py (issue 7, SPEC §2 and §3)
main.add_command(verify_cmd)  # srchgen verify: cli/verify.py (issue 25)


@main.command("serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--records", metavar="DIR", help="Folder of record files [default: records/].")
@click.option("--no-search", is_flag=True, help="Skip the Pagefind search index on each rebuild.")
def serve_cmd(port: int, records: str | None, no_search: bool) -> None:
    """Build and preview the site on 127.0.0.1, rebuilding and reloading open pages on change; Ctrl-C stops."""
    from srchgen.cli.serve import serve

    project = make_project(records, None)
    sys.exit(serve(project, port=port, search=not no_search))
