"""What a build is given and what it reports: the project's paths and config, the build's
Report, and the key of everything besides the records that its outputs depend on (env_key)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from srchgen import __version__
from srchgen.build import budget, cache
from srchgen.load import git_log
from srchgen.config import Config
from srchgen.errors import Problem, sort_problems
from srchgen.render.templates import theme_dir
from srchgen.render.summary import Summary, digest

if TYPE_CHECKING:
    from srchgen.gate.check import SignatureChecker


@dataclass(frozen=True)
class Project:
    """Where a build reads and writes; paths shown to users keep the form they were given in."""

    root: Path
    records: Path
    out: Path
    config: Config
    records_display: str = "records"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    files: int = 0  # files written (or rewritten) by this build
    reused: int = 0  # records taken from the cache without parsing
    records: int = 0  # record files seen
    notes: list[str] = field(default_factory=list)
    usage: budget.Usage | None = None  # the written site's files and bytes (SPEC §8)
    search_shard_size: int = 20_000  # config.search_shard_size, for search.py (its callers pass the report)

    def check_budget(self, limit: int) -> Callable[[budget.Usage], None]:
        """Called with the site about to be published, before site/ is touched: records its size,
        raises budget.OverBudget past `limit` (max_site_bytes)."""

        def check(usage: budget.Usage) -> None:
            self.usage = budget.enforce(usage, limit)
            if usage.bytes > budget.PAGES_DOCUMENTED_BYTES and budget.LARGE_SITE not in self.notes:
                self.notes.append(budget.LARGE_SITE)

        return check

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


NO_BASE_URL = "no base_url: canonical, Open Graph, sitemap and absolute feed URLs are left out"
NO_LICENSE = "no license: record pages, feeds and exports name no licence (set license, e.g. \"CC-BY-4.0\", in [tool.srchgen])"


def report_of(problems: list[Problem], reused: int, records: int, strict: bool, config: Config) -> Report:
    """The build's report: problems sorted (warnings as errors with --strict), and the base_url
    note when the site is going to be written."""
    report = Report(problems=sort_problems(problems), reused=reused, records=records, search_shard_size=config.search_shard_size)
    if strict:
        report.problems = [p.as_error() for p in report.problems]
    if not report.errors and not config.base_url:
        report.notes.append(NO_BASE_URL)
    if not report.errors and config.license is None:
        report.notes.append(NO_LICENSE)
    return report


def signature_checker(project: Project) -> "SignatureChecker | None":
    """The SSH-signature rule when `gate_signers` is configured (SPEC §2), else None.

    Raises ConfigError (exit 2) when the allowed_signers file is missing or malformed.
    """
    if not project.config.gate_signers:
        return None
    from srchgen.gate.check import make_signature_checker

    return make_signature_checker(
        project.root / project.config.gate_signers, project.config.gate_signers, project.root / "pyproject.toml"
    )


def _templates_digest(project: Project) -> str:
    h = hashlib.sha256()
    for folder in (theme_dir("templates"), project.root / "templates"):
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file():
                    h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def env_key(project: Project, history: git_log.History | None = None) -> str:
    """Everything besides a record's own bytes that its problems, summary and pages depend on
    (the records' git history too: every record page shows its own)."""
    c = project.config
    history = history if history is not None else git_log.read(project.records)
    signers = b""
    if c.gate_signers:
        try:
            signers = (project.root / c.gate_signers).read_bytes()
        except OSError:
            signers = b"-missing-"
    return digest(
        __version__, str(cache.FORMAT), cache.code_digest(), cache.dependency_versions(), c.model_dump_json(exclude={"today"}),
        _templates_digest(project), project.records_display, hashlib.sha256(signers).hexdigest(), history.key,
    )
