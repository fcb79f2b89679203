"""Load stage: read record files, split front matter, compose YAML keeping every position.

Only this module (with `artifacts`) and `write` touch the disk. Scalars are built from the composed node
tree by our own walker, so YAML 1.1 surprises (`no` as a boolean, `1984` as a number)
reach validation as what they are, with the raw text kept for the error message.

Two paths, one outcome. The full path (compose with marks, then `_Walker`) is the
reference and the only one that reports problems. The fast path (`yaml_fast.fast`) reads the same
libyaml event stream flatly, builds the same data and the same key/value positions, and
gives up (returns None) on anything it cannot vouch for: then the full path runs, so a
record with a problem always gets exactly its full-path messages. Raw scalars (text,
kind, quoted), which only a problem's message needs, are composed on first use.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml
from yaml.constructor import SafeConstructor

from srchgen.load.artifacts import ArtifactFact, artifact_facts
from srchgen.errors import START, Position, Problem
from srchgen.load.yaml_fast import FAST, MAX_DEPTH, Path_, _Loader, _Marks, _T
from srchgen.load.yaml_fast import _constructor as _constructor
from srchgen.load.yaml_fast import fast as _fast
from srchgen.load.yaml_problems import anchor_check, depth_check, tag_message, yaml_problem

MAX_BYTES = 1024 * 1024  # SPEC §2: a record file is at most 1 MiB

_SCALAR_TAGS = {_T + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_TAG_NAMES = {
    _T + "str": "text",
    _T + "int": "number",
    _T + "float": "number",
    _T + "bool": "boolean",
    _T + "null": "null",
    _T + "timestamp": "date",
    _T + "seq": "list",
    _T + "map": "mapping",
}
_FENCE = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(---|\.\.\.)[ \t]*")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)", re.M)


@dataclass(frozen=True)
class Scalar:
    """What the author wrote for one value: its raw text, the YAML type it resolved to, quoted or not."""

    text: str
    kind: str  # text | number | boolean | null | date | list | mapping
    quoted: bool


@dataclass(frozen=True)
class SourceFile:
    """One record file as read: front matter with positions, body, artifact facts."""

    path: str  # as shown to the user
    name: str  # file name, e.g. 08EA5386.md
    data: Mapping[str, Any]
    keys: Mapping[Path_, Position]  # position of each key
    values: Mapping[Path_, Position]  # position of each value
    scalars: Mapping[Path_, Scalar]
    body: str
    body_line: int
    digest: str  # sha256 of the file bytes
    artifacts: Mapping[str, ArtifactFact] = field(default_factory=dict)
    # No SUSPECT character and no backslash in the file, so no string of it holds one (a YAML
    # escape needs a backslash): lint.lint_suspect_characters has nothing to look for.
    plain: bool = False

    @property
    def stem(self) -> str:
        return self.name[:-3] if self.name.endswith(".md") else self.name

    def key_pos(self, path: Path_) -> Position:
        """Position of the key at `path`, else of its nearest ancestor, else 1:1."""
        for n in range(len(path), 0, -1):
            if path[:n] in self.keys:
                return self.keys[path[:n]]
        return START

    def value_pos(self, path: Path_) -> Position:
        """Position of the value at `path`, else the nearest ancestor's key."""
        if path in self.values:
            return self.values[path]
        return self.key_pos(path)


class _Reject(Exception):
    def __init__(self, pos: Position, message: str):
        self.pos, self.message = pos, message


def _pos(node: yaml.Node, offset: int) -> Position:
    return Position(node.start_mark.line + offset + 1, node.start_mark.column + 1)


