"""Writing `gate_evaluation` into a record keeps every other byte (issue 7, item 2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srchgen.gate.write import GateWriteError, render_block, set_gate_evaluation

SIG = (
    "-----BEGIN SSH SIGNATURE-----\n"
    "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg5yXWAMeKVHseVvoTtxzZ76rEVL\n"
    "sTIsGN8MUadDimmmFa8LhMmx1dJfZMkAM=\n"
    "-----END SSH SIGNATURE-----\n"
)
EVAL = {
    "evaluated": datetime(2026, 7, 1, 12, 0, 0, tzinfo=timezone.utc),
    "outcome": "passed",
    "artifact_sha256": ["0123456789" * 6 + "0123", "ab" * 32],
    "signature": SIG,
}


def _front(text: str) -> dict:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    assert lines[0] == "---"
    return yaml.safe_load("".join(ln + "\n" for ln in lines[1 : lines.index("---", 1)]))


# --------------------------------------------------------------------------- examples

RECORD = """---
manifest: paper-manifest-v1.1  # contract
id: 'SRCH:08EA5386'
gate_evaluation:   # written by the pipeline
  evaluated: 2026-06-01T00:00:00+02:00
  outcome: failed
  # a comment inside the block
  artifact_sha256: ["{h}"]
  signature: |
    old

# Corrections are additive
corrections:
  - date: 2026-07-02
    type: correction
    summary: "Fixed: the figure."
