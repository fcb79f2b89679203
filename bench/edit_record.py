#!/usr/bin/env python3
"""Make the same one-record edit in any peer's copy of a record (the "one record edited" phase).

Usage: python3 edit_record.py FILE TAG

Appends the sentence " Revised in edit TAG." to the end of the first body
paragraph (the abstract), whatever the file's metadata format: YAML front
matter between `---` fences (srchgen, Hugo, MkDocs, Jekyll) or Pelican's
`Key: value` block ended by a blank line. Every peer thus gets the same
change to the same Markdown text; a new TAG per run makes each run a real
edit. Stdlib only.
"""
from __future__ import annotations

import sys


def body_start(text: str) -> int:
    """Offset of the first body character after the metadata block."""
    if text.startswith("---\n"):
        return text.index("\n---\n", 3) + 5
    return text.index("\n\n") + 2  # Pelican metadata ends at the first blank line


def edit_text(text: str, tag: str) -> str:
    """The text with the abstract's first paragraph extended by one sentence."""
    i = body_start(text)
    while text.startswith("\n", i):
        i += 1
    end = text.find("\n\n", i)
    if end < 0:
        end = len(text.rstrip("\n"))
    return text[:end] + " Revised in edit %s." % tag + text[end:]


def main(path: str, tag: str) -> None:
    """Rewrite FILE in place."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(edit_text(text, tag))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
