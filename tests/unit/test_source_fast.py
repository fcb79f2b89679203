"""The fast load path (yaml_fast.fast, source._fast) against the full one (compose with marks + _Walker).

The fast path must either give up, so the full path decides, or yield exactly what the
full path yields: the same data (types included), the same key and value positions, the
same raw scalars, and so the same messages from validation. Proven here on every file
of the corpora (valid, invalid, hostile, fuzz seeds), the shipped records, a generated
registry, YAML-shaped noise, and a table of the inputs at the fast path's boundary.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srchgen.load import source
from srchgen.config import Config
from srchgen.load.source import SourceFile, load_source, parse_source, record_files
from srchgen.check.validate import validate
from tests.conftest import CORPUS, REPO
from tests.hostile.cases import CASES, numbered
from tests.test_properties import TOKENS

CFG = Config(today=dt.date(2026, 11, 22))


@contextmanager
def full_path_only() -> Iterator[None]:
    saved = source.FAST
    source.FAST = False
    try:
        yield
    finally:
        source.FAST = saved


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True == 1 == 1.0 will not do), in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return repr(a) == repr(b)  # nan == nan, and a datetime's time zone counts


def front_matter(raw: bytes) -> str | None:
    """The front matter as parse_source cuts it, or None when the file never gets that far."""
    text, _ = source._decode(raw, "x")
    if text is None:
        return None
    lines = text.split("\n")
    if not source._FENCE.fullmatch(lines[0]):
        return None
    close = next((i for i in range(1, len(lines)) if source._CLOSE.fullmatch(lines[i])), None)
    return None if close is None else "\n".join(lines[1:close]) + "\n"


def took_fast(raw: bytes) -> bool:
    fm = front_matter(raw)
    return fm is not None and len(raw) <= source.MAX_BYTES and source._fast(fm) is not None


def assert_same_source(fast: SourceFile | None, full: SourceFile | None) -> None:
    assert (fast is None) == (full is None)
    if fast is None or full is None:
        return
    assert same(fast.data, full.data), (fast.data, full.data)
    assert dict(fast.keys) == dict(full.keys)
    assert dict(fast.values) == dict(full.values)
    assert dict(fast.scalars) == dict(full.scalars)
    for name in ("path", "name", "body", "body_line", "digest", "artifacts"):
        assert getattr(fast, name) == getattr(full, name), name


def both_ways(load: Any) -> tuple[Any, Any]:
    """`load()` once as shipped (fast path first) and once with the full path only."""
    fast = load()
    with full_path_only():
        full = load()
    return fast, full


def messages(sources: list[SourceFile], problems: list[Any]) -> list[str]:
    valid, found = validate(sources, CFG)
    return [f"{p} [{p.severity}]" for p in problems + found] + [v.record.model_dump_json() for v in valid]


def compare_registry(records: Path) -> tuple[int, int]:
    """Both paths over every file of one records/ folder, each file alone and the registry as a whole
    (cross-record rules read positions too); returns (files, files that took the fast path)."""
    files = record_files(records)
    fast_all: tuple[list[SourceFile], list[Any]] = ([], [])
    full_all: tuple[list[SourceFile], list[Any]] = ([], [])
    took = 0
    for file in files:
        (fs, fp), (ls, lp) = both_ways(lambda: load_source(file, records, "records"))
        assert fp == lp, file
        assert_same_source(fs, ls)
        for got, (src, found) in ((fast_all, (fs, fp)), (full_all, (ls, lp))):
            got[1].extend(found)
            if src is not None:
                got[0].append(src)
        if file.is_file() and not file.is_symlink() and took_fast(file.read_bytes()):
            took += 1
    assert messages(*fast_all) == messages(*full_all), records
    return len(files), took


# --- the corpora and the shipped records -------------------------------------------------------


def corpus_registries() -> list[Path]:
    return sorted(p for p in CORPUS.glob("**/records") if p.is_dir()) + [REPO / "records"]


@pytest.mark.parametrize("records", corpus_registries(), ids=lambda p: str(p.relative_to(REPO)))
def test_corpus_registry_gives_the_same_outcome_both_ways(records: Path) -> None:
    files, took = compare_registry(records)
    assert files > 0
    if records.parent.name in ("valid",) or records == REPO / "records":
        assert took == files, "every valid record should take the fast path"


def test_yaml_problems_give_up_and_schema_problems_take_the_fast_path() -> None:
    """YAML-level problems give up; schema-level problems (valid YAML) take the fast path and still get
    today's messages, their raw scalars and positions being read from the full path on demand."""
    gave_up = {"duplicate-key", "duplicate-key-nested", "key-not-text", "front-matter-list", "front-matter-scalar",
               "front-matter-empty", "publisher-no", "score-inf"}  # fmt: skip
    for name in gave_up:
        records = CORPUS / "invalid" / name / "records"
        assert records.is_dir(), name
        raws = [f.read_bytes() for f in record_files(records) if f.is_file()]
        assert raws and not any(took_fast(r) for r in raws), name
    took = [f for f in (CORPUS / "invalid").glob("*/records/*.md") if f.is_file() and took_fast(f.read_bytes())]
    assert len(took) > 50  # the fast path is used for records whose problem is not YAML's


