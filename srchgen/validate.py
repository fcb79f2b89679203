"""Validate stage: the schema, then the rules across fields and records (SPEC §2).

Pure: the disk was read by `source`, the reference day comes from Config. Every problem
is returned with the file's line and column; nothing is raised one by one.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from pydantic import BaseModel, ValidationError

from srchgen import lint
from srchgen.config import Config
from srchgen.derive import corrections_in_force, sufficient_artifacts
from srchgen.errors import START, Problem, Severity
from srchgen.schema import HEX_RE, Artifact, Claims, Correction, CorrectionType, GateEvaluation, Record, Review
from srchgen.source import Path_, SourceFile


@dataclass(frozen=True)
class Valid:
    """A record that passed every rule, beside the file it came from."""

    source: SourceFile
    record: Record


# Which model owns the keys under a location, for "did you mean" suggestions.
_MODELS: dict[str, type[BaseModel]] = {
    "review": Review,
    "claims": Claims,
    "artifacts": Artifact,
    "gate_evaluation": GateEvaluation,
    "corrections": Correction,
}


def dotted(loc: Sequence[str | int]) -> str:
    """('artifacts', 0, 'sha256') -> 'artifacts[0].sha256'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _found(src: SourceFile, loc: Path_, value: Any) -> str:
    sc = src.scalars.get(loc)
    if sc is None:
        return repr(value)
    if sc.kind in ("list", "mapping"):
        return f"a {sc.kind}"
    if sc.kind == "text":
        return f"text '{sc.text}'"
    return f"{sc.kind} '{sc.text}'"


def _quote_hint(src: SourceFile, loc: Path_) -> str:
    sc = src.scalars.get(loc)
    if sc is not None and not sc.quoted and sc.kind in ("boolean", "number", "null", "date"):
        return f"; YAML read '{sc.text}' as a {sc.kind}: quote it (\"{sc.text}\") if you mean text"
    return ""


def _unquote_hint(src: SourceFile, loc: Path_) -> str:
    sc = src.scalars.get(loc)
    return "; remove the quotes" if sc is not None and sc.quoted else ""


def _suggest(loc: Path_, key: str) -> str:
    owner = next((m for part in reversed(loc[:-1]) if isinstance(part, str) for m in [_MODELS.get(part)] if m), None)
    fields = sorted((owner or Record).model_fields)
    near = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    return f"; did you mean '{near[0]}'?" if near else f"; expected one of: {', '.join(fields)}"


def explain(err: dict[str, Any], src: SourceFile) -> Problem:
    """Turn one pydantic error into a positioned message that says what was found and what is expected."""
    loc: Path_ = tuple(err["loc"])
    name = dotted(loc)
    typ = err["type"]
    value = err.get("input")
    found = _found(src, loc, value)
    if typ == "missing":
        parent = loc[:-1]
        where = f" under '{dotted(parent)}'" if parent else ""
        pos = src.key_pos(parent) if parent else START
        return Problem.at(src.path, pos, f"missing required key '{loc[-1]}'{where}")
    if typ == "extra_forbidden":
        return Problem.at(src.path, src.key_pos(loc), f"unknown key '{loc[-1]}'{_suggest(loc, str(loc[-1]))}")
    pos = src.value_pos(loc)
    if typ == "string_type":
        msg = f"expected text, found {found}{_quote_hint(src, loc)}"
    elif typ in ("int_type", "int_from_float"):
        if isinstance(value, bool):
            msg = f"a boolean is not a count; expected a whole number >= 0, found {found}"
        else:
            msg = f"expected a whole number >= 0, found {found}{_unquote_hint(src, loc)}"
    elif typ == "float_type":
        if isinstance(value, bool):
            msg = f"a boolean is not a score; expected a number from 0 to 10, found {found}"
        else:
            msg = f"expected a number from 0 to 10, found {found}{_unquote_hint(src, loc)}"
    elif typ == "finite_number":
        msg = f"NaN and infinity are not scores; expected a number from 0 to 10, found {found}"
    elif typ == "bool_type":
        msg = f"expected true or false, found {found}{_unquote_hint(src, loc)}"
    elif typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        op = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}[typ]
        limit = next(iter(err.get("ctx", {}).values()), "")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        msg = f"must be {op} {limit}, found {found}"
    elif typ == "literal_error":
        msg = f"expected {err['ctx']['expected']}, found {found}"
    elif typ == "enum":
        msg = f"expected one of {err['ctx']['expected']}; found {found}"
    elif typ in ("list_type", "tuple_type"):
        msg = f"expected a list such as [a, b], found {found}"
    elif typ in ("model_type", "dict_type", "model_attributes_type"):
        msg = f"expected a mapping of keys, found {found}"
    elif typ in ("date_type", "date_from_datetime_inexact", "date_parsing"):
        msg = f"expected a calendar date YYYY-MM-DD, found {found}"
    elif typ in ("datetime_type", "datetime_parsing"):
        msg = f"expected a date and time with a time zone such as 2026-07-01T12:00:00Z, found {found}"
    elif typ == "too_short":
        msg = "must not be empty"
    elif typ == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        if "must not be empty" in msg or "expected" in msg:
            pass
    else:  # pragma: no cover - a pydantic error type we have not phrased yet
        msg = f"{err['msg']}, found {found}"
    return Problem.at(src.path, pos, f"{name}: {msg}")


