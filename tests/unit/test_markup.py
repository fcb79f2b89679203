"""Markdown rendering, sanitising and cutting (SPEC §2, §4)."""

from __future__ import annotations

import pytest

from srchgen.derive.markup import cut, plain_text, render_markdown, strip_abstract_label


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("short title", 110, "short title"),
        ("a" * 110, 110, "a" * 110),
        ("word " * 30, 20, "word word word word…"),
        ("alpha beta gamma", 11, "alpha beta…"),
        ("alpha beta gamma", 10, "alpha…"),
        ("alpha beta, gamma", 12, "alpha beta…"),
        ("supercalifragilistic", 10, "supercali…"),
        ("  spaced   out\ttext  ", 110, "spaced out text"),
    ],
)
def test_cut_at_word_boundary(text: str, limit: int, expected: str) -> None:
    got = cut(text, limit)
    assert got == expected
    assert len(got) <= limit


def test_cut_never_splits_a_word_when_a_boundary_exists() -> None:
    title = "What is the inference throughput and memory efficiency trade-off of SMoES MoE-VLMs relative to dense VLMs of equivalent"
    got = cut(title, 110)
    assert got.endswith("…") and len(got) <= 110
    assert title.startswith(got[:-1]) and title[len(got) - 1] == " "


@pytest.mark.parametrize(
    "md, present, absent",
    [
        ("<script>alert(1)</script>\n\nx", ["x"], ["<script", "alert(1)"]),
        ("<img src=x onerror=alert(1)>", [], ["onerror"]),
        ("[a](javascript:alert(1))", [">a</a>"], ["javascript:"]),
        ("[a](vbscript:x)", [], ["vbscript:"]),
        ("[a](data:text/html;base64,xx)", [], ["data:"]),
        ("[a](https://example.org)", ['href="https://example.org"', 'rel="nofollow noopener"'], []),
        ("[a](mailto:x@example.org)", ['href="mailto:x@example.org"'], []),
        ("![i](https://evil.example/p.png)", [], ["evil.example"]),
        ("![i](figure.png)", ['src="figure.png"'], []),
        ("<iframe src=https://x></iframe>", [], ["<iframe"]),
        ("<style>body{}</style>", [], ["<style", "body{}"]),
        ("<form action=x><input></form>", [], ["<form"]),
        ("# Title", ["<h2>Title</h2>"], ["<h1"]),
        ("a | b\n--|--\n1 | 2", ["<table>", "<td>1</td>"], []),
        ("~~gone~~ https://auto.example", ["<del>gone</del>", 'href="https://auto.example"'], []),
        ("{{ 7*7 }} {% raw %}", ["{{ 7*7 }} {% raw %}"], ["49"]),
    ],
    ids=["script", "onerror", "javascript", "vbscript", "data", "https", "mailto", "remote-img", "local-img", "iframe", "style",
         "form", "h1", "table", "gfm", "jinja"],
)
def test_render_and_sanitise(md: str, present: list[str], absent: list[str]) -> None:
    html = render_markdown(md)
    for p in present:
        assert p in html, html
    for a in absent:
        assert a not in html, html


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Abstract: The field", "The field"),
        ("abstract.  The field", "The field"),
        ("**Abstract:** The field", "The field"),
        ("Abstracts of papers", "Abstracts of papers"),
        ("The abstract: here", "The abstract: here"),
    ],
)
def test_strip_abstract_label(text: str, expected: str) -> None:
    assert strip_abstract_label(text) == expected


def test_plain_text_unescapes() -> None:
    assert plain_text(render_markdown("A & B <i>c</i> *d*")) == "A & B c d"
