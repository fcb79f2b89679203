"""Environment faults end in one line, exit 1, and site/ old or new, never mixed (issue 15).

Each case builds a registry, changes its inputs, injects a fault (a full tmpfs, `chattr +i`
on site/, a file in it, the cache or the output's parent, or a build run as an unprivileged
user), builds again, and asserts: exit 1, exactly one line on stderr naming the file and the
reason, no traceback, site/ equal to the old or the new clean build. Then the fault is lifted
and the next build must repair whatever was left and produce the new site exactly.
These need root (mount, chattr, setpriv); CI runs as root.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.hostile.registry import TRACEBACK, env, tree_manifest, write_record

ROOT = os.geteuid() == 0
pytestmark = pytest.mark.skipif(not ROOT, reason="needs root: mount -t tmpfs, chattr +i and setpriv (CI runs as root)")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def _inputs(root: Path, version: int) -> None:
    """Version 0: 20 records. Version 1: record 0's score moves its tier, 10 records added."""
    for i in range(20 + 10 * version):
        score = 4.2 if version and i == 0 else 7.83
        write_record(root / "records", f"{0x4000 + i:08X}", review={"score": score, "method": "Automated multi-reviewer assessment"})
    (root / "pyproject.toml").write_text('[tool.srchgen]\ntitle = "Faults"\n')


def _build(root: Path, user: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [*(user or []), sys.executable, "-m", "srchgen", "build", "--no-search"]
    return subprocess.run(cmd, cwd=root, env=env(), capture_output=True, text=True, timeout=300)


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(("site.tmp-", "site.old-", "site.journal")))


def _chattr(flag: str, path: Path) -> Callable[[], None]:
    subprocess.run(["chattr", flag, str(path)], check=True)
    return lambda: subprocess.run(["chattr", "-" + flag[1:], str(path)], check=True)


def _fill_disk(root: Path, free_kib: int) -> Callable[[], None]:
    """Leave about `free_kib` KiB free on the tmpfs holding root."""
    st = os.statvfs(root)
    ballast = root.parent / "ballast"
    size = max(st.f_bavail * st.f_frsize - free_kib * 1024, 0)
    with open(ballast, "wb") as f:
        try:
            f.write(b"\0" * size)
        except OSError:
            pass
    return lambda: ballast.unlink()


def _as_nobody(root: Path, site_owner: str) -> Callable[[], None]:
    """Hand the registry to uid 65534, keeping site/ (and with 'all', everything) root's."""
    if site_owner == "none":
        subprocess.run(["chown", "-R", "65534:65534", str(root)], check=True)
        subprocess.run(["chown", "-R", "0:0", str(root / "site")], check=True)
    return lambda: subprocess.run(["chown", "-R", "0:0", str(root)], check=True)


FAULTS: dict[str, tuple[Callable[[Path], Callable[[], None]], str, list[str] | None]] = {
    # name: (inject, the one stderr line (a regex), the user running the failing build)
    "site-immutable": (lambda r: _chattr("+i", r / "site"), r"srchgen: cannot write site/index\.html: operation not permitted", None),
    "page-immutable": (lambda r: _chattr("+i", r / "site" / "records" / "00004000" / "index.html"),
                       r"srchgen: cannot write site/records/00004000/index\.html: operation not permitted", None),
    "cache-immutable": (lambda r: _chattr("+i", r / ".srchgen-cache"), r"srchgen: cannot write \.srchgen-cache/noop: operation not permitted", None),
    "parent-immutable": (lambda r: _chattr("+i", r), r"srchgen: cannot write site/: operation not permitted", None),
    "disk-full-0k": (lambda r: _fill_disk(r, 0), r"srchgen: cannot write \S+: no space left on device", None),
    "disk-full-64k": (lambda r: _fill_disk(r, 64), r"srchgen: cannot write \S+: no space left on device", None),
    "disk-full-256k": (lambda r: _fill_disk(r, 256), r"srchgen: cannot write \S+: no space left on device", None),
    "disk-full-512k": (lambda r: _fill_disk(r, 512), r"srchgen: cannot write \S+: no space left on device", None),
    "nobody-cache-root-owned": (lambda r: _as_nobody(r, "all"), r"srchgen: cannot write \.srchgen-cache/lock: permission denied", NOBODY),
    "nobody-site-root-owned": (lambda r: _as_nobody(r, "none"), r"srchgen: cannot write site/\S+: permission denied", NOBODY),
}


@pytest.fixture
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """Where the registry lives: a 4 MiB tmpfs for the disk-full cases, a world-readable folder
    for the unprivileged ones (pytest's own tmp folders are private to root)."""
    name = request.param
    if name.startswith("disk-full"):
        mnt = tmp_path / "mnt"
        mnt.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
        yield mnt
        subprocess.run(["umount", "-l", str(mnt)], check=True)
    elif name.startswith("nobody"):
        probe = subprocess.run([*NOBODY, sys.executable, "-c", "import srchgen.cli.commands"], capture_output=True, env=env())
        if probe.returncode != 0:
            pytest.skip(f"uid 65534 cannot run this checkout's srchgen: {probe.stderr.decode()[-200:]}")
        shared = Path(tempfile.mkdtemp(prefix="srchgen-faults-"))
        shared.chmod(0o755)
        yield shared
        shutil.rmtree(shared, ignore_errors=True)
    else:
        yield tmp_path


@pytest.fixture(scope="module")
def new(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The clean build of version 1."""
    root = tmp_path_factory.mktemp("reference")
    _inputs(root, 1)
    assert _build(root).returncode == 0
    return tree_manifest(root / "site")


@pytest.mark.parametrize("folder", sorted(FAULTS), indirect=True, ids=sorted(FAULTS))
def test_a_fault_is_one_line_and_leaves_a_whole_site(folder: Path, new: dict[str, str], request: pytest.FixtureRequest) -> None:
    inject, line, user = FAULTS[request.node.callspec.id]
    root = folder / "reg"
    _inputs(root, 0)
    assert _build(root).returncode == 0
    old = tree_manifest(root / "site")
    _inputs(root, 1)
    undo = inject(root)
    try:
        run = _build(root, user)
    finally:
        undo()
    print(f"{request.node.callspec.id}: exit {run.returncode}: {run.stderr.strip()}")
    assert TRACEBACK not in run.stderr, run.stderr
    assert run.returncode == 1, run.stdout + run.stderr
    assert len(run.stderr.splitlines()) == 1 and re.fullmatch(line, run.stderr.strip()), run.stderr
    assert tree_manifest(root / "site") in (old, new), "site/ is a mix of the old and the new site"
    again = _build(root)  # the fault lifted: the next build repairs first, then builds
    assert again.returncode == 0, again.stderr
    assert tree_manifest(root / "site") == new
    assert _leftovers(root) == []


def test_a_first_build_in_a_folder_it_cannot_write(tmp_path: Path) -> None:
    """No cache and no site yet, and the output's parent immutable: one line, nothing made."""
    root = tmp_path / "reg"
    _inputs(root, 0)
    undo = _chattr("+i", root)
    try:
        run = _build(root)
    finally:
        undo()
    assert (run.returncode, run.stderr) == (1, "srchgen: cannot write .srchgen-cache: operation not permitted\n")
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml", "records"]
