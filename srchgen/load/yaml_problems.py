"""The full load path's YAML problems: libyaml's errors as position + message, and the pre-checks.

`source._compose` runs `depth_check` and `anchor_check` on the front matter before composing
it (deep nesting and anchors are rejected from the flat event stream, so neither the recursive
composer nor an alias bomb ever sees them), and turns a `yaml.YAMLError` into a problem with
`yaml_problem`; `source._Walker` words a tag it refuses with `tag_message`. They are separate
from `source` because they are only wording and guarding: the messages (checked word for word
by tests/test_invalid_corpus.py and tests/hostile) change without touching how a record is
split, composed and walked.
"""

from __future__ import annotations

import re

import yaml

from srchgen.errors import START, Position
from srchgen.load.yaml_fast import MAX_DEPTH, _Loader, _T


def tag_message(tag: str) -> str:
    short = tag.replace(_T, "!!")
    return f"YAML tag '{short}' is not allowed; plain values only"


# libyaml's wording names the symptom; these hints name the usual cause and the fix.
_YAML_HINTS = (
    ("did not find expected key", "check this line's indentation against the keys above it"),
    ("mapping values are not allowed", "a value containing ': ' must be quoted"),
    ("did not find expected ',' or ']'", "close the list with ']' (items separated by ', ')"),
    ("did not find expected ',' or '}'", "close the mapping with '}' (entries separated by ', ')"),
    ("found unexpected end of stream", "a quote or bracket is never closed"),
)


def yaml_problem(e: yaml.YAMLError, offset: int, text: str = "") -> tuple[Position, str]:
    """A YAML syntax error as position + message, naming where an unclosed construct started."""
    if isinstance(e, yaml.reader.ReaderError):  # a raw control character: libyaml gives only a byte offset
        ch = chr(e.character) if isinstance(e.character, int) else str(e.character)
        at = text.find(ch)
        if at < 0:
            return START, f"invalid YAML: character U+{ord(ch[:1] or ' '):04X} is not allowed"
        line = text.count("\n", 0, at)
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        return Position(line + offset + 1, col), (
            f"invalid YAML: control character U+{ord(ch):04X} is not allowed in YAML; remove it"
        )
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    pos = Position(mark.line + offset + 1, mark.column + 1) if mark else START
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    lines = text.split("\n")
    if mark is not None and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
        return pos, "invalid YAML: a tab character; YAML is indented with spaces only"
    cmark = getattr(e, "context_mark", None)
    if context and cmark is not None and mark is not None and cmark.line != mark.line:
        context = f"{context} started at line {cmark.line + offset + 1}"
    msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is not None and "mapping values are not allowed" in problem:
        deeper = _deeper_than_above(lines, mark.line, offset)
        if deeper:
            return Position(mark.line + offset + 1, deeper[0]), f"{msg}; {deeper[1]}"
    hint = next((h for k, h in _YAML_HINTS if k in problem), None)
    return pos, msg + (f"; {hint}" if hint else "")


_KEY_LINE = re.compile(r"( *)([^\s#:][^:#]*):(?:[ \t]+(\S.*))?$")


def _deeper_than_above(lines: list[str], n: int, offset: int) -> tuple[int, str] | None:
    """'key: value' on line n indented deeper than the 'key: value' above it: YAML reads it as
    more of that value, and libyaml then calls the ': ' a mapping value in the wrong place. The
    real fault is the indentation (issue 15); returns (column, hint) when that is the case."""
    if n >= len(lines) or n == 0:
        return None
    here = _KEY_LINE.match(lines[n])
    above = next((lines[i] for i in range(n - 1, -1, -1) if lines[i].strip() and not lines[i].lstrip().startswith("#")), None)
    there = _KEY_LINE.match(above) if above is not None else None
    if not (here and there and there.group(3) and len(here.group(1)) > len(there.group(1))):
        return None
    key, width, above_key, above_width = here.group(2).strip(), len(here.group(1)), there.group(2).strip(), len(there.group(1))
    return width + 1, (
        f"wrong indentation: '{key}' is indented {width} spaces, '{above_key}' above it {above_width}; "
        f"keys of one mapping start in the same column (or, if the value has ': ' in it, quote it)"
    )


def anchor_check(text: str, offset: int) -> tuple[Position, str] | None:
    """Anchors are rejected before composing, so an alias bomb is never expanded."""
    if "&" not in text and "*" not in text:
        return None
    depth = 0
    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
            what = "aliases" if isinstance(ev, yaml.AliasEvent) else "anchors"
            m = ev.start_mark
            return Position(m.line + offset + 1, m.column + 1), f"YAML {what} are not allowed; write the value out"
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None


# Block nesting grows only with indentation or with compact indicators on one line
# ("- - - x", "? ? x"); below these, the recursive composer is safe and the walker
# rejects depth > MAX_DEPTH. Past them, depth is counted from the flat event stream,
# since 100,000 compact "- " overflow the composer's C stack (found by the hostile corpus).
_DEEP_BLOCK = re.compile(r"^ {40,}\S|^[ \t]*(?:[-?:][ \t]+){3,}", re.M)


def depth_check(text: str, offset: int) -> tuple[Position, str] | None:
    """Reject deep nesting from the event stream (flat), before the recursive composer sees it."""
    if text.count("[") + text.count("{") < MAX_DEPTH and not _DEEP_BLOCK.search(text):
        return None
    depth = 0
    for ev in yaml.parse(text, Loader=_Loader):
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH + 1:
                m = ev.start_mark
                return Position(m.line + offset + 1, m.column + 1), f"nested more than {MAX_DEPTH} levels deep"
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return None