def test_fuzz_seeds_give_the_same_outcome_both_ways() -> None:
    for seed in sorted((REPO / "fuzz" / "seeds").glob("*.md")):
        raw = seed.read_bytes()
        (fs, fp), (ls, lp) = both_ways(lambda: parse_source(raw, "records/08EA5386.md", "08EA5386.md"))
        assert fp == lp, seed
        assert_same_source(fs, ls)
        assert messages([fs] if fs else [], fp) == messages([ls] if ls else [], lp)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile-fast")
    for hex_id, case in numbered():
        (base / case.name).mkdir()
        case.setup(base / case.name / "records", hex_id)
    return base


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_hostile_case_gives_the_same_outcome_both_ways(name: str, hostile: Path) -> None:
    records = hostile / name / "records"
    if records.is_dir():  # some cases are about records/ itself (missing, a file, a link)
        compare_registry(records)


def test_generated_registry_takes_the_fast_path_with_the_same_outcome(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_registry.py"), "300", str(tmp_path), "--seed", "1"], check=True, capture_output=True)
    files, took = compare_registry(tmp_path / "records")
    assert files == 300 and took == 300


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=80))
def test_yaml_shaped_noise_gives_the_same_outcome_both_ways(tokens: list[str]) -> None:
    raw = ("---\n" + "".join(tokens) + "\n---\nAn abstract.\n").encode("utf-8", "surrogatepass")
    (fs, fp), (ls, lp) = both_ways(lambda: parse_source(raw, "records/08EA5386.md", "08EA5386.md"))
    assert fp == lp
    assert_same_source(fs, ls)
    assert messages([fs] if fs else [], fp) == messages([ls] if ls else [], lp)


# --- the boundary: what the fast path vouches for, and what it leaves to the full path ---------

BASE = """---
manifest: paper-manifest-v1.1
id: SRCH:0000000A
research_question: Does the method improve accuracy on held-out benchmarks?
submitted: 2026-05-28
section: research
topics: [mixture-of-experts]
review:
  score: 7.83
claims:
  source_grounded: 6
publisher: Assignee Research
report_artifact: true
{extra}
---
The method improves accuracy on held-out benchmarks by three points.
"""

