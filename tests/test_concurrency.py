"""One build at a time per output folder (issue 15).

Two `srchgen build` processes started together after an edit used to delete each other's
staging folder (a traceback), or swap a gutted tree in that the cache then called up to
date. Now the second one waits for the first under a lock in `.srchgen-cache/`; every
round below must end with site/ equal to a clean build of the same inputs.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from srchgen.build import cache
from tests.hostile.registry import TRACEBACK, build, env, tree_manifest, write_record

N = 80
ROUNDS = 12
TITLES = ("Registry One", "Registry Two")


def _inputs(root: Path, version: int, title: int) -> None:
    """Records of `version` (every 5th record's score differs) and the config title `title`."""
    for i in range(N):
        hex_id = f"{0x2000 + i:08X}"
        score = 4.2 if version and i % 5 == 0 else 7.83
        write_record(root / "records", hex_id, review={"score": score, "method": "Automated multi-reviewer assessment"},
                     topics=[f"topic-{i % 7}"], related=[f"SRCH:{0x2000 + (i + 1) % N:08X}", f"SRCH:{0x2000 + (i - 1) % N:08X}"])
    (root / "pyproject.toml").write_text(f'[tool.srchgen]\ntitle = "{TITLES[title]}"\n')


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(("site.tmp-", "site.old-", "site.journal")))


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, int], dict[str, str]]:
    """A clean build of each (record version, title) pair."""
    base = tmp_path_factory.mktemp("refs")
    found = {}
    for version in (0, 1):
        for title in (0, 1):
            root = base / f"v{version}-t{title}"
            _inputs(root, version, title)
            run = build(root)
            assert run.code == 0, run.output
            found[(version, title)] = tree_manifest(root / "site")
    return found


def _spawn(root: Path, *more: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "srchgen", "build", "--records", "records", "--out", "site", "--no-search", *more],
        cwd=root, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_builds_at_once_leave_the_clean_site(tmp_path: Path, references: dict[tuple[int, int], dict[str, str]]) -> None:
    root = tmp_path / "work"
    version, title = 0, 0
    _inputs(root, version, title)
    assert build(root).code == 0
    for n in range(ROUNDS):
        if n % 2 == 0:
            version = 1 - version  # an edit: scores of 16 records (their tier moves)
        else:
            title = 1 - title  # a config change: every page
        _inputs(root, version, title)
        procs = [_spawn(root), _spawn(root)]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        for code, out, err in results:
            assert code == 0, f"round {n}: exit {code}\n{out}\n{err}"
            assert TRACEBACK not in out + err, f"round {n}:\n{err}"
        assert tree_manifest(root / "site") == references[(version, title)], f"round {n}: site/ is not the clean build of its inputs"
        assert _leftovers(root) == [], f"round {n}"
        again = build(root)  # the cache vouches only for the site it verified
        assert again.code == 0 and "is up to date" in again.stdout, again.output


def _hold_lock(root: Path) -> int:
    """Take the build lock of root/site as another build would; returns the fd (close it to release)."""
    path = cache.cache_dir(root / "site") / cache.LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\t{root / 'site'}\n".encode())
    return fd


def test_no_wait_exits_2_while_another_build_runs(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    _inputs(root, 0, 0)
    fd = _hold_lock(root)
    try:
        proc = _spawn(root, "--no-wait")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(fd)
    assert proc.returncode == 2, err
    assert err == f"srchgen: another build of site/ is running (pid {os.getpid()}); not waiting (--no-wait)\n"
    assert not (root / "site").exists()


def test_a_second_build_waits_and_leaves_the_first_builds_staging_alone(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    _inputs(root, 0, 0)
    assert build(root).code == 0
    fd = _hold_lock(root)
    live = root / "site.tmp-424242"  # the staging folder of the build holding the lock
    (live / "records").mkdir(parents=True)
    (live / "index.html").write_text("half-written by a live build\n")
    try:
        (root / "records" / "00002000.md").write_text((root / "records" / "00002000.md").read_text().replace("7.83", "7.84"))
        proc = _spawn(root)
        assert proc.stderr is not None
        first = proc.stderr.readline()  # blocks until the build says it waits (it cannot finish first)
        assert first == f"waiting for another build of site/ (pid {os.getpid()})…\n"
        for _ in range(20):  # it really waits: nothing beside site/ is touched meanwhile
            assert proc.poll() is None and (live / "index.html").is_file()
            time.sleep(0.01)
    finally:
        os.close(fd)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert TRACEBACK not in err
    assert _leftovers(root) == []  # the holder is gone: what it left is recovered
    assert "7.84" in (root / "site" / "records" / "00002000" / "index.html").read_text()
    shutil.rmtree(root / ".srchgen-cache")


@pytest.mark.parametrize("damage", ["record-folders-removed", "site-replaced"])
def test_the_cache_does_not_vouch_for_a_site_changed_behind_it(
    tmp_path: Path, references: dict[tuple[int, int], dict[str, str]], damage: str
) -> None:
    """What used to keep a gutted site: nothing but site/ changed, and the build said it was up to date."""
    root = tmp_path / "reg"
    _inputs(root, 0, 0)
    assert build(root).code == 0
    site = root / "site"
    if damage == "record-folders-removed":
        for folder in sorted((site / "records").iterdir())[4:]:
            shutil.rmtree(folder)
    else:
        shutil.rmtree(site)
        (site / "pagefind").mkdir(parents=True)
    run = build(root)
    assert run.code == 0 and "is up to date" not in run.output, run.output
    assert tree_manifest(site) == references[(0, 0)]
