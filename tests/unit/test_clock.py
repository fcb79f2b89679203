"""Issue 12: one clock. Every date or time the package reads comes from srchgen.clock."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from srchgen import clock
from srchgen.config import Config
from srchgen.cli.scaffold import Draft, create

PACKAGE = Path(clock.__file__).resolve().parent
# Attribute calls that read the wall clock as a date or time. time.monotonic/perf_counter measure
# durations and are allowed anywhere.
CLOCK_READS = {"now", "utcnow", "today", "time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "strftime"}
CLOCK_OWNERS = {"datetime", "date", "dt", "time", "_time"}


def clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, call) of each direct wall-clock read in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr, owner = node.func.attr, node.func.value
        # datetime.now(), dt.date.today(), time.time(), dt.datetime.now(tz) ...
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if attr in CLOCK_READS and name in CLOCK_OWNERS:
            # time.strftime(fmt, t) / time.gmtime(t) with an explicit time read no clock
            if attr in {"gmtime", "localtime", "ctime", "asctime"} and node.args:
                continue
            if attr == "strftime" and len(node.args) > 1:
                continue
            found.append((node.lineno, f"{name}.{attr}()"))
    return found


@pytest.mark.parametrize("source, reads", [
    ("import datetime as dt\ndt.datetime.now(dt.timezone.utc)", 1),
    ("from datetime import date\ndate.today()", 1),
    ("import datetime\ndatetime.datetime.utcnow()", 1),
    ("import time\ntime.time()", 1),
    ("import time\ntime.gmtime()", 1),
    ("import time\ntime.gmtime(0)", 0),
    ("import time\ntime.monotonic()", 0),
    ("import datetime as dt\ndt.datetime.fromtimestamp(0, dt.timezone.utc)", 0),
    ("x.today", 0),
])
def test_the_scanner_finds_clock_reads(source: str, reads: int) -> None:
    assert len(clock_reads(source)) == reads


def test_no_module_but_clock_reads_the_wall_clock() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {call}"
        for path in sorted(PACKAGE.rglob("*.py")) if path.name != "clock.py"
        for line, call in clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "read the time through srchgen.clock instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize("environ, expected", [
    ({"SOURCE_DATE_EPOCH": "0"}, dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)),
    ({"SOURCE_DATE_EPOCH": "1795348800"}, dt.datetime(2026, 11, 22, 12, tzinfo=dt.timezone.utc)),
    ({"SOURCE_DATE_EPOCH": " 86399 "}, dt.datetime(1970, 1, 1, 23, 59, 59, tzinfo=dt.timezone.utc)),
])
def test_reference_time_is_source_date_epoch(environ: dict[str, str], expected: dt.datetime) -> None:
    assert clock.reference_time(environ) == expected
    assert clock.reference_date(environ) == expected.date()


@pytest.mark.parametrize("environ", [{}, {"SOURCE_DATE_EPOCH": ""}, {"SOURCE_DATE_EPOCH": "yesterday"}, {"SOURCE_DATE_EPOCH": "-5"}])
def test_reference_time_without_a_usable_epoch_is_now_in_utc(environ: dict[str, str]) -> None:
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    got = clock.reference_time(environ)
    after = dt.datetime.now(dt.timezone.utc)
    assert got.tzinfo is not None and got.microsecond == 0
    assert before <= got <= after


@pytest.mark.parametrize("today", [dt.date(2020, 2, 29), dt.date(2031, 1, 1)])
def test_a_draft_without_a_date_is_submitted_on_the_configs_day(tmp_path: Path, today: dt.date) -> None:
    """The library default follows the day 'in the future' is judged by, whatever the machine's clock says."""
    path = create(tmp_path, Draft("How does X affect Y?", "research", 5, 0, "P", False), Config(today=today))
    assert f"\nsubmitted: {today.isoformat()}\n" in path.read_text(encoding="utf-8")
