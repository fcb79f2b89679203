"""Fuzz the front-matter loader and validation (issue 4): any bytes end in records or problems.

Run outside CI with `make fuzz` (atheris, coverage-guided libFuzzer). A crash is an uncaught
exception or a dead process; both leave the offending input as crash-* in the current folder.
Usage: python fuzz/fuzz_loader.py [libFuzzer flags] [CORPUS_DIR ...]
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import atheris
import pydantic  # noqa: F401  (imported before instrumentation: only srchgen is instrumented)
import yaml  # noqa: F401

with atheris.instrument_imports(include=["srchgen"]):
    from srchgen.config import Config
    from srchgen.errors import Problem
    from srchgen.load.source import parse_source
    from srchgen.check.validate import validate

HERE = Path(__file__).resolve().parent
CONFIG = Config(today=dt.date(2026, 11, 22))
NAME = "08EA5386.md"


def one_input(data: bytes) -> None:
    """The property: parse_source + validate return (records, problems) and never raise."""
    src, problems = parse_source(data, f"records/{NAME}", NAME)
    assert all(isinstance(p, Problem) for p in problems)
    if src is None:
        assert problems, "a file was rejected without a problem naming why"
        return
    valid, found = validate([src], CONFIG)
    assert all(isinstance(p, Problem) and p.path == f"records/{NAME}" for p in found)
    for p in problems + found:
        str(p)  # every problem renders as path:line:col: message


def seed_corpus(folder: Path) -> None:
    """Start from the shipped records and the hand-written hostile seeds."""
    folder.mkdir(exist_ok=True)
    for src in sorted((HERE.parent / "records").glob("*.md")) + sorted((HERE / "seeds").glob("*")):
        target = folder / src.name
        if not target.exists():
            shutil.copyfile(src, target)


def main() -> None:
    args = sys.argv[:]
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = Path.cwd() / ".fuzz-corpus"
        seed_corpus(corpus)
        args.append(str(corpus))
    if not any(a.startswith("-dict=") for a in args):
        args.append(f"-dict={HERE / 'yaml.dict'}")
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
