"""The search index: Pagefind over the record pages (SPEC §4), run on the staged site."""

from __future__ import annotations

import ctypes
import errno
import signal
import subprocess
import sys
from pathlib import Path

from srchgen.project import Report


def pagefind_command(site: Path, output: Path | None = None) -> list[str] | None:
    try:
        from pagefind_bin import get_executable

        exe = str(get_executable())
    except (ImportError, FileNotFoundError):
        return None
    cmd = [exe, "--site", str(site), "--glob", "records/*/index.html", "--silent"]
    return cmd + (["--output-path", str(output)] if output else ["--output-subdir", "pagefind"])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Pagefind dies with the build (PR_SET_PDEATHSIG): a killed build must not leave it writing into a tree `recover` removes."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _pagefind(cmd: list[str] | None, report: Report) -> bool:
    if cmd is None:
        report.notes.append("Pagefind is not installed (pip install 'pagefind[bin]'); the site has no search index")
        return False
    linux = sys.platform.startswith("linux")
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=_die_with_parent if linux else None)
    if proc.returncode != 0:
        # most often the environment (a full disk): reported in one line like any OSError (issue 15)
        raise OSError(errno.EIO, f"Pagefind failed: {proc.stderr.strip() or proc.stdout.strip()}", cmd[cmd.index("--site") + 1])
    if proc.stderr.strip():
        print(proc.stderr.strip(), file=sys.stderr)
    return True


def run_pagefind(site: Path, report: Report) -> None:
    """Index the record pages with Pagefind (SPEC §4), inside the staging tree before it is swapped in."""
    _pagefind(pagefind_command(site), report)


def index_search(view: Path, dest: Path, report: Report) -> None:
    """Index an updated site (`view`) into `dest`; write.apply_changes moves it in with the pages."""
    _pagefind(pagefind_command(view, dest), report)  # without Pagefind, dest is not made and the old index stays