class _Walker:
    """Turns a composed node tree into plain values, recording positions and raw scalars."""

    def __init__(self, offset: int):
        self.offset = offset
        self.keys: dict[Path_, Position] = {}
        self.values: dict[Path_, Position] = {}
        self.scalars: dict[Path_, Scalar] = {}
        self.seen: set[int] = set()
        self.problems: list[tuple[Position, str]] = []
        self.data: dict[str, Any] = {}

    def walk(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        pos = _pos(node, self.offset)
        if id(node) in self.seen:  # an alias: the composer hands back the same node
            raise _Reject(pos, "YAML aliases are not allowed; write the value out")
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _Reject(pos, f"nested more than {MAX_DEPTH} levels deep")
        self.values[path] = pos
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag not in _SCALAR_TAGS:
                raise _Reject(pos, tag_message(tag))
            quoted = bool(node.style) and node.style in "'\"|>"
            self.scalars[path] = Scalar(node.value, _TAG_NAMES[tag], quoted)
            if "\x00" in node.value:  # a YAML escape (\\0, \\x00) is still a NUL in the text
                raise _Reject(pos, "NUL character in a value; records are text")
            if tag == _T + "str":
                return node.value
            try:
                return SafeConstructor.yaml_constructors[tag](_constructor, node)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError):
                # e.g. 2026-02-30 matches the timestamp pattern but is no date: keep the text
                self.scalars[path] = Scalar(node.value, "text", quoted)
                return node.value
        if isinstance(node, yaml.SequenceNode):
            if tag != _T + "seq":
                raise _Reject(pos, tag_message(tag))
            self.scalars[path] = Scalar("", "list", False)
            return [self.walk(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if tag != _T + "map":
                raise _Reject(pos, tag_message(tag))
            self.scalars[path] = Scalar("", "mapping", False)
            out: dict[str, Any] = {}
            for knode, vnode in node.value:
                kpos = _pos(knode, self.offset)
                if knode.tag == _T + "merge":
                    raise _Reject(kpos, "YAML merge keys (<<) are not allowed; write the keys out")
                if not isinstance(knode, yaml.ScalarNode) or knode.tag != _T + "str":
                    text = knode.value if isinstance(knode, yaml.ScalarNode) else "a non-text key"
                    self.problems.append((kpos, f"key {text!r} must be text; quote it"))
                    continue
                key = knode.value
                if key in out:
                    first = self.keys[path + (key,)]
                    self.problems.append(
                        (kpos, f"duplicate key '{key}' (first defined at line {first.line}); keep one")
                    )
                    continue
                self.keys[path + (key,)] = kpos
                out[key] = self.walk(vnode, path + (key,), depth + 1)
            return out
        raise _Reject(pos, "unsupported YAML node")  # pragma: no cover


def _decode(raw: bytes, path: str) -> tuple[str | None, list[Problem]]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [Problem(path, line, col, f"not UTF-8: byte 0x{raw[e.start]:02x} cannot be decoded; save the file as UTF-8")]
    text = text.replace("\r\n", "\n")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        return None, [Problem(path, line, col, "NUL byte in file; records are text")]
    return text, []


# Bidi overrides/isolates and C0/C1 controls other than tab and newline (lint.lint_suspect_characters).
SUSPECT = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\x00-\x08\x0b-\x1f\x7f-\x9f]")


def parse_source(raw: bytes, path: str, name: str) -> tuple[SourceFile | None, list[Problem]]:
    """Split and compose one record file's bytes. Pure: no disk access."""
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_BYTES:
        return None, [Problem(path, 1, 1, f"file is {len(raw):,} bytes; a record may be at most {MAX_BYTES:,} bytes (1 MiB)")]
    text, problems = _decode(raw, path)
    if text is None:
        return None, problems
    lines = text.split("\n")
    if not lines or not _FENCE.fullmatch(lines[0]):
        first = lines[0].strip() if lines else ""
        found = f"found '{first[:40]}'" if first else "found an empty line"
        return None, [Problem(path, 1, 1, f"missing front matter: the file must start with a '---' line ({found})")]
    close = next((i for i in range(1, len(lines)) if _CLOSE.fullmatch(lines[i])), None)
    if close is None:
        return None, [Problem(path, 1, 1, "front matter is not closed: add a '---' line after the manifest")]
    fm = "\n".join(lines[1:close]) + "\n"
    offset = 1  # the front matter starts on line 2 of the file
    fast = _fast(fm) if FAST else None
    if fast is not None:  # the common, valid record: no node tree, no walk, nothing to report
        data, keys, values = fast[0], _Positions(fast[1], offset), _Positions(fast[2], offset)
        scalars: Mapping[Path_, Scalar] = _LazyScalars(fm, offset)
        problems = []
    else:
        walker = _compose(fm, offset)
        if not isinstance(walker, _Walker):
            return None, [Problem.at(path, walker[0], walker[1])]
        data, keys, values, scalars = walker.data, walker.keys, walker.values, walker.scalars
        problems = [Problem.at(path, p, m) for p, m in walker.problems]
    body = "\n".join(lines[close + 1 :])
    src = SourceFile(
        path=path,
        name=name,
        data=data,
        keys=keys,
        values=values,
        scalars=scalars,
        body=body,
        body_line=close + 2,
        digest=digest,
        plain="\\" not in text and SUSPECT.search(text) is None,
    )
    return src, problems


def _compose(fm: str, offset: int) -> "_Walker | tuple[Position, str]":
    """The full path: compose with marks and walk every node; a walker holding the data,
    every position and every raw scalar, or the one problem that stops the record."""
    for check in (depth_check, anchor_check):
        try:
            found = check(fm, offset)
        except yaml.YAMLError as e:
            found = yaml_problem(e, offset, fm)
        if found:
            return found
    try:
        root = yaml.compose(fm, Loader=_Loader)
    except yaml.YAMLError as e:
        return yaml_problem(e, offset, fm)
    except RecursionError:
        return Position(2, 1), f"nested more than {MAX_DEPTH} levels deep"
    if not isinstance(root, yaml.MappingNode):
        pos = _pos(root, offset) if root is not None else Position(2, 1)
        found = "nothing" if root is None else ("a list" if isinstance(root, yaml.SequenceNode) else "a single value")
        return pos, f"front matter must be a mapping of keys, one 'key: value' per line (manifest: ..., id: ..., ...); found {found}"
    walker = _Walker(offset)
    try:
        walker.data = walker.walk(root, ())
    except _Reject as r:
        return r.pos, r.message
    return walker


# --- The fast path -------------------------------------------------------------------------
#
class _Positions(Mapping[Path_, Position]):
    """The fast path's marks as Positions in the file, made when asked for (few ever are)."""

    __slots__ = ("_marks", "_offset")

    def __init__(self, marks: _Marks, offset: int):
        self._marks, self._offset = marks, offset

    def __getitem__(self, path: Path_) -> Position:
        mark = self._marks[path]
        return Position(mark.line + self._offset + 1, mark.column + 1)

    def __contains__(self, path: object) -> bool:
        return path in self._marks

    def __iter__(self) -> Iterator[Path_]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)


