"""Helpers for the Gate 2 tests: throwaway ssh-keygen keys, a registry with a reproducible record."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from srchgen.cli.commands import main

HEX = "AB12CD34"
RID = f"SRCH:{HEX}"
AT = "2026-07-02T10:00:00Z"
SCRIPT = 'print("accuracy 0.93")\nprint("n 120")\n'
RESULTS = "accuracy 0.93\nn 120\n"


def keygen(path: Path, comment: str) -> Path:
    """A fresh ed25519 key without a passphrase (ssh-keygen -t ed25519 -N '')."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True, stdin=subprocess.DEVNULL)
    return path


def public_line(key: Path) -> str:
    kind, blob = Path(f"{key}.pub").read_text().split()[:2]
    return f"{kind} {blob}"


def fingerprint(key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], check=True, capture_output=True, text=True).stdout
    return out.split()[1]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def record_text(extra: str = "", script: str = SCRIPT, results: str = RESULTS) -> str:
    """A valid record with a repro-script and repro-results; comments and quoting to be kept byte for byte."""
    return (
        "---\n"
        "# hand-written; the gate pipeline must not reformat this file\n"
        "manifest: paper-manifest-v1.1\n"
        f"id: '{RID}'\n"
        "research_question: Does the sandboxed reproduction of the accuracy table match the published results?\n"
        "submitted: 2026-07-01\n"
        "section: benchmarks\n"
        "review: {score: 8.1, method: Automated multi-reviewer assessment}\n"
        "claims:\n"
        "  source_grounded: 6   # aggregate\n"
        'publisher: "Assignee Research"\n'
        "report_artifact: true\n"
        "artifacts:\n"
        "  - kind: repro-script\n"
        f"    path: {HEX}/repro.py\n"
        f'    sha256: "{sha(script)}"\n'
        "  - kind: repro-results\n"
        f"    path: {HEX}/results.txt\n"
        f'    sha256: "{sha(results)}"\n'
        f"{extra}"
        "---\n"
        "The sandboxed reproduction of the accuracy table matches the published results: the repro\n"
        "script recomputes accuracy 0.93 on 120 items, as the results file states.\n"
    )


def make_registry(root: Path, keys_dir: Path, signers: bool = True, script: str = SCRIPT, results: str = RESULTS) -> Path:
    """A registry folder with one reproducible record and, when `signers`, gate_signers trusting keys_dir/pipeline."""
    (root / "records" / HEX).mkdir(parents=True)
    (root / "records" / HEX / "repro.py").write_text(script)
    (root / "records" / HEX / "results.txt").write_text(results)
    (root / "records" / f"{HEX}.md").write_text(record_text(script=script, results=results))
    toml = '[tool.srchgen]\ntitle = "Gate registry"\n'
    if signers:
        toml += 'gate_signers = "gate/allowed_signers"\n'
        (root / "gate").mkdir()
        (root / "gate" / "allowed_signers").write_text(
            f"# Gate 2 pipeline\ngate@srch.example {public_line(keys_dir / 'pipeline')}\n"
        )
    (root / "pyproject.toml").write_text(toml)
    return root


def cli(*args: str) -> Result:
    """Run srchgen in the current directory; stderr kept apart from stdout."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Throwaway ed25519 keys: 'pipeline' (allowed) and 'stranger' (not)."""
    d = tmp_path_factory.mktemp("keys")
    for name in ("pipeline", "stranger"):
        keygen(d / name, name)
    return d


@pytest.fixture
def registry(tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registry with a repro-script record and gate_signers naming the pipeline key; it is the cwd."""
    root = make_registry(tmp_path / "reg", keys)
    monkeypatch.chdir(root)
    return root
