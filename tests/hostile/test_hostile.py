"""Every hostile case ends as its table says: a clear error naming the file, or a safe build (SPEC §6).

Each case is built by `python -m srchgen build` in a subprocess (so a hang, a crash or a
runaway allocation is contained and measured with wait4), two at a time.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .cases import CASES, ERROR, SAFE, Case, numbered
from .registry import TRACEBACK, Run, build, write_record
from .scan import scan_html

LIMIT_CPU_S = 2.0  # issue 4: alias bombs and deep nesting are rejected within 2 s ...
LIMIT_RSS_MIB = 200.0  # ... and 200 MiB
GOOD = "00000001"  # a valid record beside each error case: one bad file must not hide behind good ones


def _prepare(case: Case, hex_id: str, root: Path) -> None:
    records = root / "records"
    if case.outcome == ERROR:
        write_record(records, GOOD)
    case.setup(records, hex_id)


def _run(item: tuple[str, Case], base: Path) -> tuple[Path, Run]:
    hex_id, case = item
    root = base / case.name
    root.mkdir()
    _prepare(case, hex_id, root)
    return root, build(root, timeout=300)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Run]]:
    base = tmp_path_factory.mktemp("hostile")
    items = numbered()
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda it: _run(it, base), items))
    return {case.name: r for (_, case), r in zip(items, done)}


def test_the_corpus_is_big_enough() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(CASES) >= 45
    assert {c.outcome for c in CASES} == {ERROR, SAFE}


@pytest.mark.parametrize("hex_id,case", numbered(), ids=[c.name for c in CASES])
def test_case(hex_id: str, case: Case, results: dict[str, tuple[Path, Run]]) -> None:
    root, run = results[case.name]
    assert not run.timed_out, f"{case.name}: the build hung ({case.why})"
    assert TRACEBACK not in run.output, run.output[-3000:]
    assert not (root / "PWNED").exists(), "a YAML tag ran a command"
    assert run.max_rss_mib < LIMIT_RSS_MIB, f"{case.name}: {run.max_rss_mib:.0f} MiB"
    if case.measure:
        assert run.cpu_seconds < LIMIT_CPU_S, f"{case.name}: {run.cpu_seconds:.2f} s of CPU"
    if case.outcome == ERROR:
        assert run.code == 1, f"{case.name}: exit {run.code}\n{run.output[-2000:]}"
        named = case.named(hex_id)
        lines = [ln for ln in run.stderr.splitlines() if ln.startswith(named + ":")]
        assert lines, f"{case.name}: no error names {named}\n{run.stderr[-2000:]}"
        assert all(re.match(rf"{re.escape(named)}:\d+:\d+: ", ln) for ln in lines)
        assert any(case.message in ln for ln in lines), f"{case.name}: no error says {case.message!r}\n{run.stderr[-2000:]}"
        assert not any(ln.startswith(f"records/{GOOD}.md:") and "warning" not in ln for ln in run.stderr.splitlines())
        assert not (root / "site").exists(), "a failed build wrote site/"
    else:
        assert run.code == 0, f"{case.name}: exit {run.code}\n{run.output[-3000:]}"
        site = root / "site"
        assert (site / "index.html").is_file()
        if case.message:
            assert case.message in run.stderr, f"{case.name}: no warning says {case.message!r}"
        page = site / "records" / hex_id / "index.html"
        if page.exists():
            findings, csp = scan_html(page.read_text(encoding="utf-8"), f"records/{hex_id}/index.html")
            assert findings == []
            assert csp is not None
        if case.check is not None:
            assert case.check(site, hex_id) == []


@pytest.mark.parametrize("hex_id,case", [(h, c) for h, c in numbered() if c.strict_fails], ids=lambda x: getattr(x, "name", x))
def test_warning_cases_fail_under_strict(hex_id: str, case: Case, tmp_path: Path) -> None:
    _prepare(case, hex_id, tmp_path)
    run = build(tmp_path, "--strict")
    assert run.code == 1
    assert TRACEBACK not in run.output
    assert any(ln.startswith(f"records/{hex_id}.md:") and case.message in ln for ln in run.stderr.splitlines())
    assert not (tmp_path / "site").exists()
