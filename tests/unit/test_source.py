"""Load stage: fences, positions, YAML hazards (SPEC §2, STYLE 'Errors carry file:line:col')."""

from __future__ import annotations

import pytest

from srchgen.errors import Position
from srchgen.load.source import abstract_of, parse_source

GOOD = """---
manifest: paper-manifest-v1.1
id: SRCH:0000000A
review:
  score: 7.5
topics: [a, b]
---
Abstract text.

## Limitations

More.
"""


def parse(text: str | bytes):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_source(raw, "records/0000000A.md", "0000000A.md")


def test_positions_refer_to_the_file() -> None:
    src, problems = parse(GOOD)
    assert problems == [] and src is not None
    assert src.keys[("manifest",)] == Position(2, 1)
    assert src.values[("id",)] == Position(3, 5)
    assert src.keys[("review", "score")] == Position(5, 3)
    assert src.values[("review", "score")] == Position(5, 10)
    assert src.values[("topics", 1)] == Position(6, 13)
    assert src.body_line == 8
    assert src.body.startswith("Abstract text.")


def test_key_pos_falls_back_to_parent_then_start() -> None:
    src, _ = parse(GOOD)
    assert src is not None
    assert src.key_pos(("review", "method")) == Position(4, 1)
    assert src.key_pos(("publisher",)) == Position(1, 1)


@pytest.mark.parametrize(
    "prefix, crlf",
    [(b"", False), (b"\xef\xbb\xbf", False), (b"", True), (b"\xef\xbb\xbf", True)],
    ids=["plain", "bom", "crlf", "bom+crlf"],
)
def test_bom_and_crlf_accepted_with_same_positions(prefix: bytes, crlf: bool) -> None:
    text = GOOD.replace("\n", "\r\n") if crlf else GOOD
    src, problems = parse(prefix + text.encode())
    assert problems == [] and src is not None
    assert src.values[("review", "score")] == Position(5, 10)
    assert "\r" not in src.body


@pytest.mark.parametrize(
    "text, line, col, fragment",
    [
        ("no fence\n", 1, 1, "must start with a '---' line"),
        ("---\nid: x\n", 1, 1, "front matter is not closed"),
        ("---\n- a\n- b\n---\nbody\n", 2, 1, "front matter must be a mapping"),
        ("---\n---\nbody\n", 2, 1, "front matter must be a mapping"),
        ("---\nid: [unclosed\n---\nx\n", 3, 1, "invalid YAML"),
        ("---\na: 1\na: 2\n---\nx\n", 3, 1, "duplicate key 'a' (first defined at line 2)"),
        ("---\na: &x 1\nb: *x\n---\nx\n", 2, 4, "YAML anchors are not allowed"),
        ("---\na: !custom 1\n---\nx\n", 2, 4, "YAML tag '!custom' is not allowed"),
        ("---\na: !!python/object:os.system 1\n---\nx\n", 2, 4, "is not allowed"),
        ("---\n<<: {a: 1}\n---\nx\n", 2, 1, "merge keys"),
        ("---\n1: x\n---\nbody\n", 2, 1, "key '1' must be text; quote it"),
        ("---\na: 1\n---\nbad \x00 byte\n", 4, 5, "NUL byte"),
    ],
    ids=["no-fence", "unclosed", "sequence", "empty", "syntax", "duplicate", "alias", "custom-tag", "python-tag", "merge", "int-key", "nul"],
)
def test_load_problems(text: str, line: int, col: int, fragment: str) -> None:
    _, problems = parse(text)
    assert problems, "expected a problem"
    p = problems[0]
    assert (p.line, p.col) == (line, col), str(p)
    assert fragment in p.message
    assert str(p).startswith(f"records/0000000A.md:{line}:{col}: ")


def test_not_utf8_names_line_and_column() -> None:
    _, problems = parse(b"---\nid: x\ntitle: caf\xe9\n---\nx\n")
    assert [(p.line, p.col) for p in problems] == [(3, 11)]
    assert "not UTF-8" in problems[0].message


def test_oversized_file_rejected_before_parsing() -> None:
    _, problems = parse(b"---\na: 1\n---\n" + b"x" * (1024 * 1024))
    assert problems and "at most 1,048,576 bytes" in problems[0].message


@pytest.mark.parametrize(
    "yaml_value, kind, quoted",
    [("no", "boolean", False), ("'no'", "text", True), ("1984", "number", False), ("7.83", "number", False),
     ("2026-05-28", "date", False), ("null", "null", False), ("~", "null", False), ('"x"', "text", True), ("2026-02-30", "text", False)],
)
def test_scalar_kinds_are_kept_for_messages(yaml_value: str, kind: str, quoted: bool) -> None:
    src, problems = parse(f"---\nv: {yaml_value}\n---\nx\n")
    assert problems == [] and src is not None
    sc = src.scalars[("v",)]
    assert (sc.kind, sc.quoted) == (kind, quoted)


def test_deep_nesting_rejected() -> None:
    deep = "a: " + "[" * 50 + "]" * 50
    _, problems = parse(f"---\n{deep}\n---\nx\n")
    assert problems and "nested more than" in problems[0].message


@pytest.mark.parametrize(
    "body, abstract",
    [("A.\n\n## B\n", "A.\n\n"), ("A.\n# B\n", "A.\n"), ("A.\n   ## B\n", "A.\n"), ("A #b\n", "A #b\n"), ("#hashtag\n", "#hashtag\n"), ("## only\n", "")],
)
def test_abstract_is_text_before_first_heading(body: str, abstract: str) -> None:
    assert abstract_of(body) == abstract
