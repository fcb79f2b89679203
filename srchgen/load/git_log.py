"""Each record's history from git (issue 14): ONE `git log` over records/, parsed once.

The history of a record is the list of merged changes to its file, newest first: when (the
commit's date, UTC), which commit, and what changed. Merged: `--first-parent`, so a pull request
merged into the branch shows as its merge commit (its whole change against the branch), and a
squash or rebase merge as its commits.

What changed is read from that one log's zero-context patches (`-p -U0`) of the record files,
not by loading two versions of every file and comparing their front matter (one `git show` per
version: a process or a blob read per change) and not from commit subjects, which say what an
author chose to say. A change whose lines touch `gate_evaluation` (its `evaluated`, `outcome`,
`artifact_sha256`, `signature`) is a gate evaluation; one that adds a corrections entry (a
`type:` line naming a Crossref update type) appends a correction, named by its type; a new file
is the record's addition; anything else is an edit. The patch lines of a newly added file are
skipped unread (they are the whole file), so the parse costs about the size of the edits.

Without a git repository, in a shallow clone, or when git is missing or refuses the folder,
there is no history, and `History.missing` says why; the page says so. Standard library only
(cache.fingerprint reads `head_state` on the no-op path).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_UPDATE_TYPES = (
    "addendum|clarification|correction|corrigendum|erratum|expression-of-concern|partial-retraction|"
    "retraction|withdrawal|reinstatement"
)
_CORRECTION_TYPE = re.compile(rf"^\+\s*(?:-\s+)?type:\s*['\"]?({_UPDATE_TYPES})['\"]?\s*$")
_GATE_LINE = re.compile(r"^[+-]\s*(?:gate_evaluation|evaluated|outcome|artifact_sha256|signature)\s*:")
# The rest of an evaluation's lines: its artifact hashes and its SSH signature's armour and base64.
_GATE_BODY = re.compile(r"^[+-]\s*(?:-\s*['\"]?[0-9a-f]{64}['\"]?|-----(?:BEGIN|END) SSH SIGNATURE-----|[A-Za-z0-9+/]{16,}={0,2})\s*$")
_RECORD_FILE = re.compile(r"(?:^|/)([0-9A-F]{8})\.md$")
_SEP, _FIELD = "\x1e", "\x1f"

ADDED = "Record added"
GATE = "Gate evaluation"
EDIT = "Edit"


@dataclass(frozen=True)
class Change:
    """One merged change to a record's file."""

    commit: str  # full hash
    date: dt.date  # the commit's date, in UTC
    what: str  # "Record added", "Correction appended (erratum)", "Gate evaluation", "Edit"; joined by "; "
    subject: str  # the commit's subject line

    @property
    def short(self) -> str:
        return self.commit[:7]


@dataclass(frozen=True)
class History:
    """Every record's changes (by its hex id), or why there are none."""

    by_hex: dict[str, tuple[Change, ...]] = field(default_factory=dict)
    missing: str | None = None  # why there is no history ("not a git repository", ...)
    path: str = "records/"  # the records folder's path in the repository, for links to versions
    key: str = ""  # digest of everything the history shows: part of the build cache's key

    def of(self, hex_id: str) -> tuple[Change, ...]:
        return self.by_hex.get(hex_id, ())


def repository_file(repository: str | None, view: str, hex_id: str, path: str = "records/") -> str | None:
    """`{repository}/{view}/records/<HEX>.md`: view is "edit/main" (Suggest a correction),
    "blob/main" (the file) or "blob/<commit>" (one version of it); None without a repository."""
    if not repository:
        return None
    return f"{repository.rstrip('/')}/{view}/{path}{hex_id}.md"


