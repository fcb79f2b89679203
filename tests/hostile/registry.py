"""Build throwaway registries for the hostile, safety and determinism tests.

Records are written with `yaml.safe_dump`, so hostile strings reach the loader as the
exact values under test rather than as YAML syntax errors.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EPOCH = "1790000000"  # 2026-09-21, after every submitted date below (SPEC §2: no future dates)
TRACEBACK = "Traceback (most recent call last)"


def manifest(hex_id: str, **over: Any) -> dict[str, Any]:
    """A valid paper-manifest-v1.1 for `hex_id`; keyword overrides replace top-level keys (None drops one)."""
    data: dict[str, Any] = {
        "manifest": "paper-manifest-v1.1",
        "id": f"SRCH:{hex_id}",
        "research_question": f"How does method {hex_id} compare with dense baselines on held-out benchmarks?",
        "submitted": dt.date(2026, 5, 28),
        "section": "research",
        "topics": ["mixture-of-experts"],
        "review": {"score": 7.83, "method": "Automated multi-reviewer assessment"},
        "claims": {"source_grounded": 6, "record_source": None},
        "publisher": "Assignee Research",
        "report_artifact": True,
    }
    for k, v in over.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = copy.deepcopy(v)
    return data


BODY = (
    "Method {hex} is compared with dense baselines of equal parameter count on held-out "
    "benchmarks; throughput, memory and accuracy are reported for each model size.\n"
)


def record_text(hex_id: str, body: str | None = None, **over: Any) -> str:
    """The text of one record file: fenced YAML front matter and a Markdown body."""
    fm = yaml.safe_dump(manifest(hex_id, **over), sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{fm}---\n{BODY.format(hex=hex_id) if body is None else body}"


def write_record(records: Path, hex_id: str, body: str | None = None, **over: Any) -> Path:
    records.mkdir(parents=True, exist_ok=True)
    path = records / f"{hex_id}.md"
    path.write_text(record_text(hex_id, body, **over), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Run:
    """What one CLI run did: exit code, output, and the child's own resource use."""

    code: int
    stdout: str
    stderr: str
    cpu_seconds: float  # user + system CPU of the child (not wall time: the machine may be busy)
    max_rss_mib: float
    timed_out: bool

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def env(**extra: str) -> dict[str, str]:
    """A clean, fixed environment for a child build."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PYTHONHASHSEED", "LC_", "SOURCE_DATE"))}
    base.update({"SOURCE_DATE_EPOCH": EPOCH, "PYTHONDONTWRITEBYTECODE": "1"})
    base.update(extra)
    return base


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    # A guard, not the measurement: a runaway child fails instead of taking the machine down.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def srchgen(args: list[str], cwd: Path, timeout: float = 120, **extra_env: str) -> Run:
    """Run `python -m srchgen ARGS` in `cwd`; measures the child with wait4 and kills it after `timeout` s."""
    out_path, err_path = cwd / ".run.out", cwd / ".run.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "srchgen", *args],
            cwd=cwd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env(**extra_env),
            preexec_fn=_limit_memory,
        )
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            proc.send_signal(signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    err_path.unlink()
    return Run(proc.returncode, stdout, stderr, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, fired.is_set())


def build(root: Path, *more: str, timeout: float = 120, **extra_env: str) -> Run:
    """`srchgen build` of the registry at `root` into root/site (no search index unless asked)."""
    args = ["build", "--records", "records", "--out", "site", *more]
    if "--search" in args:
        args.remove("--search")
    else:
        args.append("--no-search")
    return srchgen(args, root, timeout, **extra_env)


# Pagefind 1.5.2 writes its filter files (pagefind/filter/*.pf_filter, named by content hash),
# its metadata (*.pf_meta) and pagefind-entry.json (which names the metadata) with filter
# values in hash-map order, so their bytes differ from run to run for the same pages
# (Pagefind issue #638: "filter/metadata indexes" still change). They are compared here up
# to that order: the multiset of their decompressed bytes, with the content-hash names removed.
_PF_HASH = re.compile(rb"en_[0-9a-f]{7,}")


def _unordered(data: bytes) -> str:
    raw = gzip.decompress(data)
    return hashlib.sha256(bytes(sorted(_PF_HASH.sub(b"", raw)))).hexdigest()


def tree_manifest(site: Path) -> dict[str, str]:
    """Every file under `site` -> sha256 (Pagefind's hash-ordered files -> an order-free digest)."""
    out: dict[str, str] = {}
    filters: list[str] = []
    for p in sorted(site.rglob("*")):
        if p.is_dir():
            continue
        rel = p.relative_to(site).as_posix()
        data = p.read_bytes()
        if rel.startswith("pagefind/filter/") and rel.endswith(".pf_filter"):
            filters.append(_unordered(data))
        elif rel.startswith("pagefind/") and rel.endswith(".pf_meta"):
            out["pagefind/<meta>"] = _unordered(data)
        elif rel == "pagefind/pagefind-entry.json":
            entry = json.loads(data)
            names = sorted(q.name for q in (site / "pagefind").glob("*.pf_meta"))
            wanted = sorted(f"pagefind.{lang['hash']}.pf_meta" for lang in entry["languages"].values())
            out[rel] = json.dumps({"version": entry["version"], "pages": [lang["page_count"] for lang in entry["languages"].values()],
                                   "meta": "consistent" if names == wanted else f"names {wanted}, found {names}"})
        else:
            out[rel] = hashlib.sha256(data).hexdigest()
    if filters:
        out["pagefind/filter/<all>"] = ",".join(sorted(filters))
    return out