def check_schema(src: SourceFile) -> tuple[Record | None, list[Problem]]:
    try:
        return Record.model_validate(src.data), []
    except ValidationError as e:
        return None, [explain(err, src) for err in e.errors(include_url=False)]  # type: ignore[arg-type]


def _utc_day(t: dt.datetime) -> dt.date:
    return t.astimezone(dt.timezone.utc).date()


def check_record(src: SourceFile, rec: Record, config: Config) -> list[Problem]:
    """Rules across the fields of one record."""
    out: list[Problem] = []

    def err(loc: Path_, msg: str, key: bool = False) -> None:
        out.append(Problem.at(src.path, src.key_pos(loc) if key else src.value_pos(loc), msg))

    today = config.today
    if not HEX_RE.fullmatch(src.stem):
        out.append(Problem(src.path, 1, 1, f"file name must be the record's 8 upper-case hex digits, e.g. {rec.hex}.md"))
    elif rec.hex != src.stem:
        err(("id",), f"id: {rec.id} does not match the file name {src.name}; the file must be {rec.hex}.md or the id SRCH:{src.stem}")
    if rec.submitted > today:
        err(("submitted",), f"submitted: {rec.submitted.isoformat()} is in the future (today is {today.isoformat()})")
    if rec.doi is not None and rec.registered is False:
        err(("registered",), "registered: a record with a DOI is registered; remove 'registered: false' or the DOI")
    for i, rid in enumerate(rec.related):
        if rid == rec.id:
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
        if day < rec.submitted:
            err(("gate_evaluation", "evaluated"), f"gate_evaluation.evaluated: {day.isoformat()} is before submitted ({rec.submitted.isoformat()})")
        if day > today:
            err(("gate_evaluation", "evaluated"), f"gate_evaluation.evaluated: {day.isoformat()} is in the future (today is {today.isoformat()})")
        if not sufficient_artifacts(rec):
            err(
                ("gate_evaluation",),
                "gate_evaluation: needs a sufficient artifact set: a lean4-proof, or a repro-script together with repro-results",
                key=True,
            )
    out.extend(_check_corrections(src, rec, today))
    return out


def _check_corrections(src: SourceFile, rec: Record, today: dt.date) -> list[Problem]:
    out: list[Problem] = []
    previous: dt.date | None = None
    for i, c in enumerate(rec.corrections):
        where = src.value_pos(("corrections", i, "date"))
        if c.date < rec.submitted:
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
                out.append(Problem.at(src.path, src.value_pos(("corrections", i, "type")), f"corrections[{i}].type: a reinstatement must follow a retraction or withdrawal that is still in force"))
    return out


@dataclass(frozen=True)
class Facts:
    """What the cross-record rules need of one valid record: small, plain, cacheable."""

    path: str
    id: str
    doi: str | None
    related: tuple[str, ...]
    question: str  # research question, whitespace-folded and lower-cased
    pos: dict[str, tuple[int, int]]  # "id", "doi", "question", "related.N" -> (line, col)

    @classmethod
    def of(cls, src: SourceFile, rec: Record) -> "Facts":
        pos = {"id": src.value_pos(("id",)), "doi": src.value_pos(("doi",)), "question": src.value_pos(("research_question",))}
        for i in range(len(rec.related)):
            pos[f"related.{i}"] = src.value_pos(("related", i))
        return cls(
            src.path, rec.id, rec.doi, tuple(rec.related), " ".join(rec.research_question.lower().split()),
            {k: (p.line, p.col) for k, p in pos.items()},
        )

    def at(self, key: str, message: str, severity: Severity = "error") -> Problem:
        line, col = self.pos.get(key, (1, 1))
        return Problem(self.path, line, col, message, severity)


def check_registry(facts: Sequence[Facts]) -> list[Problem]:
    """Rules across records: unique ids and DOIs (the later file is reported), existing related ids."""
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
    for f in facts:
        for i, rid in enumerate(f.related):
            if rid != f.id and rid not in ids:
                out.append(f.at(f"related.{i}", f"related[{i}]: no record has the id {rid}"))
    return out


SignatureCheck = Callable[[SourceFile, Record], list[Problem]]


def validate_one(src: SourceFile, config: Config, check_signature: SignatureCheck | None = None) -> tuple[Record | None, list[Problem]]:
    """Every rule of one record alone: schema, cross-field rules, signature, per-record lints."""
    rec, found = check_schema(src)
    if rec is None:
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
    problems.extend(registry_problems([Facts.of(v.source, v.record) for v in valid]))
    bad = {p.path for p in problems if p.severity == "error"}
    return [v for v in valid if v.source.path not in bad], problems


def registry_problems(facts: Sequence[Facts]) -> list[Problem]:
    """Cross-record errors and warnings over every schema-valid record (so a duplicated id is named as such)."""
    return check_registry(facts) + lint.lint_registry(facts)
