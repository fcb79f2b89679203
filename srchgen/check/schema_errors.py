"""Schema errors in the record's terms: each pydantic error of `check_schema` becomes a problem at the
file's line and column that says what was found, what is expected and, for an unknown key, which
key was meant (SPEC §2).

Separate from `validate`, which holds the rules a schema-valid record must still meet: this is
only the phrasing of what the pydantic model (`schema`) rejected, a table per error type.
"""

from __future__ import annotations

import calendar
import re
from typing import Any, Sequence

from pydantic import BaseModel, ValidationError

from srchgen.errors import START, Problem
from srchgen.check.schema import Artifact, Claims, Correction, GateEvaluation, Record, Review
from srchgen.load.source import Path_, SourceFile


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
    import difflib  # only for an unknown key: not imported by a build of valid records

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
    """The record, or None and every schema error as a positioned problem."""
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

