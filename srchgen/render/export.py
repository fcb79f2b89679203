"""The data export, records.json.gz: every record's data, newest first, in one gzip file
(SPEC §8), compressed in segments so that an edit recompresses only the segment it is in.

The deflate stream is cut every EXPORT_SEGMENT records: each segment is compressed by a fresh
compressor and ends with a sync flush (byte-aligned, not final), and one empty final block
closes the stream. The file is one ordinary gzip member (RFC 1952) that any reader takes, and a
segment's compressed bytes depend on its own text only. So a build copies the segments whose
records did not change from the last build's file (`Segments`: their keys, places and CRCs
are kept in the cache's state, and the file is trusted only when its digest is the one that
build wrote) and compresses the rest: one record edited in a registry of 10,000 costs 256
records' compression, not 10,000 (38 MB of JSON, ~0.2 s). Deflate looks back 32 kB, so cutting
every ~1 MB costs almost nothing in size.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from srchgen.render import routes
from srchgen.config import Config
from srchgen.render.feeds import fragment
from srchgen.render.render import Output
from srchgen.render.summary import Texts, digest, texts_key

# zlib level, paid by every build that changes a record's segment. 38 MB of JSON at 10,000
# records: level 3 gives 3.7 MB in ~0.14 s of CPU here, level 6 2.6 MB in ~0.30 s.
EXPORT_LEVEL = 3
EXPORT_SEGMENT = 256  # records a segment holds (~1 MB of JSON)

# gzip member header: deflate, no flags, mtime 0, no extra flags, OS 255 "unknown". Written
# here rather than by zlib, whose header names the platform it was built for.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_FINAL_BLOCK = b"\x03\x00"  # an empty fixed-Huffman block with BFINAL set: the stream's end


def export_head(config: Config) -> dict[str, Any]:
    """What the data export says about itself: the contract, the registry and the records' licence."""
    head: dict[str, Any] = {"manifest": "paper-manifest-v1.1", "title": config.title, "license": None}
    if config.license is not None:
        head["license"] = {"id": config.license.id, "url": config.license.url}
    if config.base_url:
        head["home_page_url"] = config.base_url
    return head


class Segments:
    """The last export's segments, and this build's as it writes them.

    `old` is what the last build saved (`saved()`, in the cache's state): the digest of the
    file it wrote and, per segment key, (crc32, plain size, offset, compressed size) in it.
    `path` is that file (site/records.json.gz), read once, when a segment is first reused."""

    def __init__(self, old: Any = None, path: Path | None = None):
        ok = isinstance(old, dict) and isinstance(old.get("segments"), dict) and isinstance(old.get("digest"), str)
        self.old: dict[str, Any] = old if ok else {}
        self.path = path
        self.table: dict[str, tuple[int, int, int, int]] = {}
        self.digest: str | None = None  # of the file this build wrote, once written
        self._file: bytes | None = None
        self._read = False

    def reuse(self, key: str) -> tuple[int, int, bytes] | None:
        """The segment made from `key` in the last build's file: its crc32, plain size and bytes."""
        hit = self.old.get("segments", {}).get(key) if self.path is not None else None
        if hit is None:
            return None
        data = self._last_file()
        crc, size, offset, length = hit
        if data is None or offset + length > len(data):
            return None
        return crc, size, data[offset:offset + length]

    def _last_file(self) -> bytes | None:
        if not self._read:
            self._read = True
            try:
                data = self.path.read_bytes()  # type: ignore[union-attr]
            except OSError:
                return None
            if hashlib.sha256(data).hexdigest() == self.old["digest"]:
                self._file = data  # anything else (changed by hand, a half-written file) is never reused
        return self._file

    def saved(self) -> dict[str, Any]:
        """For the next build; the last build's table when this build did not rewrite the file
        (its bytes were unchanged, so the file on disk is still the one it describes)."""
        if self.digest is None:
            return self.old
        return {"digest": self.digest, "segments": self.table}


