"""The data export in segments (export.py): one ordinary gzip member whatever the segments,
the same bytes whether a segment was compressed now or copied from the last build's file, and
a last file that is not the one the state describes never copied from."""
from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from srchgen.render import export
from srchgen.render.export import Segments, _crc_join, records_export

CONFIG = SimpleNamespace(title="Registry", license=None, base_url="https://example.org/r/")


@pytest.mark.parametrize("a, b", [
    (b"", b""), (b"", b"x"), (b"x", b""), (b"a", b"b"), (b"\x00" * 7, b"\xff" * 3),
    (bytes(range(256)) * 5, b"tail"), (b"head", bytes(range(256)) * 4099),
])
def test_crc_join_is_the_crc_of_the_concatenation(a: bytes, b: bytes) -> None:
    assert _crc_join(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("size", [*range(0, 70), 255, 256, 4095, 4096, 4097, 65536, 1 << 20, (1 << 20) + 12345, 3_000_001])
def test_crc_join_at_every_small_length_and_segment_sizes(size: int) -> None:
    b = bytes((i * 131 + 7) % 256 for i in range(size)) if size < 5000 else bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    for a in (b"", b"\x00", b"head"):
        assert _crc_join(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@pytest.mark.parametrize("m, n", [(0, 0), (1, 1), (3, 5), (1 << 20, 1 << 20), (1 << 28, 1 << 28), ((1 << 29) - 1, (1 << 29) + 3), (1 << 31, 1 << 33)])
def test_crc_shift_powers_add(m: int, n: int) -> None:
    """x^(8m) x^(8n) = x^(8(m+n)) at lengths no test could allocate, past where the table of
    x^(2^k) wraps around (k >= 32)."""
    assert export._mulmod(export._x_to_8n(m), export._x_to_8n(n)) == export._x_to_8n(m + n)


def _records(n: int, edited: int | None = None) -> list[SimpleNamespace]:
    out = []
    for i in range(n):
        text = json.dumps({"id": f"SRCH:{i:08X}", "abstract": f"record {i} " * 40 + ("edited" if i == edited else "")}).encode()
        out.append(SimpleNamespace(record_json=text, content_key=str(zlib.crc32(text))))
    return out


def _write(records: list, segments: Segments, path: Path) -> bytes:
    data = b"".join(records_export(records, CONFIG, bytes, segments).pieces())
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 8, 9])  # segments of 4: none full, one, a part, several
def test_every_segmenting_is_one_valid_gzip_member_of_the_whole_json(n: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(export, "EXPORT_SEGMENT", 4)
    records = _records(n)
    data = _write(records, Segments(), tmp_path / "records.json.gz")
    assert data[:2] == b"\x1f\x8b" and gzip.decompress(data) == zlib.decompressobj(31).decompress(data)  # one member
    doc = json.loads(gzip.decompress(data))
    assert [r["id"] for r in doc["records"]] == [f"SRCH:{i:08X}" for i in range(n)]
    assert doc["manifest"] == "paper-manifest-v1.1" and doc["home_page_url"] == CONFIG.base_url


def test_an_edit_copies_the_unchanged_segments_and_gives_a_clean_builds_bytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(export, "EXPORT_SEGMENT", 4)
    site = tmp_path / "records.json.gz"
    first = Segments()
    _write(_records(10), first, site)
    compressed: list[int] = []
    real = zlib.compressobj
    monkeypatch.setattr(zlib, "compressobj", lambda *a: compressed.append(1) or real(*a))
    again = Segments(first.saved(), site)
    edited = _write(_records(10, edited=5), again, tmp_path / "edited.gz")
    assert len(compressed) == 1  # only the segment of record 5 (records 4-7)
    clean = _write(_records(10, edited=5), Segments(), tmp_path / "clean.gz")
    assert edited == clean and again.saved()["digest"] != first.saved()["digest"]


@pytest.mark.parametrize("tamper", [
    lambda p: p.write_bytes(p.read_bytes()[:20] + b"\x00" + p.read_bytes()[21:]),  # a byte of the first segment, changed behind the cache's back
    lambda p: p.write_bytes(b""),
    lambda p: p.unlink(),
])
def test_a_last_file_that_is_not_the_one_described_is_never_copied(tamper, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(export, "EXPORT_SEGMENT", 4)
    site = tmp_path / "records.json.gz"
    first = Segments()
    _write(_records(10), first, site)
    tamper(site)
    again = _write(_records(10, edited=5), Segments(first.saved(), site), tmp_path / "edited.gz")
    assert again == _write(_records(10, edited=5), Segments(), tmp_path / "clean.gz")


@pytest.mark.parametrize("old", [None, {}, {"digest": 1, "segments": {}}, {"digest": "x"}, "junk"])
def test_a_malformed_saved_table_is_ignored(old) -> None:
    assert Segments(old, Path("/nonexistent")).reuse("any") is None


def test_segments_made_by_another_zlib_are_made_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A copied segment must be the bytes this zlib would make, or an edited build would differ from a clean one."""
    monkeypatch.setattr(export, "EXPORT_SEGMENT", 4)
    site = tmp_path / "records.json.gz"
    first = Segments()
    _write(_records(10), first, site)
    monkeypatch.setattr(zlib, "ZLIB_RUNTIME_VERSION", "0.0-other")
    compressed: list[int] = []
    real = zlib.compressobj
    monkeypatch.setattr(zlib, "compressobj", lambda *a: compressed.append(1) or real(*a))
    _write(_records(10), Segments(first.saved(), site), tmp_path / "again.gz")
    assert len(compressed) == 3  # every segment
