"""The common rebuild: a few records edited in place, made without looking at the others."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Sequence

from srchgen.build import attest, cache
from srchgen.render import routes
from srchgen.build.buildlog import BuildLog, record_row, row_fresh, row_frozen, row_problems, row_summary, row_texts, thaw_problems
from srchgen.build.outputs import REGISTRY_TEXTS, asset_outputs, record_files, registry_texts, summarize
from srchgen.build.project import Project, Report, report_of
from srchgen.derive.quality_guide import guide
from srchgen.render.render import Output, Renderer
from srchgen.build.scan import Scanned, found_records, process_all
from srchgen.build.search import index_search
from srchgen.render.summary import Summary, Texts, facts_of
from srchgen.check.validate import Facts

if TYPE_CHECKING:
    from srchgen.build.textfiles import TextBlob
    from srchgen.gate.check import SignatureChecker


def edit_in_place(
    project: Project, state: dict[str, Any], stats: "cache.Stats | None", r: Renderer, checker: "SignatureChecker | None",
    blob: "TextBlob", env: str, strict: bool, want_search: bool, done: dict[str, Scanned],
) -> Report | None:
    """The common rebuild, a few records edited in place, without looking at the others' rows.

    When the same record files are there and every edited one is valid and keeps its listing key
    (row, topics, related ids) and its Facts (with their positions), nothing that any other page
    or the cross-record rules read of the registry changed: the last build's listing order,
    related links and cross-record problems (state "order", "links", "registry_problems") still
    hold, so only the edited records' files, the feeds and the assets are made. Returns None when
    that does not hold (the full build then runs, reusing the records in `done`)."""
    rows, order, links, reg, dupes, abstracts, sections = (
        state.get(k) for k in ("records", "order", "links", "registry_problems", "dupes", "abstracts", "sections"))
    if not (isinstance(rows, dict) and isinstance(order, list) and isinstance(links, dict) and isinstance(reg, list)
            and isinstance(dupes, dict) and isinstance(abstracts, dict) and isinstance(sections, list)):
        return None
    abstracts = dict(abstracts)
    found = found_records(project, stats)
    if len(found) != len(rows) or len(order) != len(rows) or any(name not in rows for name, _ in found):
        return None  # a record added or deleted: listings change
    edited = [(project.records / name, st) for name, st in found if not row_fresh(rows[name], st, project.records, stats)]
    for s in process_all(project, edited, checker, True):
        done[s.name] = s
    config = project.config
    for name, s in done.items():
        if s.entry is None or s.facts is None or any(p.severity == "error" for p in s.problems):
            return None
        s.summary = summarize(s.entry, config, r, s.facts, blob)
        old = row_frozen(rows[name])
        if old is None or Summary(old, blob.main, ()).listing_key != s.summary.listing_key or _sans_abstract(facts_of(old)) != _sans_abstract(s.facts):
            return None
        if not _moves_alone(abstracts, name, facts_of(old).abstract, s.facts.abstract):
            return None  # an abstract now shared with another record, or no longer: their pages change
        if facts_of(old).pos != s.facts.pos and len(abstracts.get(s.facts.abstract, ())) > 1:
            return None  # its duplicate-abstract warning moved with the abstract's line

    def summary_of(name: str) -> Summary | None:
        s = done.get(name)
        t = row_frozen(rows[name]) if s is None and name in rows else None
        return s.summary if s is not None else (row_summary(rows[name], t, blob.main) if t is not None else None)

    related: dict[str, list[Summary]] = {}
    for name in done:
        related[name] = [o for o in map(summary_of, links.get(name, ())) if o is not None]
        if len(related[name]) != len(links.get(name, ())):
            return None
    problems = [p for name, row in rows.items() if name not in done for p in row_problems(row)]
    problems += [p for s in done.values() for p in s.problems] + thaw_problems(reg)
    report = report_of(problems, len(rows) - len(done), len(rows), strict, config)
    if report.errors:
        return report
    texts: list[Texts] = [
        done[n].summary if n in done else row_texts(rows[n], blob.main)  # type: ignore[misc]
        for n in order
    ]
    log = BuildLog.of(state, site=project.out)
    r.dupes = log.dupes = dupes  # unchanged: every edited record kept its Facts, its abstract's digest among them
    r.sections = log.sections = frozenset(sections)  # unchanged too: no listing key changed
    log.same_registry = True
    remade = ("assets/", *(f"records/{s.summary.hex}/" for s in done.values()))  # type: ignore[union-attr]
    log.keep_all_but(frozenset((*REGISTRY_TEXTS, routes.GATE_SIGNERS)), remade, frozenset())
    rules = guide(config)

    def outputs() -> Iterator[Output]:
        for name, s in done.items():
            sm = s.summary
            assert sm is not None and s.entry is not None
            log.record(routes.record_page(sm.hex), key=log.record_key(sm, env, related[name]))
            yield r.record_page(s.entry, related[name], rules)
            yield from record_files(s.entry, config, r)
            s.entry = None
        yield from registry_texts(texts, config, r, log.export)
        yield from asset_outputs(project)

    out = project.out
    cache.forget_state(out)  # see build(): the state must not vouch for files being replaced
    index = (lambda view, dest: index_search(view, dest, report)) if want_search else None
    report.files = log.apply(out, outputs(), index, report.check_budget(config.max_site_bytes), attest.sealer(project.root, out))
    new_rows = dict(rows)
    new_rows.update((name, record_row(s)) for name, s in done.items())
    cache.save_state(out, {
        **state, "site": cache.site_identity(out), "records": new_rows, **log.saved(),
        "abstracts": abstracts, "usage": report.usage.plain() if report.usage else None,
    }, blob, {})
    return report


def abstracts_of(scanned: Sequence[Scanned]) -> dict[bytes, tuple[str, ...]]:
    """Which record files carry each abstract (Facts.abstract), for edit_in_place's duplicate check."""
    out: dict[bytes, list[str]] = {}
    for s in scanned:
        if s.summary is not None and (abstract := s.summary.facts.abstract):
            out.setdefault(abstract, []).append(s.name)
    return {k: tuple(v) for k, v in out.items()}


def _sans_abstract(f: Facts) -> Facts:
    """Facts without the abstract's digest and position (its position is last): what the other
    cross-record rules read, unchanged by an abstract's edit or by lines added above it."""
    return f._replace(abstract=b"", pos=f.pos[:-2])


def _moves_alone(abstracts: dict[bytes, tuple[str, ...]], name: str, old: bytes, new: bytes) -> bool:
    """Whether a record's abstract changing from `old` to `new` leaves every duplicate as it was
    (it shared `old` with none and shares `new` with none); `abstracts` is updated when it does."""
    if old == new:
        return True
    if abstracts.get(old, (name,)) != (name,) or (new and new in abstracts):
        return False
    abstracts.pop(old, None)
    if new:
        abstracts[new] = (name,)
    return True
