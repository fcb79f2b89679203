#!/usr/bin/env python3
"""Run one build command and measure wall time, CPU time and memory of its whole process tree.

Usage: python3 measure.py TIMEOUT_S -- CMD [ARG ...]

Prints one TSV line: wall_s user_s sys_s maxrss_kb tree_kb exit other_cpu_s waited_s
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
  other_cpu_s  CPU time the rest of the machine used meanwhile (busy time from
             /proc/stat minus user_s + sys_s): other jobs on a shared machine
             slow a build down, so every row says how busy the machine was
  The command runs at nice BENCH_NICE (env, default -10 when root, else 0),
  process and session autogroup alike:
  on a machine shared with other jobs this gives every measured build the
  same, larger CPU share; each row still records the other load.
  waited_s   seconds spent before the build waiting for a quiet machine: up
             to QUIET_WAIT seconds (env, default 2) until the other load over
             one second is below 0.5 core (untimed)
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


def renice(nice: int) -> None:
    """In the child: nice the process and its new session's autogroup.

    With CONFIG_SCHED_AUTOGROUP every session (setsid) is its own scheduling
    group and a plain nice only counts inside it; the group's nice is what
    weighs against the other sessions on the machine.
    """
    os.nice(nice)
    try:
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(nice))
    except OSError:
        pass


def busy_s() -> float:
    """Busy CPU seconds of the whole machine since boot (all but idle and iowait)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(limit: float) -> float:
    """Wait (at most limit s) until the machine is below 0.5 busy core over 1 s; seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        b0 = busy_s()
        time.sleep(1.0)
        if busy_s() - b0 < 0.5:
            break
    return time.monotonic() - t0


def main(argv: list[str]) -> int:
    """Run, sample, report."""
    timeout = float(argv[0])
    cmd = argv[argv.index("--") + 1:]
    waited = wait_quiet(float(os.environ.get("QUIET_WAIT", "2")))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    b0 = busy_s()
    t0 = time.monotonic()
    nice = int(os.environ.get("BENCH_NICE", "-10" if os.geteuid() == 0 else "0"))
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=sys.stderr,
                            preexec_fn=(lambda: renice(nice)) if nice else None)  # stdout is ours: the result line
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
    busy = busy_s() - b0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user, sys_ = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print("%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t%.2f\t%.1f" % (
        wall, user, sys_, after.ru_maxrss, peak, rc, max(0.0, busy - user - sys_), waited))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
