"""Validate stage: the schema, then the rules across fields and records (SPEC §2).

Pure: the disk was read by `source`, the reference day comes from Config. Every problem
is returned with the file's line and column; nothing is raised one by one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Sequence

from pydantic import BaseModel, ValidationError

from srchgen import lint
from srchgen.config import Config
from srchgen.derive import corrections_in_force, sufficient_artifacts
from srchgen.errors import START, Problem, Severity
from srchgen.schema import HEX_RE, Artifact, Claims, Correction, CorrectionType, GateEvaluation, Record, Review
from srchgen.source import Path_, SourceFile, abstract_of


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


# Derived fields (SPEC §3) are computed, never written; naming one gets its own message.
DERIVED_KEYS = frozenset(
    {"tier", "quality_tier", "level", "verification", "verification_level", "provenance", "gate", "gate_status",
     "status", "correction_status", "dimensions", "quality_dimensions", "verdict"}
)

# What a missing required key should look like, so the message shows the line to add.
_EXAMPLE = {
    "manifest": "manifest: paper-manifest-v1.1",
    "id": "id: SRCH:<the file name's 8 hex digits>",
    "research_question": "research_question: <the question, as text>",
    "submitted": "submitted: YYYY-MM-DD",
    "section": "section: research  (or benchmarks, mathematics)",
    "review": "review: with score: <0..10> beneath it",
    "score": "score: <a number from 0 to 10>",
    "claims": "claims: with source_grounded: <count> beneath it",
    "source_grounded": "source_grounded: <a whole number >= 0>",
    "publisher": "publisher: <name>",
    "report_artifact": "report_artifact: true  (or false)",
    "kind": "kind: lean4-proof  (or repro-script, repro-results)",
    "path": "path: <HEX>/<file name>",
    "sha256": 'sha256: "<64 hex digits>"',
    "evaluated": "evaluated: 2026-07-01T12:00:00Z",
    "outcome": "outcome: passed  (or failed)",
    "artifact_sha256": 'artifact_sha256: ["<64 hex digits>"]',
    "date": "date: YYYY-MM-DD",
    "type": "type: correction  (or another update type)",
    "summary": "summary: <what changed, as plain text>",
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
    if sc.kind == "null":
        return "nothing (null)" if sc.text in ("", "~", "null", "Null", "NULL") else f"null '{sc.text}'"
    if sc.kind == "text":
        return f"text '{sc.text}'"
    return f"{sc.kind} '{sc.text}'"


def _quote_hint(src: SourceFile, loc: Path_) -> str:
    sc = src.scalars.get(loc)
    if sc is not None and not sc.quoted and sc.kind in ("boolean", "number", "date"):
        return f"; YAML read '{sc.text}' as a {sc.kind}: quote it (\"{sc.text}\") if you mean text"
    return ""


def _unquote_hint(src: SourceFile, loc: Path_) -> str:
    sc = src.scalars.get(loc)
    return "; remove the quotes" if sc is not None and sc.quoted else ""


def _suggest(loc: Path_, key: str) -> str:
    owner = next((m for part in reversed(loc[:-1]) if isinstance(part, str) for m in [_MODELS.get(part)] if m), None)
    if owner is None and len(loc) == 1 and key not in Record.model_fields:
        homes = [name for name, model in _MODELS.items() if key in model.model_fields]
        if len(homes) == 1:  # a key dedented out of its mapping (issue 15)
            return f"; '{key}' belongs under '{homes[0]}:' (indent it like the keys there)"
    fields = sorted((owner or Record).model_fields)
    near = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    return f"; did you mean '{near[0]}'?" if near else f"; expected one of: {', '.join(fields)}"


def explain(err: dict[str, Any], src: SourceFile, suggestion: str | None = None) -> Problem:
    """Turn one pydantic error into a positioned message that says what was found and what is expected
    (`suggestion`: an unknown key's _suggest, when the caller has it already)."""
    loc: Path_ = tuple(err["loc"])
    name = dotted(loc)
    typ = err["type"]
    value = err.get("input")
    found = _found(src, loc, value)
    if typ == "missing":
        parent = loc[:-1]
        where = f" under '{dotted(parent)}'" if parent else ""
        if parent and isinstance(parent[-1], int):  # a list item: point at the item itself
            pos = src.value_pos(parent)
        else:
            pos = src.key_pos(parent) if parent else START
        example = _EXAMPLE.get(str(loc[-1]))
        return Problem.at(src.path, pos, f"missing required key '{loc[-1]}'{where}" + (f"; add: {example}" if example else ""))
    if typ == "extra_forbidden":
        key = str(loc[-1])
        if len(loc) == 1 and key in DERIVED_KEYS:
            return Problem.at(src.path, src.key_pos(loc), f"unknown key '{key}': derived fields are computed by srchgen, never written in a record; remove it")
        return Problem.at(src.path, src.key_pos(loc), f"unknown key '{key}'{suggestion if suggestion is not None else _suggest(loc, key)}")
    pos = src.value_pos(loc)
    if typ == "string_type" and (loc == ("id",) or (len(loc) == 2 and loc[0] == "related")):
        msg = f"expected SRCH: followed by 8 hex digits, e.g. SRCH:08EA5386; found {found}"
    elif typ == "string_type":
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
        twice = re.fullmatch(r"'(.*)' is listed twice", msg)
        items = _at(src.data, loc)
        if twice and isinstance(items, list):  # point at the second occurrence, not the list
            i = [n for n, item in enumerate(items) if item == twice.group(1)][1]
            return Problem.at(src.path, src.value_pos(loc + (i,)), f"{name}: '{twice.group(1)}' is listed twice (again at {dotted(loc + (i,))}); remove one")
        day = re.fullmatch(r"'(\d{4})-(\d{2})-(\d{2})' is not a calendar date", msg)
        if day and 1 <= int(day.group(2)) <= 12:
            y, m = int(day.group(1)), int(day.group(2))
            msg += f" ({calendar.month_name[m]} {y} has {calendar.monthrange(y, m)[1]} days)"
    else:  # pragma: no cover - a pydantic error type we have not phrased yet
        msg = f"{err['msg']}, found {found}"
    return Problem.at(src.path, pos, f"{name}: {msg}")


def _at(data: Any, loc: Path_) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


SUGGEST_LIMIT = 100  # unknown keys per file that get a did-you-mean (every one is reported)


def check_schema(src: SourceFile) -> tuple[Record | None, list[Problem]]:
    try:
        return Record.model_validate(src.data), []
    except ValidationError as e:
        errors = e.errors(include_url=False)
    return None, _explain_all(src, errors)  # type: ignore[arg-type]


def _explain_all(src: SourceFile, errors: list[dict[str, Any]]) -> list[Problem]:
    # A misspelt key (reveiw:) is one mistake: report it once, as the unknown key with its
    # suggestion, not also as the required key it was meant to be.
    typos: set[tuple[Path_, Any]] = set()
    suggestions: dict[Path_, str] = {}  # asked once per unknown key (a hostile record may have thousands)
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = tuple(err["loc"])
            if len(suggestions) >= SUGGEST_LIMIT:  # difflib per key: ~0.1 ms each, 1 s for 10,000 keys
                suggestions[loc] = f"; (no suggestions past the first {SUGGEST_LIMIT} unknown keys)"
                continue
            text = suggestions[loc] = _suggest(loc, str(loc[-1]))
            m = re.match(r"; did you mean '(.*)'\?", text)
            if m:
                typos.add((loc[:-1], m.group(1)))
            home = re.match(r"; '(.*)' belongs under '(.*):'", text)
            if home:  # so not also "missing required key 'score' under 'review'"
                typos.add(((home.group(2),), home.group(1)))
    kept = [err for err in errors if not (err["type"] == "missing" and (tuple(err["loc"][:-1]), err["loc"][-1]) in typos)]
    return [explain(err, src, suggestions.get(tuple(err["loc"]))) for err in kept]


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
