"""Warnings (SPEC §2): printed with path:line:col, errors under --strict."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from srchgen.check import relevance
from srchgen.errors import Position, Problem
from srchgen.load.source import SUSPECT, Path_, SourceFile, abstract_of

if TYPE_CHECKING:
    from srchgen.check.schema import Record
    from srchgen.check.validate import Facts

MAX_TITLE = 200
# The abstract `srchgen new` writes; an error until replaced (validate._check_abstract), so CI
# cannot publish it (issue 15); `srchgen new` itself lets it through.
PLACEHOLDER = "TODO: replace this paragraph with the abstract."
_SUSPECT = SUSPECT
_LABEL = re.compile(r"\A\s*(?:\*\*|__)?abstract\s*[:.]", re.I)


def _w(src: SourceFile, pos: Position, msg: str) -> Problem:
    return Problem.at(src.path, pos, msg, "warning")


def _strings(value: Any, path: Path_) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, path + (i,))


def without_label(abstract: str) -> str:
    """The abstract without a leading "Abstract:" label (the same text with or without it is the same abstract)."""
    m = _LABEL.match(abstract)
    return abstract[m.end() :] if m else abstract


def body_pos(src: SourceFile, index: int) -> Position:
    return _body_pos(src, index)


def _body_pos(src: SourceFile, index: int) -> Position:
    line = src.body.count("\n", 0, index)
    col = index - (src.body.rfind("\n", 0, index) + 1) + 1
    return Position(src.body_line + line, col)


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def lint_suspect_characters(src: SourceFile) -> list[Problem]:
    if src.plain:
        return []
    out = []
    for path, text in _strings(src.data, ()):
        m = _SUSPECT.search(text)
        if m:
            pos = src.value_pos(path)
            sc = src.scalars.get(path)
            if sc is not None and not sc.quoted and "\n" not in text:  # a plain one-line scalar: its text is the raw text
                pos = Position(pos.line, pos.col + m.start())
            name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
            out.append(_w(src, pos, f"{name}: contains the invisible control or bidi-override character {_describe(m.group())}; remove it"))
    m = _SUSPECT.search(src.body)
    if m:
        out.append(_w(src, _body_pos(src, m.start()), f"body contains the invisible control or bidi-override character {_describe(m.group())}; remove it"))
    return out


def lint_record(src: SourceFile, rec: "Record", signed: bool) -> list[Problem]:
    """The warnings that need only this record."""
    out = lint_suspect_characters(src)
    abstract = abstract_of(src.body)
    m = _LABEL.match(abstract)
    if m:
        idx = len(abstract) - len(abstract.lstrip())
        out.append(_w(src, _body_pos(src, idx), "the abstract starts with an 'Abstract:' label; the page already heads it 'Abstract', remove the label"))
    if rec.title is not None and len(rec.title) > MAX_TITLE:
        out.append(_w(src, src.value_pos(("title",)), f"title: {len(rec.title)} characters; keep titles within {MAX_TITLE} (listings cut them)"))
    if abstract.strip() and not relevance.addresses_question(rec.research_question, abstract):  # empty: an error already
        missing = [term for term, _, found in relevance.explain(rec.research_question, abstract) if not found][:6]
        terms = f" (question terms it never mentions: {', '.join(missing)})" if missing else ""
        out.append(_w(src, _body_pos(src, len(abstract) - len(abstract.lstrip())), f"the abstract does not appear to address the research question{terms}; check that the right abstract is attached (relevance lint)"))
    if rec.gate_evaluation is not None and not signed:
        out.append(_w(src, src.key_pos(("gate_evaluation",)), "gate_evaluation: unsigned (no gate_signers configured); the page shows it as unsigned"))
    return out


def lint_registry(facts: Sequence["Facts"]) -> list[Problem]:
    """The warnings across records: the same question twice, the same abstract twice, one-way related links."""
    out: list[Problem] = []
    related = {f.id: set(f.related) for f in facts}
    questions: dict[bytes, "Facts"] = {}
    abstracts: dict[bytes, "Facts"] = {}
    for f in facts:
        if f.question in questions:
            out.append(f.at("question", f"research_question: the same question as {questions[f.question].path}", "warning"))
        else:
            questions[f.question] = f

        for i, rid in enumerate(f.related):
            if rid in related and rid != f.id and f.id not in related[rid]:
                out.append(f.at(f"related.{i}", f"related[{i}]: {rid} does not link back; add {f.id} to its related list", "warning"))
    for f in sorted(facts, key=lambda f: f.path):  # the later file by path is the one warned, whatever order the build saw them in
        if f.abstract and f.abstract in abstracts:
            out.append(f.at("abstract", f"the same abstract as {abstracts[f.abstract].path} ({abstracts[f.abstract].id}); check that the right abstract is attached", "warning"))
        elif f.abstract:
            abstracts[f.abstract] = f
    return out
