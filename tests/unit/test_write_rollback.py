"""An in-place update that cannot finish is rolled back to the old site, whole (issue 15)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from srchgen.build import write
from srchgen.render.render import Output

OLD = {"index.html": b"old index\n", "records/A/index.html": b"old A\n", "records/B/index.html": b"old B\n", "feed.json": b"old feed\n"}
CHANGED = [Output("records/A/index.html", b"new A\n"), Output("records/C/index.html", b"new C\n"), Output("index.html", b"new index\n")]
DELETED = ["records/B/index.html"]
NEW = {"index.html": b"new index\n", "records/A/index.html": b"new A\n", "records/C/index.html": b"new C\n", "feed.json": b"old feed\n"}


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    for rel, data in OLD.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    return site


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.parent.iterdir() if p.name != "site")


class _Killed(BaseException):
    """Stands in for SIGKILL."""


# os.replace calls of the roll forward: records/A (0), records/C (1), index.html (2); unlink of records/B after them
@pytest.mark.parametrize("fail_at", [0, 1, 2, 3], ids=["first-move", "second-move", "last-move", "delete"])
def test_a_failed_step_rolls_back_to_the_old_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
    site = _site(tmp_path)
    calls = {"n": 0}
    real_replace, real_unlink = os.replace, Path.unlink

    def step() -> None:
        calls["n"] += 1
        if calls["n"] - 1 == fail_at:
            raise OSError(errno.EROFS, "Read-only file system")

    def replace(src: object, dst: object) -> None:
        if str(dst).startswith(str(site) + "/"):
            step()
        real_replace(src, dst)  # type: ignore[arg-type]

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if str(self).startswith(str(site) + "/"):
            step()
        real_unlink(self, missing_ok)

    monkeypatch.setattr(write.os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(OSError):
        write.apply_changes(site, CHANGED, DELETED)
    monkeypatch.undo()
    assert _tree(site) == OLD
    assert _leftovers(site) == []


def test_an_update_that_works_is_whole(tmp_path: Path) -> None:
    site = _site(tmp_path)
    write.apply_changes(site, CHANGED, DELETED)
    assert _tree(site) == NEW
    assert _leftovers(site) == []


def test_a_build_killed_while_rolling_back_is_rolled_back_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    real_roll_forward, real_replace = write._roll_forward, os.replace

    def fail_late(s: Path, journal: Path) -> None:
        def replace(src: object, dst: object) -> None:
            if str(dst) == str(site / "index.html"):
                raise OSError(errno.ENOSPC, "No space left on device")
            real_replace(src, dst)  # type: ignore[arg-type]

        monkeypatch.setattr(write.os, "replace", replace)
        try:
            real_roll_forward(s, journal)
        finally:
            monkeypatch.setattr(write.os, "replace", real_replace)

    def killed(s: Path, journal: Path) -> None:
        raise _Killed()

    monkeypatch.setattr(write, "_roll_forward", fail_late)
    monkeypatch.setattr(write, "_roll_back", killed)
    with pytest.raises(_Killed):
        write.apply_changes(site, CHANGED, DELETED)
    monkeypatch.undo()
    assert (tmp_path / "site.journal").is_file()  # turned around: the next build rolls back, not forward
    assert _tree(site) != OLD
    write.recover(site)
    assert _tree(site) == OLD
    assert _leftovers(site) == []


@pytest.mark.parametrize("had_index, fail", [
    (True, "parking-the-old-index"), (True, "moving-the-new-index-in"), (True, "after-the-index"),
    (False, "moving-the-new-index-in"), (False, "after-the-index"),
], ids=lambda v: {True: "old-index", False: "no-index-before"}.get(v, v) if isinstance(v, bool) else v)
def test_the_search_index_is_rolled_back_with_the_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, had_index: bool, fail: str) -> None:
    """Old pages never pair with a new index, nor the other way round."""
    site = _site(tmp_path)
    if had_index:
        (site / "pagefind").mkdir()
        (site / "pagefind" / "index.pf").write_bytes(b"old index\n")
    before = _tree(site)

    def index(view: Path, dest: Path) -> None:
        dest.mkdir()
        (dest / "index.pf").write_bytes(b"new index\n")

    real_rename, real_unlink = os.rename, os.unlink

    def rename(src: object, dst: object, **kw: object) -> None:
        if fail == "parking-the-old-index" and str(src) == str(site / "pagefind"):
            raise OSError(errno.EROFS, "Read-only file system")
        if fail == "moving-the-new-index-in" and str(dst) == str(site / "pagefind"):
            raise OSError(errno.EROFS, "Read-only file system")
        real_rename(src, dst, **kw)  # type: ignore[arg-type]

    def unlink(path: object, **kw: object) -> None:
        if fail == "after-the-index" and str(path).endswith("site.journal"):
            raise OSError(errno.EROFS, "Read-only file system")
        real_unlink(path, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(write.os, "rename", rename)
    monkeypatch.setattr(write.os, "unlink", unlink)
    with pytest.raises(OSError):
        write.apply_changes(site, CHANGED, DELETED, index)
    monkeypatch.undo()
    # The fault persists while rolling back too: the old site, or a journal the next build rolls back.
    assert _tree(site) == before or (tmp_path / "site.journal").is_file()
    write.recover(site)
    write.recover(site)  # and a second recover finds nothing to do
    assert _tree(site) == before
    assert _leftovers(site) == []
