"""Measure Gate 2 signature verification cost (docs/gate.md quotes its output)."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from srchgen.gate.sig import canonical_payload, sign, verify_many
from srchgen.gate.signers import load_allowed_signers


def _cpu() -> float:
    """CPU seconds used by this process and its finished children (ssh-keygen): load-independent."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(n: int = 200) -> None:
    """Sign n evaluations with a throwaway key, then time verifying them serially and in parallel."""
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp, "key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        kind, blob = key.with_suffix(".pub").read_text().split()[:2]
        Path(tmp, "allowed").write_text(f"gate@bench {kind} {blob}\n")
        start = datetime(2026, 7, 1, tzinfo=timezone.utc)
        items = []
        t0 = time.perf_counter()
        for i in range(n):
            p = canonical_payload(f"SRCH:{i:08X}", "passed", start + timedelta(seconds=i), ["a" * 64])
            items.append((p, sign(p, key)))
        print(f"sign: {(time.perf_counter() - t0) / n * 1000:.2f} ms each")
        for jobs in (1, 2):
            best, cpu_best = float("inf"), float("inf")
            for _ in range(3):
                signers = load_allowed_signers(Path(tmp, "allowed"))  # fresh memo
                c0, t0 = _cpu(), time.perf_counter()
                assert all(v.ok for v in verify_many(items, signers, jobs=jobs))
                best = min(best, (time.perf_counter() - t0) / n * 1000)
                cpu_best = min(cpu_best, (_cpu() - c0) / n * 1000)
            print(f"verify, jobs={jobs}: {best:.2f} ms wall, {cpu_best:.2f} ms CPU per signature (best of 3, n={n})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
