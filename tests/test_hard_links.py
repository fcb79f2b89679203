"""Artifact files with more than one hard link are refused (issue 15).

A hard link's other name may be anywhere on the same file system (a key, /etc/shadow on a
self-hosted runner), and nothing short of scanning the whole file system can tell; git
never makes hard links, so a registry checked out from git never has one and refusing them
costs nothing. `records/` filled by rsync -H or an unpacked archive can have them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tests.hostile.registry import build, write_record

SECRET = b"not for publication\n"


def _registry(root: Path) -> Path:
    """One record with a Lean proof attached; returns the proof file."""
    proof = root / "records" / "00005000" / "Proof.lean"
    proof.parent.mkdir(parents=True)
    proof.write_bytes(SECRET)
    write_record(root / "records", "00005000", artifacts=[{"kind": "lean4-proof", "path": "00005000/Proof.lean", "sha256": hashlib.sha256(SECRET).hexdigest()}])
    return proof


LINE = "records/00005000.md:19:9: artifacts[0].path: '00005000/Proof.lean' has 2 hard links; attach a copy of the file, not a link to one that may live outside records/"


def _published(root: Path) -> list[Path]:
    return [p for p in (root / "site").rglob("*") if p.is_file() and p.read_bytes() == SECRET]


def test_a_hard_link_to_a_file_outside_records_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "reg"
    proof = _registry(root)
    outside = tmp_path / "secret.key"
    proof.unlink()
    outside.write_bytes(SECRET)
    os.link(outside, proof)
    run = build(root)
    assert run.code == 1 and LINE in run.stderr.splitlines(), run.stderr
    assert not (root / "site").exists()


def test_a_link_made_after_a_build_is_seen_by_the_next(tmp_path: Path) -> None:
    """The cache keys artifacts by stat: a new link changes neither size, mtime nor inode, so it
    must change what the cache compares (cache.file_id)."""
    root = tmp_path / "reg"
    proof = _registry(root)
    assert build(root).code == 0 and _published(root)
    os.link(proof, tmp_path / "elsewhere")
    run = build(root)
    assert run.code == 1 and LINE in run.stderr.splitlines(), run.stderr
    os.unlink(tmp_path / "elsewhere")
    assert build(root).code == 0