FAST, GIVES_UP = True, False
BOUNDARY = [
    # YAML 1.1 booleans: only true/false are vouched for
    ("title: no", GIVES_UP), ("title: yes", GIVES_UP), ("title: on", GIVES_UP), ("title: Off", GIVES_UP),
    ("title: True", GIVES_UP), ("title: FALSE", GIVES_UP), ("title: true", FAST), ("title: y", FAST), ("title: n", FAST),
    # integers: only plain decimal
    ("title: 1984", FAST), ("title: -3", FAST), ("title: 0", FAST), ("title: 012", GIVES_UP), ("title: 0x1F", GIVES_UP),
    ("title: 0b101", GIVES_UP), ("title: +5", GIVES_UP), ("title: 1_000", GIVES_UP), ("title: 1:30", GIVES_UP),
    ("title: 190:20:30", GIVES_UP), ("title: 09", FAST), ("title: 0o17", FAST), ("title: 1234567890123456789012", GIVES_UP),
    # floats: only d.d, no exponent or specials (1e3 is text to PyYAML, a float to YAML 1.2)
    ("title: 1e3", FAST), ("title: 6.12", FAST), ("title: -0.0", FAST), ("title: 1.0e+3", GIVES_UP), ("title: .5", GIVES_UP),
    ("title: 1.", GIVES_UP), ("title: .inf", GIVES_UP), ("title: -.inf", GIVES_UP), ("title: .nan", GIVES_UP),
    ("title: 1_0.5", GIVES_UP), ("title: 1:30.5", GIVES_UP),
    # null: only null and nothing
    ("title: null", FAST), ("title:", FAST), ("title: ~", GIVES_UP), ("title: Null", GIVES_UP), ("title: NULL", GIVES_UP),
    # dates and times: the full path's own constructor, on the plainest spellings only
    ("title: 2026-05-28", FAST), ("title: 2024-02-29", FAST), ("title: 2026-02-30", GIVES_UP), ("title: 2026-13-01", GIVES_UP),
    ("title: 0000-01-01", GIVES_UP), ("title: 2026-5-28", FAST),
    ("title: 2026-07-01T12:00:00Z", FAST), ("title: 2026-07-01T12:00:00+02:00", FAST), ("title: 2026-07-01T12:00:00.5Z", FAST),
    ("title: 2026-07-01 12:00:00", GIVES_UP), ("title: 2026-07-01t12:00:00Z", GIVES_UP), ("title: 2026-07-01T12:00:00", GIVES_UP),
    ("title: 2026-07-01T25:00:00Z", GIVES_UP),
    # quoted and block scalars are text, whatever they spell
    ("title: 'no'", FAST), ('title: "012"', FAST), ("title: |\n  no", FAST), ("title: >-\n  1984", FAST),
    # other implicit tags
    ("title: =", GIVES_UP), ("title: <<", GIVES_UP),
    # keys: text only, each once
    ("1984: x", GIVES_UP), ("true: x", GIVES_UP), ("null: x", GIVES_UP), ("~: x", GIVES_UP), (": x", GIVES_UP),
    ("2026-01-01: x", GIVES_UP), ("1.5: x", GIVES_UP), ("'1984': x", FAST), ("nothing: x", FAST), ("? [a, b]\n: x", GIVES_UP),
    ("? {a: 1}\n: x", GIVES_UP), ("publisher: Again", GIVES_UP), ("review:\n  score: 1", GIVES_UP),
    # anchors, aliases, merge keys, tags
    ("title: &a x\nnote: *a", GIVES_UP), ("note: &a x", GIVES_UP), ("<<: {title: x}", GIVES_UP), ("x: &a {b: 1}\ny:\n  <<: *a", GIVES_UP),
    ("title: !!str 1984", GIVES_UP), ("title: !custom x", GIVES_UP), ("title: !!python/object/apply:os.system ['true']", GIVES_UP),
    ("title: ! x", GIVES_UP), ("title: !<tag:yaml.org,2002:str> x", GIVES_UP), ("title: R&D * 2!", FAST), ("title: '&a *b !c'", FAST),
    # text the full path refuses
    ('title: "a\\0b"', GIVES_UP), ('title: "a\\x00b"', GIVES_UP), ("title: \x07", GIVES_UP),
    # documents
    ("--- second: document", GIVES_UP), ("%YAML 1.1", GIVES_UP),
    # flow collections are as fine as block ones
    ("related: [SRCH:0000000B, SRCH:0000000C]", FAST), ("review2: {score: 1, method: x}", FAST),
]  # fmt: skip


def _record(extra: str) -> bytes:
    return BASE.replace("{extra}", extra).encode("utf-8")


@pytest.mark.parametrize("extra,fast", BOUNDARY, ids=[repr(e) for e, _ in BOUNDARY])
def test_boundary(extra: str, fast: bool) -> None:
    raw = _record(extra)
    assert took_fast(raw) is fast
    (fs, fp), (ls, lp) = both_ways(lambda: parse_source(raw, "records/0000000A.md", "0000000A.md"))
    assert fp == lp
    assert_same_source(fs, ls)
    assert messages([fs] if fs else [], fp) == messages([ls] if ls else [], lp)


