"""Artifact facts: what the disk says about each `artifacts[].path` a record declares (SPEC §2).

`source.load_source` attaches them to the `SourceFile` it reads; `validate` judges them and
`entry` publishes the usable ones. They are separate from `source` because they are about
files beside the record, not the record file: each path is checked to stay inside
records/<HEX>/ without following a symbolic or hard link, then stat'ed and hashed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping


@dataclass(frozen=True)
class ArtifactFact:
    """What the disk says about one `artifacts[].path` (SPEC §2); judged by validate."""

    path: str
    problem: str | None  # why the path is unusable, or None
    size: int = 0
    sha256: str | None = None
    source: Path | None = None  # absolute file to publish


def artifact_facts(records_dir: Path, stem: str, data: Mapping[str, Any]) -> dict[str, ArtifactFact]:
    """Stat and hash each declared artifact; never follows a path outside records/<HEX>/."""
    facts: dict[str, ArtifactFact] = {}
    items = data.get("artifacts")
    if not isinstance(items, list):
        return facts
    own = records_dir / stem
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        rel = item["path"]
        facts[rel] = _artifact_fact(records_dir, own, stem, rel)
    return facts


def _artifact_fact(records_dir: Path, own: Path, stem: str, rel: str) -> ArtifactFact:
    p = PurePosixPath(rel)
    if "\\" in rel:
        return ArtifactFact(rel, f"contains '\\'; separate folders with '/', e.g. {stem}/proof.lean")
    if rel.startswith("/") or p.is_absolute():
        return ArtifactFact(rel, f"must be a relative path such as {stem}/proof.lean")
    if ".." in p.parts:
        return ArtifactFact(rel, f"must not contain '..'; give the path inside {stem}/")
    if len(p.parts) < 2 or p.parts[0] != stem:
        return ArtifactFact(rel, f"must be inside the record's own folder {stem}/")
    try:
        return _stat_artifact(records_dir, rel, p)
    except (OSError, ValueError) as e:  # e.g. a name longer than the file system allows (ENAMETOOLONG)
        return ArtifactFact(rel, f"cannot be read: {getattr(e, 'strerror', None) or e}")


def _stat_artifact(records_dir: Path, rel: str, p: PurePosixPath) -> ArtifactFact:
    current = records_dir
    for part in p.parts:
        current = current / part
        if current.is_symlink():
            link = current.relative_to(records_dir).as_posix()
            where = "is a symbolic link" if link == rel else f"goes through the symbolic link '{link}'"
            return ArtifactFact(rel, f"{where}; attach the file itself")
    if not current.exists():
        return ArtifactFact(rel, "file not found; add the file or fix the path (relative to records/)")
    if current.is_dir():
        return ArtifactFact(rel, "is a folder; name a file inside it")
    if not current.is_file():
        return ArtifactFact(rel, "is not a regular file")
    links = current.stat().st_nlink
    if links > 1:  # its bytes may be a file outside records/ (git never makes hard links)
        return ArtifactFact(rel, f"has {links} hard links; attach a copy of the file, not a link to one that may live outside records/")
    h = hashlib.sha256()
    size = 0
    with open(current, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return ArtifactFact(rel, None, size, h.hexdigest(), current.resolve())
