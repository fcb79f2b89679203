"""`srchgen check --base REF`: records only grow additively against the base branch (SPEC §3, §5).

Additive means: corrections are only appended (never edited, reordered or removed); `id`,
`submitted` and a DOI once given never change; no record file is deleted or renamed (reported
at `path:1:1`); an existing `gate_evaluation` is only replaced by a later one. The base
version of each record is read with `git ls-tree` / `git cat-file`; nothing is checked out.
Errors point at the line in the new file.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from srchgen.errors import START, ConfigError, Position, Problem
from srchgen.load.source import SourceFile, load_source, parse_source, record_files

_FIX_CORRECTION = "corrections are additive: restore it and append a new entry (e.g. a 'clarification') instead"


@dataclass(frozen=True)
class BaseRecord:
    """One record file as it is at the base ref."""

    name: str
    source: SourceFile | None  # None when the base version itself did not parse


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, check=False)


def _usage(message: str) -> ConfigError:
    return ConfigError([Problem("--base", 1, 1, message)])


def base_records(records_dir: Path, base: str, display: str) -> dict[str, BaseRecord]:
    """The `*.md` files directly in records/ at `base`, parsed; raises ConfigError (exit 2) if git cannot say."""
    records_dir = records_dir.resolve()
    top = _git(records_dir, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise _usage(f"--base needs a git repository, and {display}/ is not inside one")
    commit = _git(records_dir, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    if commit.returncode != 0:
        raise _usage(f"--base {base}: no such commit or branch here (in CI, check out with fetch-depth: 0)")
    sha = commit.stdout.decode().strip()
    prefix = records_dir.relative_to(Path(top.stdout.decode().strip()).resolve()).as_posix()
    tree = f"{sha}:{prefix}" if prefix != "." else f"{sha}:"
    listing = _git(records_dir, "ls-tree", "--full-tree", "-z", tree)
    if listing.returncode != 0:  # records/ did not exist at base: every record is new
        return {}
    blobs: list[tuple[str, str]] = []
    for entry in listing.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        meta, name = entry.split("\t", 1)
        mode, kind, obj = meta.split()
        if kind == "blob" and name.endswith(".md"):
            blobs.append((name, obj))
    if not blobs:
        return {}
    batch = _git(records_dir, "cat-file", "--batch", stdin="".join(f"{obj}\n" for _, obj in blobs).encode())
    data, pos, out = batch.stdout, 0, {}
    for name, _ in blobs:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split()[2])
        raw = data[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        src, _problems = parse_source(raw, f"{display}/{name}", name)
        out[name] = BaseRecord(name, src)
    return out


def _norm(value: Any) -> Any:
    """Comparable form: dates as ISO text (quoted or not), containers recursively."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _instant(value: Any) -> dt.datetime | None:
    """`gate_evaluation.evaluated` as an aware UTC datetime, or None when it is not one."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc)
    return None


def _describe(entry: Any) -> str:
    if isinstance(entry, Mapping):
        return f"{_norm(entry.get('date'))} {entry.get('type')}"
    return repr(entry)


def compare(old: SourceFile, new: SourceFile, base: str) -> list[Problem]:
    """Every additive-history rule for one record present at base and now."""
    out: list[Problem] = []

    def err(pos: Position, msg: str) -> None:
        out.append(Problem.at(new.path, pos, msg))

    o, n = old.data, new.data
    for key in ("id", "submitted"):
        if key in o and _norm(o[key]) != _norm(n.get(key)):
            if key in n:
                err(new.value_pos((key,)), f"{key}: changed from {_norm(o[key])} (at {base}) to {_norm(n[key])}; a record's {key} never changes")
            else:
                err(START, f"{key}: {_norm(o[key])} (at {base}) was removed; a record's {key} never changes")
    old_doi = o.get("doi")
    if isinstance(old_doi, str) and old_doi.strip():
        new_doi = n.get("doi")
        if not isinstance(new_doi, str) or new_doi.strip().lower() != old_doi.strip().lower():
            if new_doi is None:
                err(new.value_pos(("doi",)) if "doi" in n else START, f"doi: {old_doi.strip()} (at {base}) was removed; a DOI once given never changes")
            else:
                err(new.value_pos(("doi",)), f"doi: changed from {old_doi.strip()} (at {base}) to {_norm(new_doi)}; a DOI once given never changes")
    out.extend(_corrections(old, new, base))
    out.extend(_gate(old, new, base))
    return out


def _corrections(old: SourceFile, new: SourceFile, base: str) -> list[Problem]:
    before = old.data.get("corrections")
    after = new.data.get("corrections")
    if not isinstance(before, list) or not before:
        return []
    after = after if isinstance(after, list) else []
    was, now = [_norm(e) for e in before], [_norm(e) for e in after]
    out: list[Problem] = []
    for i, entry in enumerate(was):
        if i >= len(now):
            where = new.key_pos(("corrections",)) if "corrections" in new.data else START
            removed = len(was) - len(now)
            out.append(Problem.at(new.path, where, f"corrections: {removed} entr{'y' if removed == 1 else 'ies'} of {base} removed (from corrections[{i}], {_describe(before[i])}); {_FIX_CORRECTION}"))
            break
        if now[i] == entry:
            continue
        if entry in now[i + 1 :] or entry in now[:i]:  # the old entry is still there, elsewhere
            j = now.index(entry)
            out.append(Problem.at(new.path, new.value_pos(("corrections", i)), f"corrections[{i}]: the entry of {base} at this position ({_describe(before[i])}) is now corrections[{j}]; keep existing entries in order and append new ones at the end"))
            break
        if not isinstance(entry, dict) or not isinstance(now[i], dict):
            out.append(Problem.at(new.path, new.value_pos(("corrections", i)), f"corrections[{i}]: edited since {base}; {_FIX_CORRECTION}"))
            continue
        keys = [k for k in list(entry) + [k for k in now[i] if k not in entry] if entry.get(k) != now[i].get(k)]
        key = keys[0]
        loc = ("corrections", i, key)
        pos = new.value_pos(loc) if loc in new.values else new.value_pos(("corrections", i))
        out.append(Problem.at(new.path, pos, f"corrections[{i}].{key}: edited since {base} (was {entry.get(key)!r}); {_FIX_CORRECTION}"))
    return out


def _gate(old: SourceFile, new: SourceFile, base: str) -> list[Problem]:
    before = old.data.get("gate_evaluation")
    after = new.data.get("gate_evaluation")
    if not isinstance(before, dict) or _norm(before) == _norm(after):
        return []
    if not isinstance(after, dict):
        return [Problem.at(new.path, START, f"gate_evaluation: removed since {base}; an evaluation is only replaced by a later one")]
    t0, t1 = _instant(before.get("evaluated")), _instant(after.get("evaluated"))
    if t0 is None or t1 is None:  # an unreadable time is reported by validation
        return []
    if t1 <= t0:
        what = "edited" if t1 == t0 else f"replaced by an earlier one ({t1.isoformat()})"
        pos = new.value_pos(("gate_evaluation", "evaluated"))
        return [Problem.at(new.path, pos, f"gate_evaluation: {what}; the evaluation of {t0.isoformat()} at {base} is only replaced by a later one")]
    if _signed(before) and not _signed(after):
        # Issue 7: a signed evaluation is only replaced by a later *signed* one.
        pos = new.key_pos(("gate_evaluation",))
        return [Problem.at(new.path, pos, f"gate_evaluation: the signed evaluation of {t0.isoformat()} at {base} is replaced by an unsigned one; record the new evaluation with 'srchgen gate record'")]
    return []


def _signed(evaluation: Mapping[str, Any]) -> bool:
    sig = evaluation.get("signature")
    return isinstance(sig, str) and bool(sig.strip())


def check_base(records_dir: Path, display: str, base: str, root: Path | None = None) -> list[Problem]:
    """All additive-history problems of the registry against git ref `base` (SPEC §3 'Additive means').

    With `root` (the project folder), evaluations added or changed since `base` must also verify
    against the `gate_signers` file as it was at `base` (issue 7).
    """
    display = display.rstrip("/") or "."
    old = base_records(records_dir, base, display)
    files = {f.name: f for f in record_files(records_dir)}
    trusted = base_signers(root, base) if root is not None else None
    current: dict[str, SourceFile] = {}
    for name, file in files.items():
        if name in old:
            src, _ = load_source(file, records_dir, display)
            if src is not None:
                current[name] = src
    out: list[Problem] = []
    added: dict[str, str] | None = None
    for name, rec in sorted(old.items()):
        shown = f"{display}/{name}"
        if name not in files:
            if added is None:
                added = _added(files, old, records_dir, display)
            keys = [rec.source.data.get(k) for k in ("id", "research_question")] if rec.source else []
            moved = next((added[k] for k in keys if isinstance(k, str) and k in added), None)
            how = f"renamed to {moved}" if moved else "deleted"
            out.append(Problem(shown, 1, 1, f"record file {how} since {base}; records are never deleted or renamed: restore {shown} (withdraw a record with a 'withdrawal' correction instead)"))
            continue
        if rec.source is not None and name in current:
            out.extend(compare(rec.source, current[name], base))
    if trusted is not None:
        out.extend(_signed_at_base(trusted, old, files, current, records_dir, display, base))
    return out


@dataclass(frozen=True)
class BaseSigners:
    """The allowed_signers file of `base`, when it differs from the one in the working tree."""

    shown: str  # e.g. "gate/allowed_signers at main"
    signers: Any  # gate.signers.AllowedSigners


def _show(root: Path, base: str, rel: str) -> bytes | None:
    """A file's bytes at `base` (path relative to the project root), or None when it did not exist."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        return None
    prefix = root.resolve().relative_to(Path(top.stdout.decode().strip()).resolve()).as_posix()
    path = posixpath.normpath(posixpath.join(prefix, rel)) if prefix != "." else posixpath.normpath(rel)
    shown = _git(root, "show", f"{base}:{path}")
    return shown.stdout if shown.returncode == 0 else None


