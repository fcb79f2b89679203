"""What every command of the command line shares: paths as the user reads them, the usage-error
exit for config problems, and the registry's records folder and config.

Separate from commands.py so that the command groups and commands in their own modules (gate.py,
serve.py) use these helpers without importing commands.py, which imports them to register
them: no import cycle.
"""

from __future__ import annotations

import errno
import os
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


_WRITING = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG})


def environment_fault(e: OSError, out_dir: Path) -> str:
    """A full disk, a read-only or unwritable folder as one line: `cannot write site/index.html:
    read-only file system`. A staging tree's file is named as the site/ file it was to become;
    site/ itself is left old or new by the build (write.py), never a mix."""
    from srchgen.build import cache

    name = e.filename2 if e.filename2 is not None else e.filename
    reason = e.strerror or str(e)
    reason = reason[:1].lower() + reason[1:]
    if name is None:
        return f"cannot write {shown(out_dir)}/: {reason}"
    path = Path(os.path.abspath(os.fsdecode(name)))
    parent = Path(os.path.abspath(out_dir)).parent
    site = out_dir.name
    ours = False
    if path.is_relative_to(parent) and path != parent:
        first, *rest = path.relative_to(parent).parts
        ours = first == cache.DIR or first == site or first.startswith(f"{site}.")
        if first.startswith((f"{site}.tmp-", f"{site}.old-")):
            from srchgen.build.write import BACKUP

            rest = rest[1:] if rest[:1] == [BACKUP] else rest
            path = parent.joinpath(site, *rest)
    verb = "write" if ours or e.errno in _WRITING else "read"
    text = shown(path) + ("/" if path.is_dir() else "")
    return f"cannot {verb} {text}: {reason}"
