"""Load and validate: every record file, reused from the build log's rows when its bytes and
artifacts are unchanged (triage), else parsed, validated and (for a build) derived (process).

A record processed in the worker process (parallel.py) crosses back as plain values
(to_plain / from_plain)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from srchgen.build import cache, parallel
from srchgen.build.buildlog import problem_rows, row_fresh, row_frozen, row_problems, row_summary, stat_key, thaw_problems
from srchgen.derive.entry import Entry, make_entry
from srchgen.errors import Problem, sort_problems
from srchgen.build.project import Project, signature_checker
from srchgen.check.schema import Record
from srchgen.load.source import SourceFile, load_source
from srchgen.render.summary import Summary, facts_of
from srchgen.check.validate import Facts, Valid, loose_facts, registry_problems, validate_one, written_id

if TYPE_CHECKING:
    from srchgen.build.textfiles import TextFile
    from srchgen.gate.check import SignatureChecker
    from srchgen.build.outputs import Made


@dataclass(slots=True)
class Scanned:
    """One record file after the load and validate stages (fresh, or from the cache)."""

    name: str
    stat: tuple[int, int, int]
    problems: list[Problem]
    summary: Summary | None = None
    facts: Facts | None = None
    source: SourceFile | None = None
    record: Record | None = None
    entry: Entry | None = None
    cached: tuple[Any, ...] | None = None  # the cache row to keep when reused
    remote: tuple[Any, ...] | None = None  # (artifact stats, problems) of a record the worker process holds
    other_id: str | None = None  # the id written in a file that failed the schema
    loose: Facts | None = None  # and its Facts, when its id and related ids are valid (validate.loose_facts)
    arts: tuple[tuple[str, int, int, int], ...] = ()  # stats of the artifacts it publishes (cache validity)
    made: "Made | None" = None  # its page and files, made and spooled (then `entry` is dropped)


def process(project: Project, file: Path, st: tuple[int, int, int], check_signature: "SignatureChecker | None", want_entry: bool) -> Scanned:
    """Load and validate one record; derive and render it when it is valid and pages are wanted."""
    src, problems = load_source(file, project.records, project.records_display)
    scanned = Scanned(file.name, st, problems)
    if src is None:
        return scanned
    rec, found = validate_one(src, project.config, check_signature)
    scanned.problems += found
    scanned.source, scanned.record = src, rec
    if rec is None:
        scanned.other_id = written_id(src)
        scanned.loose = loose_facts(src)
        return scanned
    scanned.facts = Facts.of(src, rec)
    if want_entry and not any(p.severity == "error" for p in scanned.problems):
        # Who signed comes from the same (memoised) verification that just passed (SPEC §2).
        signer = check_signature.signer(rec) if check_signature is not None else None
        scanned.entry = make_entry(Valid(src, rec), project.config, signer)
    # The parse tree and its positions are most of a record's memory; keep only what is used later.
    scanned.arts = _artifact_stats(src, project.records)
    scanned.source = scanned.record = None
    return scanned


def _artifact_stats(src: SourceFile, records: Path) -> tuple[tuple[str, int, int, int], ...]:
    return tuple((rel, *stat_key(records / rel)) for rel, fact in sorted(src.artifacts.items()) if fact.source is not None)


# Records are processed BATCH at a time, then `then` (derive, render, spool) runs on each of
# them: each stage's code and data stay in the CPU's caches for a batch instead of being evicted
# by the other stages at every record. Cold 10,000-record build without search, CPU (user+sys),
# medians of alternated runs: one at a time 10.09 s, batches of 32 9.30 s, 128 8.64 s, 512 8.89 s.
# A batch's entries are held until rendered: ~128 x 20 kB.
BATCH = 128


def process_batched(
    project: Project, todo: Sequence[tuple[Path, tuple[int, int, int]]], checker: "SignatureChecker | None", want_entries: bool,
    then: Callable[[Scanned], None] | None = None,
) -> Iterator[Scanned]:
    """process() every file, in order, calling `then` on each a batch at a time (BATCH)."""
    for i in range(0, len(todo), BATCH):
        batch = [process(project, file, st, checker, want_entries) for file, st in todo[i : i + BATCH]]
        for s in batch:
            if then is not None:
                then(s)
            yield s


def process_all(
    project: Project, todo: Sequence[tuple[Path, tuple[int, int, int]]], checker: "SignatureChecker | None", want_entries: bool,
    then: Callable[[Scanned], None] | None = None,
) -> list[Scanned]:
    """process() every file, calling `then` on each once processed; with gate_signers set, on a
    thread per core, since each signature is an ssh-keygen process (~7 ms) the threads wait on
    in parallel (issue 7; docs/gate.md)."""
    if checker is None or len(todo) < 2 or (os.cpu_count() or 1) < 2:
        return list(process_batched(project, todo, checker, want_entries, then))
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        found = pool.map(lambda item: process(project, item[0], item[1], checker, want_entries), todo)
        return [s for s in found if then is None or then(s) or True]


def scan(project: Project, state: dict[str, Any]) -> list[Scanned]:
    """Every record file, validated: reused from the cache when its bytes and artifacts are
    unchanged, else processed (half of them in a forked worker when there are many)."""
    reused, todo = triage(project, state)
    checker = signature_checker(project)
    if not (parallel.available() and len(todo) >= parallel.MIN_RECORDS):
        return reused + process_all(project, todo, checker, False)
    theirs, todo = parallel.split(todo)

    def phase1() -> list[tuple[Any, ...]]:
        return [to_plain(process(project, file, st, checker, False)) for file, st in theirs]

    worker = parallel.Worker(phase1, lambda message: None)
    try:
        mine = process_all(project, todo, checker, False)
        return reused + mine + [from_plain(t, None) for t in worker.receive()]
    finally:
        worker.abort()


def to_plain(s: Scanned) -> tuple[Any, ...]:
    """A processed record as plain values, for the trip from the worker process (see from_plain)."""
    f = s.facts
    return (
        s.name, s.stat, problem_rows(s.problems),
        tuple(f) if f else None,
        s.other_id, s.summary.freeze() if s.summary else None, s.summary.spans if s.summary else None, s.arts,
        tuple(s.loose) if s.loose else None,
    )


def from_plain(t: tuple[Any, ...], texts: "TextFile | None") -> Scanned:
    """A record the worker process holds, from to_plain's values; its texts are in `texts`."""
    name, st, problems, facts, other_id, frozen, spans, arts, loose = t
    summary = Summary(frozen, texts, spans) if frozen is not None and texts is not None else None
    f = Facts._make(facts) if facts else None
    s = Scanned(name, tuple(st), thaw_problems(problems), summary, f, remote=(arts, problems), other_id=other_id)  # type: ignore[arg-type]
    s.loose = Facts._make(loose) if loose else None
    return s


