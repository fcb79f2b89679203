#!/usr/bin/env python3
"""Run one build command and measure wall time, CPU time and memory of its whole process tree.

Usage: python3 measure.py TIMEOUT_S -- CMD [ARG ...]

Prints one TSV line: wall_s user_s sys_s maxrss_kb tree_kb exit
  wall_s     monotonic wall clock around the command
  user_s/sys_s  CPU of the command and every descendant it reaped
             (getrusage(RUSAGE_CHILDREN) delta), as /usr/bin/time -v reports
  maxrss_kb  largest single process's peak RSS (ru_maxrss; what `time -v`
             calls "Maximum resident set size")
  tree_kb    peak of the summed PSS of the whole process tree, sampled every
             20 ms from /proc/<pid>/smaps_rollup (RSS where PSS is missing):
             a build that forks workers is charged for all of them, shared
             pages counted once. Sampling can miss a short peak, so the
             harness reports max(maxrss_kb, tree_kb) as "peak RSS".
  exit       the command's exit status (124 when TIMEOUT_S expired)
stdout and stderr of the command both go to this process's stderr (the
harness appends them to the site's build.log); stdout carries only the
result line. Stdlib only.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def tree(root: int) -> list[int]:
    """root and its descendants, from /proc/<pid>/task/<tid>/children."""
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        try:
            for tid in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    stack.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def mem_kb(pid: int) -> int:
    """PSS of one process in kB (RSS when smaps_rollup is unavailable), 0 when gone."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * PAGE_KB
    except OSError:
        return 0


def main(argv: list[str]) -> int:
    """Run, sample, report."""
    timeout = float(argv[0])
    cmd = argv[argv.index("--") + 1:]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=sys.stderr)  # stdout is ours: the result line
    peak = 0
    rc = None
    while rc is None:
        peak = max(peak, sum(mem_kb(p) for p in tree(proc.pid)))
        try:
            rc = proc.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            if time.monotonic() - t0 > timeout:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                rc = 124
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("%.2f\t%.2f\t%.2f\t%d\t%d\t%d" % (
        wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime,
        after.ru_maxrss, peak, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