def _git(records: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    try:
        return subprocess.run(["git", "-C", str(records), *args], capture_output=True, env=env, check=False)
    except OSError:
        return None


def read(records: Path) -> History:
    """The history of every record file under `records`, from one `git log` (see the module's doc)."""
    info = _git(records, "rev-parse", "--is-shallow-repository", "--show-prefix")
    if info is None:
        return _missing("git is not installed")
    if info.returncode != 0:
        return _missing("the records are not in a git repository")
    lines = info.stdout.decode("utf-8", "replace").splitlines()
    if lines and lines[0].strip() == "true":
        return _missing("the repository is a shallow clone (fetch its full history: fetch-depth: 0)")
    prefix = lines[1].strip() if len(lines) > 1 else ""
    log = _git(
        records, "-c", "core.quotepath=off", "log", "--first-parent", "--diff-merges=first-parent", "--no-renames",
        "--no-color", "--no-ext-diff", "--no-textconv", "-p", "-U0", f"--format={_SEP}%H{_FIELD}%cI{_FIELD}%s",
        "--", ":(glob)*.md",
    )
    if log is None or log.returncode != 0:
        return _missing("git could not read the records' history")
    history = parse(log.stdout.decode("utf-8", "replace"))
    key = hashlib.sha256(prefix.encode() + b"\0" + log.stdout).hexdigest()
    return History(history, None, prefix, key)


def _missing(why: str) -> History:
    return History({}, why, "records/", hashlib.sha256(why.encode()).hexdigest())


def parse(text: str) -> dict[str, tuple[Change, ...]]:
    """`git log -p -U0 --format=<SEP>%H<FS>%cI<FS>%s` output -> each record's changes, newest first."""
    out: dict[str, list[Change]] = {}
    for block in text.split(_SEP)[1:]:
        head, _, patch = block.partition("\n")
        commit, when, subject = (head.split(_FIELD) + ["", ""])[:3]
        try:
            day = dt.datetime.fromisoformat(when).astimezone(dt.timezone.utc).date()
        except ValueError:
            continue
        for hex_id, kinds in _files(patch):
            out.setdefault(hex_id, []).append(Change(commit, day, "; ".join(kinds), subject))
    return {k: tuple(v) for k, v in out.items()}


def _files(patch: str) -> list[tuple[str, list[str]]]:
    """Per record file in one commit's patch: what changed, in a fixed order."""
    found: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    new_file = False
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            m = _RECORD_FILE.search(line.rsplit(" b/", 1)[-1])
            current = [] if m else None
            new_file = False
            if m:
                found.append((m.group(1), current))  # type: ignore[arg-type]
            continue
        if current is None:
            continue
        if line.startswith("new file mode"):
            new_file = True
            current.append(ADDED)
        elif line.startswith("deleted file mode"):
            current.append("Record file deleted")
        elif new_file or line.startswith(("+++", "---", "@@", "index ")):
            continue
        elif line[:1] in "+-" and line:
            m = _CORRECTION_TYPE.match(line)
            if m:
                current.append(f"Correction appended ({m.group(1)})")
            elif _GATE_LINE.match(line) or (GATE in current and _GATE_BODY.match(line)):
                if GATE not in current:
                    current.append(GATE)
            elif EDIT not in current and not line[1:].strip().startswith(("summary:", "date:", "corrections:", "- date:")):
                current.append(EDIT)
    return [(h, kinds or [EDIT]) for h, kinds in found]


def head_state(records: Path) -> bytes:
    """What the repository's HEAD is, read from files (no process): a commit changes it, so the
    no-op check (cache.fingerprint) sees new history without running git."""
    try:
        start = records.resolve()
    except OSError:
        return b"-"
    for folder in (start, *start.parents):
        dot = folder / ".git"
        try:
            if dot.is_file():
                text = dot.read_text(encoding="utf-8").strip()
                gitdir = Path(text.removeprefix("gitdir:").strip())
                gitdir = gitdir if gitdir.is_absolute() else (folder / gitdir)
            elif dot.is_dir():
                gitdir = dot
            else:
                continue
            common = gitdir
            if (gitdir / "commondir").is_file():
                common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
            head = (gitdir / "HEAD").read_bytes()
            parts = [head]
            if head.startswith(b"ref:"):
                ref = head[4:].strip().decode("utf-8", "replace")
                for base in (gitdir, common):
                    if (base / ref).is_file():
                        parts.append((base / ref).read_bytes())
                        break
                packed = common / "packed-refs"
                if packed.is_file():
                    st = packed.stat()
                    parts.append(f"{st.st_size}:{st.st_mtime_ns}".encode())
            shallow = common / "shallow"
            parts.append(shallow.read_bytes() if shallow.is_file() else b"")
            return b"git\0" + b"\0".join(parts)
        except OSError:
            return b"-unreadable-"
    return b"-no-git-"