def records_export(summaries: Sequence[Texts], config: Config, fill: Callable[[bytes | memoryview], bytes],
                   segments: Segments | None = None) -> Output:
    """The data export: every record's data (records.json's shape), newest first, gzip-compressed
    (~10x: 10,000 records in 3.7 MB). Deterministic: mtime 0, no file name, zlib at a fixed
    level, segments cut at fixed record counts. `fill` completes each record's text
    (Renderer.fill_json); `segments`, the last build's, to copy unchanged ones from."""
    text = _json_head(export_head(config))
    before, after = text.split(b'"records":[]')
    key = f"gzip-{EXPORT_LEVEL}-{EXPORT_SEGMENT}-{zlib.ZLIB_VERSION}-{texts_key(before, after, summaries)}"
    return Output(routes.RECORDS_JSON, chunks=lambda: _gzip(before, after, summaries, fill, segments or Segments()), key=key)


def _json_head(head: dict[str, Any]) -> bytes:
    text = fragment({**head, "records": []}).encode("utf-8")
    assert text.count(b'"records":[]') == 1
    return text


def _gzip(before: bytes, after: bytes, summaries: Sequence[Texts], fill: Callable[[bytes | memoryview], bytes],
          segments: Segments) -> Iterator[bytes]:
    """before + '"records":[' + the records' texts joined by commas + ']' + after, as one gzip
    member of segments (reused or compressed), streamed; the segment table is kept in `segments`."""
    groups = [summaries[i:i + EXPORT_SEGMENT] for i in range(0, len(summaries), EXPORT_SEGMENT)] or [summaries[:0]]
    whole = hashlib.sha256(_GZIP_HEADER)
    crc = size = 0
    offset = len(_GZIP_HEADER)
    yield _GZIP_HEADER
    for i, group in enumerate(groups):
        start = before + b'"records":[' if i == 0 else b","
        end = b"]" + after + b"\n" if i == len(groups) - 1 else b""
        key = digest(start, end, texts_key(b"", b"", group), str(EXPORT_LEVEL), zlib.ZLIB_RUNTIME_VERSION)  # a copied segment is what this zlib makes
        hit = segments.reuse(key)
        if hit is not None:
            seg_crc, seg_size, packed = hit
        else:
            plain = start + b",".join(fill(s.record_json) for s in group) + end
            z = zlib.compressobj(EXPORT_LEVEL, zlib.DEFLATED, -15)  # raw deflate: the segment alone
            packed = z.compress(plain) + z.flush(zlib.Z_SYNC_FLUSH)
            seg_crc, seg_size = zlib.crc32(plain), len(plain)
        crc = _crc_join(crc, seg_crc, seg_size)
        size += seg_size
        segments.table[key] = (seg_crc, seg_size, offset, len(packed))
        offset += len(packed)
        whole.update(packed)
        yield packed
    tail = _FINAL_BLOCK + struct.pack("<II", crc, size & 0xFFFFFFFF)
    whole.update(tail)
    segments.digest = whole.hexdigest()
    yield tail


def _crc_join(crc_a: int, crc_b: int, size_b: int) -> int:
    """crc32(A + B) from crc32(A), crc32(B) and len(B), as zlib's crc32_combine computes it
    (Python's zlib does not offer it). CRC-32 is affine in its input: appending len(B) bytes
    multiplies A's CRC by x^(8 len(B)) modulo the CRC polynomial, and B's own CRC is added.
    That power comes from the table of x^(2^k) in log2(len(B)) products: ~50 us a segment,
    where running crc32 over len(B) zero bytes took ~0.5 ms (40 segments at 10,000 records)."""
    return _mulmod(_x_to_8n(size_b), crc_a) ^ crc_b


_POLY = 0xEDB88320  # the CRC-32 polynomial, bit-reversed as zlib uses it: bit 31 is x^0


def _mulmod(a: int, b: int) -> int:
    """a * b modulo the CRC-32 polynomial (both in that bit-reversed order)."""
    product, bit = 0, 1 << 31
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


_X_TO_2K = [1 << 30]  # x^(2^k) modulo the polynomial, k = 0 .. 31 (x^1 is bit 30)
for _ in range(31):
    _X_TO_2K.append(_mulmod(_X_TO_2K[-1], _X_TO_2K[-1]))


def _x_to_8n(n: int) -> int:
    """x^(8n) modulo the polynomial: n bytes' worth of shifting."""
    power, k = 1 << 31, 3  # x^0; 8n = n * 2^3
    while n:
        if n & 1:
            power = _mulmod(_X_TO_2K[k & 31], power)  # x^(2^32) = x here, so the table repeats
        n >>= 1
        k += 1
    return power
