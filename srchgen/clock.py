"""The one clock of the package (SPEC §2): every date or time srchgen reads comes from here.

The reference time is `SOURCE_DATE_EPOCH` when it is set (reproducible builds, and the tests,
which pin it), else now in UTC. No other module may read the machine's clock for a date:
`tests/unit/test_clock.py` fails on a new `datetime.now`, `date.today` or `time.time` in the
package. (`time.monotonic` measures durations only and is allowed.)
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Mapping


def reference_time(environ: Mapping[str, str] | None = None) -> dt.datetime:
    """Now in UTC, whole seconds; the instant of SOURCE_DATE_EPOCH when it is set."""
    env = os.environ if environ is None else environ
    sde = env.get("SOURCE_DATE_EPOCH")
    if sde and sde.strip().isdigit():
        return dt.datetime.fromtimestamp(int(sde), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def reference_date(environ: Mapping[str, str] | None = None) -> dt.date:
    """The reference day in UTC: what 'not in the future' is judged against."""
    return reference_time(environ).date()
