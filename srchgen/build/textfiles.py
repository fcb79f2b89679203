"""The build cache's text files (cache.py): records' big texts in one append-only file read
by span (TextBlob, TextFile), and a clean build's record pages spooled until every record is
known (Spool). Only the standard library: the no-op path imports cache.py, not this."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from srchgen.build.cache import Span, cache_dir


class TextFile:
    """One file of texts, read by span (pread: nothing is held in memory; a read-only map of it
    was tried and measured: its pages count in the process's RSS, +80 MB at 10,000 records)."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def read(self, span: Span) -> bytes:
        a, b = span
        data = os.pread(self.fd, b - a, a)
        if len(data) != b - a:
            raise OSError(f"{self.path}: text span {a}-{b} is past the end of the file")
        return data

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Spool:
    """Bytes made now and written later (a clean build's record pages and files, made as each
    record is processed): an unnamed file in the cache folder, gone when closed or when the
    process dies, read back by span with pread, so the bytes do not count in the build's memory."""

    def __init__(self, out: Path):
        self.folder = cache_dir(out)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.file = tempfile.TemporaryFile(dir=self.folder)
        except OSError as e:
            e.filename, e.filename2 = str(self.folder), None  # not the random name it tried
            raise
        self.size = 0

    def add(self, data: bytes) -> Span:
        view, start = memoryview(data), self.size
        try:
            while view:
                view = view[os.write(self.file.fileno(), view) :]
        except OSError as e:  # a full disk: os.write names no file
            e.filename = str(self.folder)
            raise
        self.size += len(data)
        return (start, self.size)

    def read(self, span: Span) -> bytes:
        a, b = span
        data = os.pread(self.file.fileno(), b - a, a)
        if len(data) != b - a:
            raise OSError(f"spool span {a}-{b} is past the end of the file")
        return data

    def close(self) -> None:
        self.file.close()


class TextBlob:
    """Records' big texts in one append-only file, written as the build makes them (so no
    build holds every record's texts in memory): unchanged records keep their spans, new
    texts are appended. A span is live once the state naming it is saved, so appending to
    the file the last state names is safe at any moment. The file is rewritten when more
    than half of it is dead. A worker process writes its own file, merged in at `save`."""

    def __init__(self, out: Path, state: dict[str, Any]):
        self.dir = cache_dir(out)
        self.dir.mkdir(parents=True, exist_ok=True)
        old = state.get("texts_file")
        self.name = old if isinstance(old, str) and (self.dir / old).is_file() else f"texts-{os.urandom(8).hex()}"
        path = self.dir / self.name
        self.main = TextFile(path, os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o644))
        self.size = os.fstat(self.main.fd).st_size
        self.others: dict[str, TextFile] = {}

    def add(self, texts: tuple[bytes, ...]) -> tuple[Span, ...]:
        """Append texts; their spans in the main file."""
        spans = []
        for t in texts:
            spans.append((self.size, self.size + len(t)))
            view = memoryview(t)
            try:
                while view:
                    view = view[os.write(self.main.fd, view) :]
            except OSError as e:  # a full disk: os.write names no file
                e.filename = str(self.main.path)
                raise
            self.size += len(t)
        return tuple(spans)

    def adopt(self, name: str) -> TextFile:
        """A worker process's text file (in the cache folder), readable now, merged at `save`."""
        if name not in self.others:
            path = self.dir / name
            self.others[name] = TextFile(path, os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)))
        return self.others[name]

    def close(self) -> None:
        """Release the files (idempotent); what was appended stays dead until a state names it."""
        for f in [self.main, *self.others.values()]:
            f.close()
        self.others = {}

    def save(self, rows: dict[str, tuple[Any, ...]], where: dict[str, str | None]) -> str:
        """Make every row's spans (row[4]) point into one file; returns its name. `where` names the
        adopted file a row's spans are in (None: the main file). Rows are re-spanned as needed."""
        starts = {w: self._append(self.others[w]) for w in sorted({w for w in where.values() if w is not None})}
        for name, row in rows.items():
            w = where.get(name)
            if w is not None:  # its texts moved with the whole file they are in
                rows[name] = (*row[:4], tuple((a + starts[w], b + starts[w]) for a, b in row[4]), *row[5:])
        live = sum(b - a for row in rows.values() for a, b in row[4])
        if live * 2 < self.size:
            self._compact(rows)
        for f in self.others.values():
            f.path.unlink(missing_ok=True)
        return self.name

    def _append(self, other: TextFile) -> int:
        """Copy a whole adopted file to the end of the main one; where it starts there."""
        start, offset = self.size, 0
        while chunk := os.pread(other.fd, 1 << 20, offset):
            self.add((chunk,))
            offset += len(chunk)
        return start

    def _compact(self, rows: dict[str, tuple[Any, ...]]) -> None:
        name = f"texts-{os.urandom(8).hex()}"  # a new name: the old state never points at a half-written file
        offset = 0
        path = self.dir / name
        try:
            with open(path, "wb", buffering=1 << 20) as f:
                for key, row in rows.items():
                    spans = []
                    for span in row[4]:
                        f.write(self.main.read(span))
                        spans.append((offset, offset + span[1] - span[0]))
                        offset += span[1] - span[0]
                    rows[key] = (*row[:4], tuple(spans), *row[5:])
        except OSError as e:  # the build fails; its rows are not saved
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
            e.filename, e.filename2 = str(path), None
            raise
        self.name = name


class WorkerTexts(TextBlob):
    """The text file a worker process writes (always a new one); the parent adopts it by name."""

    def __init__(self, out: Path):
        super().__init__(out, {})
