"""Crash safety (SPEC §6): a build killed at any moment leaves site/ whole, old or new.

A registry of 300 records has two versions (edits, 20 deletions, 20 additions). Both are
built once into their own folders as references (file -> sha256). Then one working copy
flips between the versions, and each build is SIGKILLed after a seeded random delay spread
over a measured build's duration. After each kill site/ must equal a reference exactly (no
truncated file, no mix), or be a state the next build repairs before anything else
(site/ missing beside a complete site.old-*, or a committed journal that `recover`
rolls forward into a whole tree). The next build must then produce exactly its own
inputs' site (sometimes the killed build's target, sometimes a revert to the other
version) and leave no staging, old or journal files behind.

Pagefind 1.5.2 writes its filter files and metadata in hash-map order, so those are
compared up to that order (`tree_manifest` in tests/hostile/registry.py; Pagefind issue #638).
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from srchgen.build.write import recover
from tests.hostile.registry import TRACEBACK, build, env, tree_manifest as manifest, write_record

N = 300
KILLS = 20
SEED = 20261122


def _versions(base: Path) -> tuple[Path, Path]:
    """Version A: 300 records. Version B: every 4th edited, the last 20 deleted, 20 new ones."""
    a, b = base / "version-a", base / "version-b"
    for i in range(N):
        hex_id = f"{0x1000 + i:08X}"
        over = {"topics": [f"topic-{i % 9}"], "related": [f"SRCH:{0x1000 + (i + 1) % N:08X}", f"SRCH:{0x1000 + (i - 1) % N:08X}"]}
        write_record(a, hex_id, **over)
        if i >= N - 20:
            continue  # deleted in B: its pages must disappear
        if i % 4 == 0:
            over = {**over, "title": f"Revised title of record {i}", "review": {"score": 4.5, "method": "Re-reviewed"}}
        if i == N - 21:
            over["related"] = [f"SRCH:{0x1000 + i - 1:08X}"]
        if i == 0:
            over["related"] = [f"SRCH:{0x1000 + 1:08X}"]
        write_record(b, hex_id, **over)
    for i in range(N, N + 20):
        write_record(b, f"{0x1000 + i:08X}", topics=["added-topic"])
    return a, b


def _use(root: Path, version: Path) -> None:
    """Check out a version: every record file rewritten, as git would."""
    shutil.rmtree(root / "records", ignore_errors=True)
    shutil.copytree(version, root / "records")


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(("site.tmp-", "site.old-", "site.journal")))


def _build_ok(root: Path) -> float:
    start = time.monotonic()
    run = build(root, "--search", timeout=300)
    assert run.code == 0 and TRACEBACK not in run.output, run.output[-3000:]
    return time.monotonic() - start


@pytest.fixture(scope="module")
def refs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    base = tmp_path_factory.mktemp("crash")
    a, b = _versions(base)
    expected = {}
    for name, version in (("a", a), ("b", b)):
        root = base / f"ref-{name}"
        root.mkdir()
        _use(root, version)
        _build_ok(root)
        expected[name] = manifest(root / "site")
    assert expected["a"] != expected["b"]
    return {"a": a, "b": b, "base": base, "expected": expected}


def test_killed_builds_leave_a_whole_site(refs: dict[str, object]) -> None:
    versions = {"a": refs["a"], "b": refs["b"]}
    expected: dict[str, dict[str, str]] = refs["expected"]  # type: ignore[assignment]
    work = refs["base"] / "work"  # type: ignore[operator]
    work.mkdir()
    _use(work, versions["a"])
    _build_ok(work)
    assert manifest(work / "site") == expected["a"]
    # Measure the builds being killed: incremental (cache warm) and full (cache dropped).
    _use(work, versions["b"])
    span = {"incremental": _build_ok(work)}
    _use(work, versions["a"])
    shutil.rmtree(work / ".srchgen-cache")
    span["full"] = _build_ok(work)
    rng = random.Random(SEED)
    current = "a"
    seen: dict[str, int] = {}
    for n in range(KILLS):
        target = "b" if current == "a" else "a"
        _use(work, versions[target])
        mode = "full" if n % 3 == 2 else "incremental"
        if mode == "full":
            shutil.rmtree(work / ".srchgen-cache", ignore_errors=True)  # also kill full (non-incremental) builds
        delay = rng.uniform(0.0, span[mode] * 1.1)
        proc = subprocess.Popen(
            [sys.executable, "-m", "srchgen", "build", "--records", "records", "--out", "site"],
            cwd=work, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = _state_after_kill(work, expected, current, target)
        seen[state] = seen.get(state, 0) + 1
        # The next build: usually the killed build's inputs again, sometimes a revert.
        nxt = target if rng.random() < 0.7 else current
        _use(work, versions[nxt])
        _build_ok(work)
        assert manifest(work / "site") == expected[nxt], f"kill {n} ({state}): the next build did not produce version {nxt}"
        assert leftovers(work) == []
        current = nxt
    print(f"\n{KILLS} kills (builds measured at {span}): {seen}")
    assert sum(seen.values()) == KILLS


def _state_after_kill(work: Path, expected: dict[str, dict[str, str]], before: str, target: str) -> str:
    """Which allowed state the kill left; fails on anything else."""
    site = work / "site"
    left = leftovers(work)
    if site.is_dir():
        m = manifest(site)
        for name in (before, target):
            if m == expected[name]:
                return "old" if name == before else "new"
        assert "site.journal" in left, f"site/ is neither version and nothing can repair it (leftovers {left}): {_diff(m, expected, target)}"
        recover(site)  # a committed journal is rolled forward before anything else
        m = manifest(site)
        assert m in (expected[before], expected[target]), f"after recover, site/ is a mix: {_diff(m, expected, target)}"
        return "journal"
    olds = [x for x in left if x.startswith("site.old-")]
    assert olds, f"site/ is gone and there is no site.old-* to restore (leftovers {left})"
    m = manifest(work / olds[-1])
    assert m in (expected[before], expected[target]), "site.old-* is not a whole tree"
    return "missing"


def _diff(m: dict[str, str], expected: dict[str, dict[str, str]], target: str) -> str:
    want = expected[target]
    changed = sorted(k for k in set(m) | set(want) if m.get(k) != want.get(k))
    return f"{len(changed)} files differ from version {target}, e.g. {changed[:5]}"


class _Killed(BaseException):
    """Stands in for SIGKILL at one exact point of a build."""


def _project(root: Path):  # type: ignore[no-untyped-def]
    from srchgen.build.pipeline import Project
    from srchgen.config import load_config

    return Project(root=root, records=root / "records", out=root / "site", config=load_config(root))


@pytest.mark.parametrize("point", ["before-journal", "after-update"])
def test_a_revert_after_a_killed_update_restores_the_old_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    """Killed between updating site/ and saving the cache, then the change reverted: the next build must not trust the cache."""
    from srchgen.build import pipeline as build_mod
    from srchgen.build import cache, write

    a, b = _versions(tmp_path / "versions")
    ref = tmp_path / "ref-a"
    ref.mkdir()
    _use(ref, a)
    build_mod.build(_project(ref), search=False)
    root = tmp_path / "work"
    root.mkdir()
    _use(root, a)
    build_mod.build(_project(root), search=False)
    assert manifest(root / "site") == manifest(ref / "site")
    _use(root, b)
    real_save, real_roll = cache.save_state, write._roll_forward

    def save_state(out: Path, state: dict, *rest: object) -> None:  # type: ignore[type-arg]
        if state.get("files"):  # the final save, after site/ was updated
            raise _Killed()
        real_save(out, state, *rest)

    def roll_forward(site: Path, journal: Path) -> None:
        raise _Killed()  # the journal is committed, nothing moved yet

    monkeypatch.setattr(cache, "save_state", save_state)
    if point == "before-journal":
        monkeypatch.setattr(write, "_roll_forward", roll_forward)
    with pytest.raises(_Killed):
        build_mod.build(_project(root), search=False)
    monkeypatch.setattr(cache, "save_state", real_save)
    monkeypatch.setattr(write, "_roll_forward", real_roll)
    _use(root, a)  # the author reverts the change
    build_mod.build(_project(root), search=False)
    assert manifest(root / "site") == manifest(ref / "site")
    assert leftovers(root) == []