class _LazyScalars(Mapping[Path_, Scalar]):
    """Raw scalars of a fast-path record, from the full path on first use (a message needs them)."""

    __slots__ = ("_fm", "_offset", "_scalars")

    def __init__(self, fm: str, offset: int):
        self._fm, self._offset = fm, offset
        self._scalars: dict[Path_, Scalar] | None = None

    def _all(self) -> dict[Path_, Scalar]:
        if self._scalars is None:
            walker = _compose(self._fm, self._offset)
            assert isinstance(walker, _Walker), "the fast path took a front matter the full path rejects"
            self._scalars = walker.scalars
        return self._scalars

    def __getitem__(self, path: Path_) -> Scalar:
        return self._all()[path]

    def __contains__(self, path: object) -> bool:
        return path in self._all()

    def __iter__(self) -> Iterator[Path_]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def abstract_of(body: str) -> str:
    """The abstract is the body text before its first heading (SPEC §2). The last answer is
    kept: lint, derive and the Entry each ask it of the same body (six searches a record)."""
    global _last_abstract
    if body == _last_abstract[0]:
        return _last_abstract[1]
    m = _HEADING.search(body)
    abstract = body[: m.start()] if m else body
    _last_abstract = (body, abstract)
    return abstract


_last_abstract = ("", "")


def record_files(records_dir: Path) -> list[Path]:
    """The `*.md` files directly in records/, sorted by name (never by listing order)."""
    with os.scandir(records_dir) as it:
        names = [e.name for e in it if e.name.endswith(".md")]
    return [records_dir / n for n in sorted(names)]


_NO_SUCH_FILE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what Path.is_symlink() takes for "not there"


def load_source(file: Path, records_dir: Path, display_dir: str) -> tuple[SourceFile | None, list[Problem]]:
    """Read one record file from disk, with its artifact facts."""
    shown = f"{display_dir.rstrip('/')}/{file.name}" if display_dir else file.name
    # One lstat answers Path.is_symlink(), is_file() and stat().st_size, with their errors (three
    # calls and a buffered read cost ~21 us a record, this ~10).
    try:
        st: os.stat_result | None = os.lstat(file)
    except OSError as e:
        if e.errno not in _NO_SUCH_FILE:
            raise
        st = None
    except ValueError:  # a name the system cannot take
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        return None, [Problem(shown, 1, 1, "record file is a symbolic link; records must be regular files")]
    if st is None or not stat.S_ISREG(st.st_mode):
        return None, [Problem(shown, 1, 1, "not a regular file")]
    if st.st_size > MAX_BYTES:
        return None, [Problem(shown, 1, 1, f"file is {st.st_size:,} bytes; a record may be at most {MAX_BYTES:,} bytes (1 MiB)")]
    try:
        with open(file, "rb", buffering=0) as f:
            raw = f.readall()
    except OSError as e:
        return None, [Problem(shown, 1, 1, f"cannot read file: {e.strerror}")]
    src, problems = parse_source(raw, shown, file.name)
    if src is not None:
        src = _with_artifacts(src, records_dir)
    return src, problems


def _with_artifacts(src: SourceFile, records_dir: Path) -> SourceFile:
    facts = artifact_facts(records_dir, src.stem, src.data)
    if not facts:
        return src
    return SourceFile(**{**src.__dict__, "artifacts": facts})


def load_sources(records_dir: Path, display_dir: str) -> tuple[list[SourceFile], list[Problem]]:
    """Load every record; problems of every file are collected, none stops the others."""
    sources: list[SourceFile] = []
    problems: list[Problem] = []
    for file in record_files(records_dir):
        src, found = load_source(file, records_dir, display_dir)
        problems.extend(found)
        if src is not None:
            sources.append(src)
    return sources, problems
