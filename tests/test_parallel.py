"""A clean build on two processes writes the same bytes and reports the same problems as on one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from srchgen.build import parallel
from srchgen.build.pipeline import build, check
from tests.conftest import manifest, project_for, write_record
from tests.test_build import tree


def _twin(root: Path) -> Path:
    other = root.parent / "twin"
    shutil.copytree(root, other, ignore=shutil.ignore_patterns("site", ".srchgen-cache"))
    return other


@pytest.mark.parametrize("chunk", [1, 32])  # 1: both processes write some of the parent's pages (outputs.shared_pages)
def test_forked_build_equals_single_process_build(tmp_project: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    twin = _twin(tmp_project)
    monkeypatch.setattr(parallel, "CHUNK", chunk)
    monkeypatch.setattr(parallel, "MIN_RECORDS", 10**9)
    single = build(project_for(twin), search=False)
    monkeypatch.setattr(parallel, "MIN_RECORDS", 2)
    forked = build(project_for(tmp_project), search=False)
    assert not single.errors and not forked.errors
    assert [str(p) for p in forked.problems] == [str(p) for p in single.problems]
    assert tree(tmp_project / "site") == tree(twin / "site")
    # the cache written by a forked build serves the next build like any other
    (tmp_project / "records" / "A0000002.md").write_text((tmp_project / "records" / "A0000002.md").read_text().replace("forty-two", "42"))
    (twin / "records" / "A0000002.md").write_text((twin / "records" / "A0000002.md").read_text().replace("forty-two", "42"))
    again = build(project_for(tmp_project), search=False)
    assert again.reused == 13
    monkeypatch.setattr(parallel, "MIN_RECORDS", 10**9)
    build(project_for(twin), search=False)
    assert tree(tmp_project / "site") == tree(twin / "site")


@pytest.mark.parametrize("bad", ["A0000001", "A0000002", "C0000001"])
def test_forked_build_reports_problems_of_both_halves(tmp_project: Path, monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    write_record(tmp_project / "records", manifest(id="SRCH:0000000A", related=["SRCH:DEADBEEF"], review={"score": 11}))
    path = tmp_project / "records" / f"{bad}.md"
    path.write_text(path.read_text().replace("manifest: paper-manifest-v1.1", "manifest: paper-manifest-v1.1\nreveiw: 1"))
    twin = _twin(tmp_project)
    monkeypatch.setattr(parallel, "MIN_RECORDS", 10**9)
    single = build(project_for(twin), search=False)
    monkeypatch.setattr(parallel, "MIN_RECORDS", 2)
    forked = build(project_for(tmp_project), search=False)
    assert forked.errors and [str(p) for p in forked.problems] == [str(p) for p in single.problems]
    assert not (tmp_project / "site").exists()


@pytest.mark.parametrize("bad", [None, "A0000001", "C0000001"])
def test_forked_check_reports_what_a_single_process_check_reports(tmp_project: Path, monkeypatch: pytest.MonkeyPatch, bad: str | None) -> None:
    """`srchgen check` without a cache forks a worker for half the records: same problems, same order."""
    write_record(tmp_project / "records", manifest(id="SRCH:0000000A", related=["SRCH:DEADBEEF"], review={"score": 11}))
    if bad is not None:
        path = tmp_project / "records" / f"{bad}.md"
        path.write_text(path.read_text().replace("manifest: paper-manifest-v1.1", "manifest: paper-manifest-v1.1\nreveiw: 1"))
    monkeypatch.setattr(parallel, "MIN_RECORDS", 10**9)
    single = check(project_for(tmp_project))
    monkeypatch.setattr(parallel, "MIN_RECORDS", 2)
    forked = check(project_for(tmp_project))
    assert single.errors and [str(p) for p in forked.problems] == [str(p) for p in single.problems]
    assert forked.records == single.records == 15 and forked.reused == 0


@pytest.mark.parametrize("size", [1, 3, 100, 1000])
def test_two_processes_take_every_item_of_a_chunks_list_once(size: int) -> None:
    items = list(range(257))
    chunks = parallel.Chunks(size)
    worker = parallel.Worker(lambda: None, lambda _: [i for chunk in chunks.take(items) for i in chunk])
    try:
        worker.receive()
        worker.send("go")
        ours = [i for chunk in chunks.take(items) for i in chunk]
        theirs = worker.receive()
    finally:
        worker.abort()
    assert sorted(ours + theirs) == items  # each item once, whoever took it
    assert all(len(c) <= size for c in parallel.Chunks(size).take(items))


@pytest.mark.parametrize("phase", [1, 2])
def test_an_os_error_in_the_worker_is_raised_as_itself(phase: int) -> None:
    """A full disk in the worker is the same one-line environment fault as in the parent (issue 15), not a traceback."""
    import errno

    def fail(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "site.tmp-1/records/X/index.html")

    worker = parallel.Worker(fail if phase == 1 else (lambda: "ready"), fail)
    try:
        if phase == 2:
            assert worker.receive() == "ready"
            worker.send("go")
        with pytest.raises(OSError) as caught:
            worker.receive()
    finally:
        worker.abort()
    assert (caught.value.errno, caught.value.strerror, caught.value.filename) == (errno.ENOSPC, "No space left on device", "site.tmp-1/records/X/index.html")