def base_signers(root: Path, base: str) -> BaseSigners | None:
    """The gate_signers file as configured and written at `base`; None when there was none or it is unchanged.

    A pull request could add its own key to allowed_signers (or drop the setting) and sign with
    it; evaluations it adds are therefore verified against the file the base branch trusts. When
    setting and file are unchanged, the ordinary check already says the same.
    """
    import tomllib

    from srchgen.gate.sig import GateSigError
    from srchgen.gate.signers import parse_allowed_signers

    config = _show(root, base, "pyproject.toml")
    if config is None:
        return None
    try:
        name = tomllib.loads(config.decode("utf-8")).get("tool", {}).get("srchgen", {}).get("gate_signers")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        return None
    if not isinstance(name, str):
        return None
    data = _show(root, base, name)
    if data is None:
        return None
    try:
        now = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("tool", {}).get("srchgen", {}).get("gate_signers")
        if now == name and (root / name).read_bytes() == data:
            return None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError):
        pass
    try:
        return BaseSigners(f"{name} at {base}", parse_allowed_signers(data.decode("utf-8"), Path(f"{name} at {base}")))
    except (GateSigError, UnicodeDecodeError):
        return None


def _signed_at_base(
    trusted: BaseSigners,
    old: Mapping[str, BaseRecord],
    files: Mapping[str, Path],
    current: dict[str, SourceFile],
    records_dir: Path,
    display: str,
    base: str,
) -> list[Problem]:
    """Evaluations added or changed since `base` must verify against the signers `base` trusts."""
    from srchgen.gate.check import SignatureChecker
    from srchgen.check.schema_errors import check_schema

    checker = SignatureChecker(trusted.signers)
    out: list[Problem] = []
    for name, file in sorted(files.items()):
        src = current.get(name)
        if src is None:
            src, _ = load_source(file, records_dir, display)
        if src is None or not isinstance(src.data.get("gate_evaluation"), dict):
            continue
        before = old[name].source if name in old else None
        if before is not None and _norm(before.data.get("gate_evaluation")) == _norm(src.data.get("gate_evaluation")):
            continue
        rec, _ = check_schema(src)
        if rec is None:
            continue  # reported by the ordinary check
        for p in checker(src, rec):
            message = p.message.replace("gate_evaluation.signature: ", f"gate_evaluation.signature: against {trusted.shown}: ", 1)
            out.append(Problem(p.path, p.line, p.col, message, p.severity))
    return out


def _added(files: Mapping[str, Path], old: Mapping[str, BaseRecord], records_dir: Path, display: str) -> dict[str, str]:
    """Files new since base, by id and by research question, to tell a rename from a deletion."""
    found: dict[str, str] = {}
    for name, file in files.items():
        if name in old:
            continue
        src, _ = load_source(file, records_dir, display)
        for key in ("id", "research_question") if src is not None else ():
            value = src.data.get(key)
            if isinstance(value, str):
                found.setdefault(value, src.path)
    return found