---
The abstract mentions gate_evaluation: too.
""".replace("{h}", "c" * 64)


def test_replaces_block_and_keeps_the_rest_byte_for_byte() -> None:
    out = set_gate_evaluation(RECORD, EVAL)
    head, tail = RECORD.split("gate_evaluation:", 1)
    assert out.startswith(head)
    assert out.endswith(tail[tail.index("\n# Corrections") :])
    assert "old" not in out and "failed" not in out and "inside the block" not in out
    assert _front(out)["gate_evaluation"] == EVAL
    assert list(_front(out)) == ["manifest", "id", "gate_evaluation", "corrections"]


def test_block_shape_matches_the_spec_example() -> None:
    assert render_block(EVAL) == (
        "gate_evaluation:\n"
        "  evaluated: 2026-07-01T12:00:00Z\n"
        "  outcome: passed\n"
        "  artifact_sha256:\n"
        f'    - "{EVAL["artifact_sha256"][0]}"\n'
        f'    - "{EVAL["artifact_sha256"][1]}"\n'
        "  signature: |\n" + "".join(f"    {ln}\n" for ln in SIG.splitlines())
    )


def test_appends_at_the_end_of_the_front_matter_when_absent() -> None:
    src = "---\nid: SRCH:0000000A\n# trailing comment\n---\nBody\n"
    out = set_gate_evaluation(src, EVAL)
    assert out == "---\nid: SRCH:0000000A\n# trailing comment\n" + render_block(EVAL) + "---\nBody\n"


def test_crlf_and_bom_are_kept() -> None:
    src = "\ufeff---\r\nid: x\r\ngate_evaluation: {outcome: failed}\r\nnote: n\r\n---\r\nBody\r\n"
    out = set_gate_evaluation(src, EVAL)
    assert out.startswith("\ufeff---\r\nid: x\r\ngate_evaluation:\r\n")
    assert out.endswith("\r\nnote: n\r\n---\r\nBody\r\n")
    assert "\n" not in out.replace("\r\n", "")
    assert _front(out)["gate_evaluation"] == EVAL


def test_yaml_document_end_closes_the_front_matter_as_in_source_py() -> None:
    src = "---\nid: x\n...\nBody\n"
    assert set_gate_evaluation(src, EVAL) == "---\nid: x\n" + render_block(EVAL) + "...\nBody\n"


def test_indented_front_matter_keeps_its_indentation() -> None:
    src = "---\n  id: x\n  gate_evaluation: null\n  note: n\n---\nBody\n"
    out = set_gate_evaluation(src, EVAL)
    assert out.startswith("---\n  id: x\n  gate_evaluation:\n    evaluated: ")
    assert _front(out) == {"id": "x", "gate_evaluation": EVAL, "note": "n"}


def test_other_time_zones_are_written_in_utc() -> None:
    ev = dict(EVAL, evaluated=datetime(2026, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    assert "evaluated: 2026-07-01T12:00:00Z\n" in render_block(ev)


@pytest.mark.parametrize(
    ("src", "ev", "needle"),
    [
        ("id: x\n", EVAL, "does not start with"),
        ("---\nid: x\n", EVAL, "no closing"),
        ("---\n- a\n---\nB\n", EVAL, "not a mapping"),
        ("---\n{id: x}\n---\nB\n", EVAL, "flow"),
        ("---\nid: [x\n---\nB\n", EVAL, "not valid YAML"),
        ("---\ngate_evaluation: 1\ngate_evaluation: 2\n---\nB\n", EVAL, "2 times"),
        ("---\nid: x\n---\nB\n", dict(EVAL, evaluated=datetime(2026, 7, 1)), "time zone"),
        ("---\nid: x\n---\nB\n", dict(EVAL, evaluated=EVAL["evaluated"].replace(microsecond=1)), "whole seconds"),
        ("---\nid: x\n---\nB\n", {}, "non-empty"),
        ("---\nid: x\n---\nB\n", {"x": object()}, "cannot write"),
    ],
)
def test_refuses_what_it_cannot_edit_safely(src: str, ev: dict, needle: str) -> None:
    with pytest.raises(GateWriteError, match=needle):
        set_gate_evaluation(src, ev)


# --------------------------------------------------------------------------- property

_words = st.builds(
    lambda a, b: (a + b).strip(),
    st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -_.,", max_size=20),
)
_comment = _words.map(lambda w: f"# {w}\n")
_blank = st.just("\n")
_gap = st.lists(st.one_of(_comment, _blank), max_size=2).map("".join)


def _entry(key: str) -> st.SearchStrategy[str]:
    """One top-level key in one of the styles authors write by hand."""
    return st.one_of(
        st.builds(lambda w: f"{key}: {w}x\n", _words),
        st.builds(lambda w, c: f"{key}: \"{w}\"  # {c}\n", _words, _words),
        st.builds(lambda w: f"{key}: '{w}'\n", _words),
        # a comma inside a flow sequence's plain item would split it (`[a,,x]` is not YAML)
        st.builds(lambda a, b: f"{key}: [{a.replace(',', '')}x, '{b}']\n", _words, _words),
        st.builds(lambda a, b: f"{key}:\n  - {a}x\n  # c\n  - \"{b}\"\n", _words, _words),
        st.builds(lambda a, b: f"{key}:\n  sub: {a}x\n\n  other: '{b}'\n", _words, _words),
        st.builds(lambda a, b: f"{key}: |\n  {a}\n\n  {b}\n", _words, _words),
        st.builds(lambda a: f"{key}: |+\n  {a}\n\n", _words),
        st.builds(lambda a, b: f"{key}: >-\n  {a}\n  {b}\n", _words, _words),
        st.sampled_from([f"{key}: 7.83\n", f"{key}: 2026-05-28\n", f"{key}: null\n", f"{key}: true\n"]),
    )


_old_block = st.one_of(
    st.just("gate_evaluation:\n"),
    st.just("gate_evaluation: null  # pending\n"),
    st.just("gate_evaluation: {outcome: failed, artifact_sha256: []}\n"),
    st.builds(
        lambda c, g: "gate_evaluation:  # pipeline\n  evaluated: 2026-06-01T00:00:00Z\n"
        f"  # {c}\n  outcome: failed\n  artifact_sha256:\n  - '{'e' * 64}'\n"
        f"  signature: |+\n    -----BEGIN SSH SIGNATURE-----\n{g}    -----END SSH SIGNATURE-----\n",
        _words,
        st.sampled_from(["", "\n", "    abc\n\n    def\n"]),
    ),
)

_hash = st.one_of(
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.text(alphabet="0123456789", min_size=64, max_size=64),
)
_evaluation = st.fixed_dictionaries(
    {
        "evaluated": st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1),
            timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(minutes=330))]),
        ).map(lambda d: d.replace(microsecond=0)),
        "outcome": st.sampled_from(["passed", "failed"]),
        "artifact_sha256": st.lists(_hash, min_size=1, max_size=3),
        "signature": st.one_of(
            st.just(SIG),
            # Arbitrary text: PyYAML must fall back to a quoted scalar when a literal cannot hold it.
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40)
            .map(lambda s: s + "\n"),
        ),
    }
)


@st.composite
def _records(draw: st.DrawFn) -> tuple[str, str, str, bool]:
    """(before, old block, after) of a record file, with the block possibly absent."""
    n = draw(st.integers(min_value=1, max_value=5))
    entries = [draw(_gap) + draw(_entry(f"key{i}")) for i in range(n)]
    has_old = draw(st.booleans())
    pos = draw(st.integers(min_value=0, max_value=n))
    tail_gap = draw(_gap)
    body = draw(st.sampled_from(["Body.\n", "Abstract\n\n---\n\ngate_evaluation: no\n", ""]))
    before = "---\n" + "".join(entries[:pos])
    if has_old:
        old = draw(_old_block)
        after = "".join(entries[pos:]) + tail_gap + "---\n" + body
    else:
        before += "".join(entries[pos:]) + tail_gap
        old = ""
        after = "---\n" + body
    crlf = draw(st.booleans())
    bom = draw(st.sampled_from(["", "\ufeff"]))
    fix = (lambda s: s.replace("\n", "\r\n")) if crlf else (lambda s: s)
    return bom + fix(before), fix(old), fix(after), has_old


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records(), _evaluation)
def test_bytes_outside_the_block_are_preserved(record: tuple[str, str, str, bool], ev: dict) -> None:
    before, old, after, _ = record
    src = before + old + after
    out = set_gate_evaluation(src, ev)
    assert out.startswith(before)
    assert out.endswith(after)
    middle = out[len(before) : len(out) - len(after)]
    assert yaml.safe_load(middle.replace("\r\n", "\n")) == {"gate_evaluation": ev}
    old_front, new_front = _front(src), _front(out)
    assert new_front.pop("gate_evaluation") == ev
    old_front.pop("gate_evaluation", None)
    assert list(new_front.items()) == list(old_front.items())
    # Writing again (a later evaluation replacing this one) is stable.
    assert set_gate_evaluation(out, ev) == out


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("line\n", "  v: |\n"),  # the signature's shape: a plain literal block
        ("a\nb", "  v: |-\n"),
        ("\n", '  v: "\\n"\n'),  # would need |+ and a document-end marker
        ("a\n\n", '  v: "a\\n\\n"\n'),
        ("trailing \nspace\n", '  v: "trailing \\nspace\\n"\n'),
        ("0123", '  v: "0123"\n'),  # hex-only values are quoted, never numbers
        ("yes", "  v: 'yes'\n"),  # YAML 1.1 booleans stay strings
    ],
)
def test_scalar_styles_load_back_exactly(value: str, line: str) -> None:
    block = render_block({"ab": "x", "v": value})
    assert block.startswith("gate_evaluation:\n  ab: x\n")  # keys are never quoted
    assert line in block
    assert "\n..." not in block
    assert yaml.safe_load(block) == {"gate_evaluation": {"ab": "x", "v": value}}
