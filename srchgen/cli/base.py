"""What every command of the command line shares: paths as the user reads them, the usage-error
exit for config problems, and the registry's records folder and config.

Separate from cli.py so that the command groups in their own modules (cli_gate.py) use these
helpers without importing cli.py, which imports them to register them: no import cycle.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from srchgen.errors import Problem


def shown(path: Path) -> str:
    """A path as the user should read it: relative to the current directory when inside it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return rel.as_posix() or "."
    except ValueError:
        return str(path)


def fail_usage(problems: list["Problem"]) -> NoReturn:
    for p in problems:
        click.echo(str(p), err=True)
    sys.exit(2)


def registry_context(records: str | None) -> tuple[Path, Path, str, Any]:
    """(root, records dir, records as shown, config) for `new` and the gate commands; config errors exit 2."""
    from srchgen.config import load_config
    from srchgen.errors import ConfigError

    root = Path.cwd()
    try:
        config = load_config(root)
    except ConfigError as e:
        fail_usage(e.problems)
    records_dir = Path(records) if records else root / "records"
    if not records_dir.is_dir():
        raise click.UsageError(f"records directory not found: {records or 'records'} (run in a registry folder or pass --records)")
    display = records if records and not Path(records).is_absolute() else shown(records_dir)
    return root, records_dir, display.rstrip("/") or ".", config