def record_stats(records: Path) -> list[tuple[str, tuple[int, int, int]]]:
    """Every record file's name and (size, mtime, inode), in the order of source.record_files."""
    found = []
    with os.scandir(records) as it:
        for e in it:
            if e.name.endswith(".md"):
                try:
                    st = e.stat(follow_symlinks=False)
                    found.append((e.name, (st.st_size, st.st_mtime_ns, cache.file_id(st))))
                except OSError:
                    found.append((e.name, (-1, -1, -1)))
    return sorted(found)


def triage(
    project: Project, state: dict[str, Any], texts: "TextFile | None" = None, stats: "cache.Stats | None" = None,
) -> tuple[list[Scanned], list[tuple[Path, tuple[int, int, int]]]]:
    """Split the record files into those the cache still describes and those to process
    (with `texts`, the cache's text file, the reused ones get their Summary). `stats`: every
    file under records/ as cache.fingerprint found it moments ago, so nothing is stat'ed twice."""
    rows: dict[str, tuple[Any, ...]] = state.get("records", {})
    reused, todo = [], []
    for name, st in found_records(project, stats):
        row = rows.get(name)
        t = row_frozen(row) if row is not None and row_fresh(row, st, project.records, stats) else None
        if t is not None:
            summary = row_summary(row, t, texts) if texts is not None else None  # type: ignore[arg-type]
            reused.append(Scanned(name, st, row_problems(row), summary, facts_of(t), cached=row))  # type: ignore[arg-type]
        else:
            todo.append((project.records / name, st))
    return reused, todo


def found_records(project: Project, stats: "cache.Stats | None") -> list[tuple[str, tuple[int, int, int]]]:
    if stats is None:
        return record_stats(project.records)
    return sorted((name, st) for name, st in stats.items() if name.endswith(".md") and "/" not in name)


def all_problems(scanned: Sequence[Scanned]) -> list[Problem]:
    return sort_problems([p for s in scanned for p in s.problems] + registry_problems_of(scanned))


def registry_problems_of(scanned: Sequence[Scanned]) -> list[Problem]:
    other_ids = frozenset(i for s in scanned if s.facts is None for i in [s.other_id] if i)
    return registry_problems([s.facts for s in scanned if s.facts is not None], other_ids, [s.loose for s in scanned if s.loose is not None])
