"""Determinism (SPEC §6): the same inputs give a byte-identical site/.

Each variant builds the same registry in a fresh checkout (a separate absolute path, records
written in a different order) as a subprocess with a different TZ, locale and hash seed;
SOURCE_DATE_EPOCH is fixed. Without search the whole tree must hash the same. With search,
Pagefind 1.5.2 writes its filter files and metadata in hash-map order (Pagefind issue #638),
so those few files are compared up to order and every other byte must still match.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.hostile.cases import SAFE, numbered
from tests.hostile.registry import TRACEBACK, build, tree_manifest, write_record

VARIANTS = [
    {"TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0"},
    {"TZ": "Pacific/Kiritimati", "LANG": "de_DE.UTF-8", "LC_ALL": "de_DE.UTF-8", "PYTHONHASHSEED": "1"},
    {"TZ": "America/St_Johns", "LANG": "tr_TR.UTF-8", "LC_ALL": "tr_TR.UTF-8", "PYTHONHASHSEED": "4294967295"},
    {"TZ": "Asia/Kathmandu", "LANG": "ja_JP.eucJP", "LC_ALL": "C", "PYTHONHASHSEED": "random"},
]


def _records(folder: Path, reverse: bool) -> None:
    """A registry with every field kind, Unicode and hostile text, written in one order or the other."""
    items: list[tuple[str, dict[str, object]]] = []
    for i in range(40):
        items.append((f"{0xD000 + i:08X}", {
            "title": f"Título {i} — ıİ ß ﬁ 東京 {'<b>x</b> ' if i % 5 == 0 else ''}",
            "topics": sorted({f"topic-{i % 6}", f"t-{i % 4}"}),
            "submitted": f"2026-0{1 + i % 6}-{10 + i % 17}",
            "review": {"score": round(3 + (i * 37 % 70) / 10, 2), "method": "Automated multi-reviewer assessment"},
            "claims": {"source_grounded": i % 9, "record_source": None},
            "related": [f"SRCH:{0xD000 + (i + 1) % 40:08X}", f"SRCH:{0xD000 + (i + 39) % 40:08X}"],
            "corrections": [{"date": "2026-07-01", "type": "clarification", "summary": f"Note {i}"}] if i % 7 == 0 else [],
        }))
    for hex_id, over in (reversed(items) if reverse else items):
        write_record(folder, hex_id, body=f"Méthode {hex_id}: café, naïve, Ünïcode. Two records share a day.\n\n## Limitations\n\nSome.\n", **over)


def _checkout(base: Path, name: str, reverse: bool) -> Path:
    """A fresh copy of the registry at its own absolute path; hostile safe cases included."""
    root = base / name / "deep" / "checkout path with spaces"
    records = root / "records"
    records.mkdir(parents=True)
    cases = [(h, c) for h, c in numbered() if c.outcome == SAFE and c.combinable]
    if reverse:
        cases.reverse()
    _records(records, reverse)
    for hex_id, case in cases:
        case.setup(records, hex_id)
    return root


def tree_hash(site: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(site.rglob("*")):
        rel = p.relative_to(site).as_posix()
        h.update(rel.encode() + (b"/\n" if p.is_dir() else b"\n"))
        if p.is_file():
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    base = tmp_path_factory.mktemp("determinism")
    sites = []
    for n, variant in enumerate(VARIANTS):
        root = _checkout(base, f"v{n}", reverse=n % 2 == 1)
        run = build(root, "--search", "--base-url", "https://example.org/r/", timeout=600, **variant)
        assert run.code == 0 and TRACEBACK not in run.output, run.output[-3000:]
        sites.append(root / "site")
        # The same inputs again without search: the whole tree, byte for byte.
        nosearch = root.parent / "no-search"
        shutil.copytree(root / "records", nosearch / "records", symlinks=True)
        run = build(nosearch, "--base-url", "https://example.org/r/", timeout=600, **variant)
        assert run.code == 0, run.output[-3000:]
    return sites


def test_checkouts_differ_in_path_and_listing_order(builds: list[Path]) -> None:
    roots = [s.parent / "records" for s in builds]
    assert len({str(r) for r in roots}) == len(roots)
    listings = [[e.name for e in os.scandir(r)] for r in roots]
    assert sorted(listings[0]) == sorted(listings[1])


def test_byte_identical_without_search(builds: list[Path]) -> None:
    hashes = {tree_hash(s.parent.parent / "no-search" / "site") for s in builds}
    assert len(hashes) == 1


def test_byte_identical_with_search_up_to_pagefind_order(builds: list[Path]) -> None:
    manifests = [tree_manifest(s) for s in builds]
    assert any(k.startswith("pagefind/") for k in manifests[0])
    for m in manifests[1:]:
        assert m == manifests[0]


def test_search_changes_nothing_outside_pagefind(builds: list[Path]) -> None:
    with_search = {k: v for k, v in tree_manifest(builds[0]).items() if not k.startswith("pagefind/")}
    without = tree_manifest(builds[0].parent.parent / "no-search" / "site")
    assert with_search == without


def test_no_output_names_the_checkout_or_the_clock(builds: list[Path]) -> None:
    site = builds[0]
    needles = [str(site.parent).encode(), b"Kiritimati", b"checkout path with spaces"]
    for p in site.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert not any(n in data for n in needles), p
