"""The cache's file formats: chunked state, the texts file read through a map, the spool (issue 5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from srchgen.build import cache, textfiles


def test_chunked_state_round_trips_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_CHUNK", 3)
    rows = {f"{i:08X}.md": ((i, i, i), (), [], (f"SRCH:{i:08X}", i), ((0, 1),), "k", "2026-01-01") for i in range(10)}
    state = {"env": "e", "records": rows, "pages": {f"p{i}": "k" for i in range(7)}, "files": {}, "order": list(rows)}
    path = tmp_path / "state"
    cache._write_chunked(path, state)
    back = cache._read_chunked(path)
    assert back is not None
    assert back["order"] == list(rows) and back["pages"] == state["pages"] and back["files"] == {}
    assert list(back["records"]) == list(rows)  # order kept
    for name, row in rows.items():  # the frozen Summary is stored as bytes, read back by thaw
        assert isinstance(back["records"][name][cache.FROZEN], bytes)
        assert cache.thaw(back["records"][name]) == row[cache.FROZEN]


@pytest.mark.parametrize("cut", [1, 8, 20, -9, -1])
def test_a_state_file_cut_anywhere_is_not_read(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "state"
    cache._write_chunked(path, {"env": "e", "records": {"a.md": ((1, 2, 3), (), [], ("x",), (), "k", "d")}, "pages": {}, "files": {}})
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    assert cache._read_chunked(path) is None


def test_a_row_that_is_not_a_marshalled_tuple_thaws_to_none() -> None:
    assert cache.thaw(((1, 2, 3), (), [], b"\x00garbage", (), "k", "d")) is None


def test_texts_are_read_by_span(tmp_path: Path) -> None:
    path = tmp_path / "texts"
    path.write_bytes(b"".join(bytes([65 + i % 26]) * 7 for i in range(50)))
    f = textfiles.TextFile(path, os.open(path, os.O_RDWR | os.O_APPEND))
    try:
        for i in reversed(range(50)):
            assert f.read((7 * i, 7 * i + 7)) == bytes([65 + i % 26]) * 7
        os.write(f.fd, b"appended")
        assert f.read((350, 358)) == b"appended"
        with pytest.raises(OSError, match="past the end"):
            f.read((350, 400))
    finally:
        f.close()


def test_spool_gives_back_what_it_was_given(tmp_path: Path) -> None:
    spool = textfiles.Spool(tmp_path / "site")
    try:
        spans = [spool.add(bytes([i]) * (i * 100)) for i in range(20)]
        assert [spool.read(s) for s in reversed(spans)] == [bytes([i]) * (i * 100) for i in reversed(range(20))]
        assert list((tmp_path / cache.DIR).iterdir()) == []  # an unnamed file: nothing to clean up
    finally:
        spool.close()


def test_a_state_file_of_garbage_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.write_bytes(b"\xff" * 8 + b"garbage")  # a length of 2**64 - 1: not allocated
    assert cache._read_chunked(path) is None


def test_dependency_versions_are_what_importlib_metadata_says() -> None:
    from importlib.metadata import PackageNotFoundError, version

    def meta(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "-"

    assert cache.dependency_versions() == ",".join(f"{n}={meta(n)}" for n in cache._DEPENDENCIES)


@pytest.mark.parametrize("folders, want", [
    # (dist-info folders on each sys.path entry, in order), the versions read
    ([["nh3-0.3.8.dist-info"]], {"nh3": "0.3.8"}),
    ([["PyYAML-6.0.3.dist-info"]], {"pyyaml": "6.0.3"}),  # older wheels keep the project's case
    ([["pagefind_bin-1.5.2.dist-info"]], {"pagefind-bin": "1.5.2"}),  # '-' is '_' in folder names
    ([["pagefind.bin-1.5.2.dist-info"]], {"pagefind-bin": "1.5.2"}),
    ([["nh3-0.3.8.dist-info"], ["nh3-0.2.0.dist-info"]], {"nh3": "0.3.8"}),  # the first on sys.path, as imports
    ([["nh3-0.2.0.dist-info", "nh3_extra-9.dist-info"]], {"nh3": "0.2.0"}),  # another project's folder is not nh3's
    ([["nh3.dist-info"]], {"nh3": "from metadata"}),  # no version in the name: asked of importlib.metadata
    ([[]], {"nh3": "from metadata", "pyyaml": "from metadata"}),  # not found: asked of importlib.metadata
])
def test_dependency_versions_from_dist_info_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: list[list[str]], want: dict[str, str],
) -> None:
    path = []
    for i, names in enumerate(folders):
        d = tmp_path / f"site{i}"
        d.mkdir()
        for name in names:
            (d / name).mkdir()
        path.append(str(d))
    monkeypatch.setattr("sys.path", [str(tmp_path / "missing"), *path])
    monkeypatch.setattr(cache, "_metadata_version", lambda name: "from metadata")
    got = dict(item.split("=", 1) for item in cache.dependency_versions().split(","))
    assert list(got) == list(cache._DEPENDENCIES)
    for name in cache._DEPENDENCIES:
        assert got[name] == want.get(name, "from metadata")
