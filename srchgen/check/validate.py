"""Validate stage: the schema, then the rules across fields and records (SPEC §2).

Pure: the disk was read by `source`, the reference day comes from Config. Every problem
is returned with the file's line and column; nothing is raised one by one. How a schema
error is phrased lives in `schema_errors`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

from pydantic import ValidationError

from srchgen.check import lint
from srchgen.config import Config
from srchgen.errors import Problem, Severity
from srchgen.check.schema import HEX_RE, CorrectionType, Record, corrections_in_force, sufficient_artifacts
from srchgen.check.schema_errors import check_schema
from srchgen.load.source import Path_, SourceFile, abstract_of


@dataclass(frozen=True)
class Valid:
    """A record that passed every rule, beside the file it came from."""

    source: SourceFile
    record: Record


# Valid stand-ins for required fields that failed the schema, so the other fields can still be
# checked (issue 15); every rule that reads a field in `bad` is skipped, so none is ever judged.
_STAND_INS: dict[str, Any] = {
    "manifest": "paper-manifest-v1.1", "id": "SRCH:00000000", "research_question": "-", "submitted": dt.date(1970, 1, 1),
    "section": "research", "review": {"score": 0.0}, "claims": {"source_grounded": 0}, "publisher": "-", "report_artifact": False,
}


def partial_record(src: SourceFile) -> tuple[Record, frozenset[str]] | None:
    """A record that failed the schema, with its failing top-level fields (`bad`) replaced by
    stand-ins or dropped: the fields that are valid on their own, for the rules that read only
    them (issue 15: a score written as text no longer hides a future date). None when the
    front matter is not usable even so."""
    try:
        Record.model_validate(src.data)
        return None
    except ValidationError as e:
        bad = frozenset(str(err["loc"][0]) for err in e.errors(include_url=False) if err["loc"])
    data = {k: v for k, v in src.data.items() if k not in bad and k in Record.model_fields}
    data.update((k, v) for k, v in _STAND_INS.items() if k in bad)
    try:
        return Record.model_validate(data), bad
    except ValidationError:  # pragma: no cover - the stand-ins are valid
        return None


def _utc_day(t: dt.datetime) -> dt.date:
    return t.astimezone(dt.timezone.utc).date()


_COMMENTS = re.compile(r"<!--.*?(?:-->|\Z)", re.S)  # an HTML comment renders as nothing


def check_record(src: SourceFile, rec: Record, config: Config, bad: frozenset[str] = frozenset()) -> list[Problem]:
    """Rules across the fields of one record; a rule that reads a field in `bad` (one that
    failed the schema: see partial_record) is skipped."""
    out: list[Problem] = []

    def err(loc: Path_, msg: str, key: bool = False) -> None:
        out.append(Problem.at(src.path, src.key_pos(loc) if key else src.value_pos(loc), msg))

    def ok(*fields: str) -> bool:
        return not bad.intersection(fields)

    today = config.today
    if not HEX_RE.fullmatch(src.stem):
        example = f", e.g. {rec.hex}.md" if ok("id") else ""
        out.append(Problem(src.path, 1, 1, f"file name must be the record's 8 upper-case hex digits{example}"))
    elif rec.hex != src.stem and ok("id"):
        err(("id",), f"id: {rec.id} does not match the file name {src.name}; the file must be {rec.hex}.md or the id SRCH:{src.stem}")
    out.extend(_check_abstract(src))
    if rec.submitted > today and ok("submitted"):
        err(("submitted",), f"submitted: {rec.submitted.isoformat()} is in the future (today is {today.isoformat()})")
    if rec.doi is not None and rec.registered is False and ok("doi", "registered"):
        err(("registered",), "registered: a record with a DOI is registered; remove 'registered: false' or the DOI")
    for i, rid in enumerate(rec.related):
        if rid == rec.id and ok("id"):
            err(("related", i), f"related[{i}]: a record cannot be related to itself ({rid})")
    for i, art in enumerate(rec.artifacts):
        fact = src.artifacts.get(art.path)
        if fact is None:  # pragma: no cover - source always records a fact for a text path
            continue
        if fact.problem:
            err(("artifacts", i, "path"), f"artifacts[{i}].path: '{art.path}' {fact.problem}")
        elif fact.sha256 != art.sha256:
            err(("artifacts", i, "sha256"), f"artifacts[{i}].sha256: does not match the file {art.path} (its sha256 is {fact.sha256})")
    ev = rec.gate_evaluation
    if ev is not None:
        day = _utc_day(ev.evaluated)
        if day < rec.submitted and ok("submitted"):
            err(("gate_evaluation", "evaluated"), f"gate_evaluation.evaluated: {day.isoformat()} is before submitted ({rec.submitted.isoformat()})")
        if day > today:
            err(("gate_evaluation", "evaluated"), f"gate_evaluation.evaluated: {day.isoformat()} is in the future (today is {today.isoformat()})")
        if not sufficient_artifacts(rec) and ok("artifacts"):
            kinds = sorted({a.kind.value for a in rec.artifacts})
            found = f"found only {', '.join(kinds)}" if kinds else "found no artifacts"
            err(
                ("gate_evaluation",),
                f"gate_evaluation: needs a sufficient artifact set: a lean4-proof, or a repro-script together with repro-results ({found})",
                key=True,
            )
    out.extend(_check_corrections(src, rec, today, ok("submitted")))
    return out


PLACEHOLDER_MESSAGE = "the abstract is still the placeholder written by 'srchgen new'; replace it with the abstract"


def _check_abstract(src: SourceFile) -> list[Problem]:
    """SPEC §2: a non-empty abstract, the text before the first heading, and not the placeholder."""
    abstract = abstract_of(src.body)
    if lint.PLACEHOLDER in abstract:
        before = src.body[: abstract.index(lint.PLACEHOLDER)]
        col = len(before) - (before.rfind("\n") + 1) + 1
        return [Problem(src.path, src.body_line + before.count("\n"), col, PLACEHOLDER_MESSAGE)]
    if _COMMENTS.sub("", abstract).strip():  # an abstract of only an HTML comment renders as nothing
        return []
    rest = src.body[len(abstract):]
    if rest.strip():  # the body opens with a heading: point at it
        line = src.body_line + abstract.count("\n")
        return [Problem(src.path, line, 1, "the abstract (text before the first heading) is empty; write the abstract above this heading")]
    return [Problem(src.path, max(src.body_line - 1, 1), 1, "the abstract (text before the first heading) is empty; write the abstract below this closing '---' line")]


def _check_corrections(src: SourceFile, rec: Record, today: dt.date, submitted_ok: bool = True) -> list[Problem]:
    out: list[Problem] = []
    previous: dt.date | None = None
    for i, c in enumerate(rec.corrections):
        where = src.value_pos(("corrections", i, "date"))
        if c.date < rec.submitted and submitted_ok:
            out.append(Problem.at(src.path, where, f"corrections[{i}].date: {c.date.isoformat()} is before submitted ({rec.submitted.isoformat()})"))
        if c.date > today:
            out.append(Problem.at(src.path, where, f"corrections[{i}].date: {c.date.isoformat()} is in the future (today is {today.isoformat()})"))
        if previous is not None and c.date < previous:
            out.append(Problem.at(src.path, where, f"corrections[{i}].date: {c.date.isoformat()} is earlier than the entry before it ({previous.isoformat()}); entries are oldest first"))
        previous = c.date
        if "<" in c.summary and ">" in c.summary:
            out.append(Problem.at(src.path, src.value_pos(("corrections", i, "summary")), f"corrections[{i}].summary: must be plain text, without HTML tags"))
        if c.type is CorrectionType.reinstatement:
            before = corrections_in_force(rec.corrections[:i])
            if not any(b.type in (CorrectionType.retraction, CorrectionType.withdrawal) for b in before):
                lifted = [b for b in rec.corrections[:i] if b.type in (CorrectionType.retraction, CorrectionType.withdrawal)]
                found = (
                    f"the {lifted[-1].type.value} of {lifted[-1].date.isoformat()} was already lifted by an earlier reinstatement"
                    if lifted
                    else "there is none before it"
                )
                out.append(Problem.at(src.path, src.value_pos(("corrections", i, "type")), f"corrections[{i}].type: a reinstatement must follow a retraction or withdrawal that is still in force; {found}"))
    return out


class Facts(NamedTuple):
    """What the cross-record rules need of one valid record: small, plain, cacheable (a tuple,
    so the cache's form of it is the thing itself: see summary.facts_of)."""

    path: str
    id: str
    doi: str | None
    related: tuple[str, ...]
    question: bytes  # digest of the research question, whitespace-folded and lower-cased
    pos: tuple[int, ...]  # (line, col) of id, doi, research_question, related[0], related[1], ..., the abstract in a row
    abstract: bytes = b""  # digest of the abstract, label dropped, whitespace-folded and lower-cased (b"": none)

    @classmethod
    def of(cls, src: SourceFile, rec: Record) -> "Facts":
        where = [src.value_pos(("id",)), src.value_pos(("doi",)), src.value_pos(("research_question",))]
        where += [src.value_pos(("related", i)) for i in range(len(rec.related))]
        raw = abstract_of(src.body)
        where.append(lint.body_pos(src, len(raw) - len(raw.lstrip())))
        question = " ".join(rec.research_question.lower().split())
        abstract = " ".join(lint.without_label(raw).lower().split())
        return cls(
            src.path, rec.id, rec.doi, tuple(rec.related), hashlib.blake2b(question.encode("utf-8", "surrogatepass"), digest_size=16).digest(),
            tuple(n for p in where for n in (p.line, p.col)),
            hashlib.blake2b(abstract.encode("utf-8", "surrogatepass"), digest_size=16).digest() if abstract else b"",
        )

    def at(self, key: str, message: str, severity: Severity = "error") -> Problem:
        """A problem at the value of `key`: "id", "doi", "question", "related.N" or "abstract"."""
        if key == "abstract":
            i = 3 + len(self.related)
        else:
            i = _FACT_KEYS[key] if key in _FACT_KEYS else 3 + int(key.removeprefix("related."))
        line, col = self.pos[2 * i : 2 * i + 2] if 2 * i + 1 < len(self.pos) else (1, 1)
        return Problem(self.path, line, col, message, severity)


_FACT_KEYS = {"id": 0, "doi": 1, "question": 2}


def check_registry(facts: Sequence[Facts], other_ids: frozenset[str] = frozenset(), loose: Sequence[Facts] = ()) -> list[Problem]:
    """Rules across records: unique ids and DOIs (the later file is reported), existing related ids.

    `other_ids` are the ids written in records that failed the schema: they exist (and have their
    own error), so linking to one is not also reported as an unknown id. `loose`: the Facts of
    records that failed the schema but whose id and related list are valid (loose_facts), whose
    related ids must exist too.
    """
    out: list[Problem] = []
    ids: dict[str, Facts] = {}
    dois: dict[str, Facts] = {}
    for f in facts:
        if f.id in ids:
            out.append(f.at("id", f"id: {f.id} is already used by {ids[f.id].path}"))
        else:
            ids[f.id] = f
        if f.doi is not None:
            key = f.doi.lower()
            if key in dois:
                out.append(f.at("doi", f"doi: {f.doi} is already used by {dois[key].path}"))
            else:
                dois[key] = f
    for f in [*facts, *loose]:
        for i, rid in enumerate(f.related):
            if rid != f.id and rid not in ids and rid not in other_ids:
                out.append(f.at(f"related.{i}", f"related[{i}]: no record has the id {rid}"))
    return out


def loose_facts(src: SourceFile | None) -> Facts | None:
    """The Facts of a record that failed the schema, when its id and related list are valid (for check_registry)."""
    partial = partial_record(src) if src is not None else None
    if partial is None or partial[1].intersection(("id", "related")) or not partial[0].related:
        return None
    return Facts.of(src, partial[0])  # type: ignore[arg-type]


SignatureCheck = Callable[[SourceFile, Record], list[Problem]]


def validate_one(src: SourceFile, config: Config, check_signature: SignatureCheck | None = None) -> tuple[Record | None, list[Problem]]:
    """Every rule of one record alone: schema, cross-field rules, signature, per-record lints."""
    rec, found = check_schema(src)
    if rec is None:
        partial = partial_record(src)
        if partial is not None:  # every error of the record in one run (issue 15)
            found = found + check_record(src, partial[0], config, partial[1])
        return None, found
    found = check_record(src, rec, config)
    if rec.gate_evaluation is not None and check_signature is not None:
        found.extend(check_signature(src, rec))
    found.extend(lint.lint_record(src, rec, signed=check_signature is not None))
    return rec, found


def validate(
    sources: Sequence[SourceFile], config: Config, check_signature: SignatureCheck | None = None
) -> tuple[list[Valid], list[Problem]]:
    """Every rule of SPEC §2 over every record; returns the valid records and all problems (errors and warnings)."""
    problems: list[Problem] = []
    valid: list[Valid] = []
    for src in sources:
        rec, found = validate_one(src, config, check_signature)
        problems.extend(found)
        if rec is not None:
            valid.append(Valid(src, rec))
    passed = {id(v.source) for v in valid}
    schema_failed = frozenset(i for src in sources if id(src) not in passed for i in [written_id(src)] if i)
    loose = [f for src in sources if id(src) not in passed for f in [loose_facts(src)] if f is not None]
    problems.extend(registry_problems([Facts.of(v.source, v.record) for v in valid], schema_failed, loose))
    bad = {p.path for p in problems if p.severity == "error"}
    return [v for v in valid if v.source.path not in bad], problems


def registry_problems(facts: Sequence[Facts], other_ids: frozenset[str] = frozenset(), loose: Sequence[Facts] = ()) -> list[Problem]:
    """Cross-record errors and warnings over every schema-valid record (so a duplicated id is named as such)."""
    return check_registry(facts, other_ids, loose) + lint.lint_registry(facts)


def written_id(src: SourceFile | None) -> str | None:
    """The id a record file declares, whatever else is wrong with it."""
    value = src.data.get("id") if src is not None else None
    return value if isinstance(value, str) else None