def _nested(depth: int) -> bytes:
    """`note:` holding lists nested so the innermost (empty) one is a node at `depth` (the root is 0)."""
    return _record("note: " + "[" * depth + "]" * depth)


@pytest.mark.parametrize("depth", [3, 10, source.MAX_DEPTH - 1, source.MAX_DEPTH, source.MAX_DEPTH + 1, 40, 5000])
def test_deep_nesting_gives_up_before_the_full_path_would_refuse(depth: int) -> None:
    raw = _nested(depth)
    assert took_fast(raw) is (depth < source.MAX_DEPTH)
    (fs, fp), (ls, lp) = both_ways(lambda: parse_source(raw, "records/0000000A.md", "0000000A.md"))
    assert fp == lp
    assert_same_source(fs, ls)


def test_a_record_with_a_schema_problem_gets_the_full_path_message_and_position() -> None:
    raw = _record("title: 1984")
    assert took_fast(raw)
    src, problems = parse_source(raw, "records/0000000A.md", "0000000A.md")
    assert problems == [] and src is not None
    assert isinstance(src.scalars, source._LazyScalars) and src.scalars._scalars is None  # not composed yet
    _, found = validate([src], CFG)
    assert [str(p) for p in found if p.severity == "error"] == [
        "records/0000000A.md:14:8: title: expected text, found number '1984'; YAML read '1984' as a number: quote it (\"1984\") if you mean text"
    ]
    assert src.scalars._scalars is not None  # composed for the message


def test_valid_records_are_never_composed() -> None:
    """Validation, the cross-record rules and their positions (validate.Facts) need no raw scalars."""
    a = parse_source(_record("related: [SRCH:0000000B]"), "records/0000000A.md", "0000000A.md")[0]
    b_text = _record("related: [SRCH:0000000A]").replace(b"0000000A", b"0000000B", 1).replace(b"three", b"four")
    b = parse_source(b_text, "records/0000000B.md", "0000000B.md")[0]
    assert a is not None and b is not None
    valid, found = validate([a, b], CFG)
    assert len(valid) == 2 and not [p for p in found if p.severity == "error"]
    assert a.scalars._scalars is None and b.scalars._scalars is None  # type: ignore[attr-defined]


# --- reading the file: one lstat instead of is_symlink + is_file + stat ------------------------


def _reference_read(file: Path) -> str | bytes:
    """load_source's checks as they were written before (Path.is_symlink, is_file, stat, read_bytes)."""
    if file.is_symlink():
        return "symlink"
    if not file.is_file():
        return "not regular"
    try:
        if file.stat().st_size > source.MAX_BYTES:
            return "too big"
        return file.read_bytes()
    except OSError as e:
        return f"cannot read: {e.strerror}"


def test_reading_a_record_file_ends_as_it_did(tmp_path: Path) -> None:
    import os

    records = tmp_path / "records"
    records.mkdir()
    (records / "0000000A.md").write_bytes(_record(""))
    (records / "0000000B.md").symlink_to(records / "0000000A.md")
    (records / "0000000C.md").symlink_to(records / "missing.md")
    (records / "0000000D.md").mkdir()
    os.mkfifo(records / "0000000E.md")
    (records / "0000000F.md").write_bytes(b"---\n" + b"x" * source.MAX_BYTES)
    (records / "00000010.md").write_bytes(b"")
    (records / "00000011.md").symlink_to(records / "00000011.md")  # a loop: ELOOP
    expected = {
        "symlink": "record file is a symbolic link; records must be regular files",
        "not regular": "not a regular file",
        "too big": f"file is {source.MAX_BYTES + 4:,} bytes; a record may be at most {source.MAX_BYTES:,} bytes (1 MiB)",
    }
    names = ["0000000A.md", "0000000B.md", "0000000C.md", "0000000D.md", "0000000E.md", "0000000F.md", "00000010.md", "00000011.md", "gone.md"]
    for name in names:
        file = records / name
        ref = _reference_read(file)
        src, problems = load_source(file, records, "records")
        if isinstance(ref, bytes):
            ref_src, ref_problems = parse_source(ref, f"records/{name}", name)
            assert problems == ref_problems and (src is None) == (ref_src is None), name
            assert src is None or ref_src is None or src.digest == ref_src.digest
        else:
            assert [p.message for p in problems] == [expected[ref]], name
