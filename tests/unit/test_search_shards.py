"""Cutting the record pages into Pagefind shards (search_shard_size): sizes, determinism, globs."""
from __future__ import annotations

import fnmatch
import random
import re

import pytest

from srchgen.config import Config
from srchgen.build.search import ALL_RECORDS, bundle_dir, shard_glob, shards


def _ids(n: int, seed: int = 1) -> list[str]:
    rng, out = random.Random(seed), set()
    while len(out) < n:
        out.add(f"{rng.getrandbits(32):08X}")
    return sorted(out)


def _matches(glob: str, name: str) -> bool:
    """Pagefind's glob on records/<name>/index.html: `*` within a segment, {a,b} alternatives."""
    m = re.fullmatch(r"records/(\{(.*)\}|[^/]*)/index\.html", glob)
    assert m, glob
    alternatives = m.group(2).split(",") if m.group(2) is not None else [m.group(1)]
    return any(fnmatch.fnmatchcase(name, alt) for alt in alternatives)


@pytest.mark.parametrize("n,size,want", [
    (0, 5, [0]), (1, 5, [1]), (5, 5, [5]), (6, 5, [3, 3]), (10, 5, [5, 5]), (11, 5, [3, 4, 4]),
    (3, 1, [1, 1, 1]), (2, 2, [2]), (3, 2, [1, 2]), (14, 2, [2] * 7),
])
def test_shard_sizes_at_the_boundaries(n: int, size: int, want: list[int]) -> None:
    """ceil(n / size) shards of near-equal length, none over `size`; one shard up to `size`."""
    parts = shards(_ids(n), size)
    assert [len(p) for p in parts] == want
    assert all(len(p) <= size for p in parts)


def test_default_shard_size_at_scale() -> None:
    ids = _ids(100_000)
    size = Config().search_shard_size
    assert size == 12_500
    for n, k in ((size, 1), (size + 1, 2), (100_000, 8)):
        parts = shards(ids[:n], size)
        assert len(parts) == k and max(map(len, parts)) <= size and sum(map(len, parts)) == n


def test_assignment_does_not_depend_on_order() -> None:
    ids = _ids(1000)
    shuffled = ids[:]
    random.Random(7).shuffle(shuffled)
    assert shards(shuffled, 300) == shards(ids, 300) == shards(list(reversed(ids)), 300)
    assert [x for part in shards(ids, 300) for x in part] == ids  # contiguous runs of sorted ids


@pytest.mark.parametrize("n,size", [(14, 2), (14, 4), (1000, 250), (5000, 999), (3, 1)])
def test_globs_partition_the_records(n: int, size: int) -> None:
    """Every record matches exactly one shard's glob, the one it was assigned to; globs stay short."""
    names = _ids(n) if n > 14 else ["08EA5386", "3C71B9E2", "6B2F97C5", "8F12A054", "A0000001", "A0000002", "A0000003",
                                    "A0000004", "A0000005", "B0000001", "B0000002", "B0000003", "C0000001", "D5E0A418"][:n]
    parts = shards(names, size)
    globs = [shard_glob(p, names) for p in parts]
    for i, part in enumerate(parts):
        for name in part:
            assert [j for j, g in enumerate(globs) if _matches(g, name)] == [i], (name, globs)
    assert all(len(g) < 4000 for g in globs)


def test_one_shard_is_todays_glob_and_bundle() -> None:
    names = _ids(10)
    assert shard_glob(shards(names, 10)[0], names) == ALL_RECORDS
    assert bundle_dir(0) == "" and bundle_dir(1) == "shard-2/"
