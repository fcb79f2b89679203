"""Gate 2 "sealed-sandbox reproduction" (SPEC §3, issue 7 item 3): run a record's repro script.

Isolation is bubblewrap (`bwrap`, Debian package `bubblewrap`): new user, PID,
network, IPC, UTS and cgroup namespaces, all capabilities dropped, no network
but a private loopback, only /usr (and the few /etc files programs need) visible
read-only, a read-only copy of the record folder at /record, and size-limited
tmpfs at /work (the working directory) and /tmp. Time is limited by killing the
sandbox; memory, CPU time and file size by rlimits set before bwrap starts
(inherited by everything inside). bwrap was chosen over a hand-rolled `unshare`
pipeline because it sets all of this up in one audited, widely used program
(Flatpak's), needs no shell glue between mount steps, and `--die-with-parent`
plus the PID namespace guarantee that nothing the script spawned outlives it.

Comparison: the script's standard output is the reproduced result. It matches
when it equals the `repro-results` file byte for byte after both have CRLF turned
into LF and trailing newlines at the very end removed. The results file itself is
left out of the sandbox's copy, so a script cannot just print it back.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Status = Literal["matched", "mismatched", "error", "timeout", "unavailable"]

SANDBOX_RECORD = "/record"
SANDBOX_WORK = "/work"
OUTPUT_LIMIT_MB = 64  # stdout/any written file above this is an error (RLIMIT_FSIZE)
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "passwd",
              "group", "nsswitch.conf", "mime.types")
_INTERPRETERS = {".py": ["python3"], ".sh": ["sh"], ".bash": ["bash"]}
_SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": SANDBOX_WORK,
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "RECORD_DIR": SANDBOX_RECORD,
}
INSTALL_HINT = "run scripts/ensure-sandbox-tools.sh (Debian: apt-get install bubblewrap)"


@dataclass(frozen=True)
class ReproOutcome:
    """What a Gate 2 check found; `detail` is one plain sentence or a short excerpt."""

    status: Status
    detail: str
    stdout_sha256: str | None = None
    expected_sha256: str | None = None
    exit_code: int | None = None

    @property
    def ok(self) -> bool:
        """True only when the artifact held (results matched / the proof type-checked)."""
        return self.status == "matched"

    @property
    def gate_outcome(self) -> Literal["passed", "failed"] | None:
        """The `gate_evaluation.outcome` this supports; None when nothing could be checked."""
        if self.status == "unavailable":
            return None
        return "passed" if self.status == "matched" else "failed"


# --------------------------------------------------------------------------- sandbox


def _bind_system() -> list[str]:
    """Read-only system directories; Debian's merged /usr makes /bin etc. symlinks."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in _ETC_FILES:
        path = Path("/etc", name)
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _bwrap_argv(record_copy: Path | None, memory_mb: int, extra_ro: tuple[str, ...] = ()) -> list[str]:
    """The bwrap command line up to (not including) the program to run."""
    exe = shutil.which("bwrap")
    assert exe is not None
    argv = [
        exe,
        "--unshare-all",  # ipc, pid, net, uts, cgroup: no network but a private lo
        "--unshare-user",  # --unshare-all only *tries* a user namespace; require it
        "--uid", str(NOBODY), "--gid", str(NOBODY),
        "--disable-userns",
        "--cap-drop", "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname", "sandbox",
        "--clearenv",
        *_bind_system(),
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(memory_mb * 1024 * 1024), "--tmpfs", "/tmp",
        "--size", str(memory_mb * 1024 * 1024), "--tmpfs", SANDBOX_WORK,
        "--chdir", SANDBOX_WORK,
    ]
    for path in extra_ro:
        argv += ["--ro-bind", path, path]
    if record_copy is not None:
        argv += ["--ro-bind", str(record_copy), SANDBOX_RECORD]
    for key, value in _SANDBOX_ENV.items():
        argv += ["--setenv", key, value]
    return argv


NOBODY = 65534
MAX_PROCESSES = 256  # RLIMIT_NPROC for the sandbox's own uid (see _drop_privileges)


def _probe(drop: bool) -> subprocess.CompletedProcess[bytes]:
    """Start an empty sandbox, to learn whether this machine can make one."""
    return subprocess.run(
        [*_bwrap_argv(None, 64), "true"],
        capture_output=True,
        timeout=30,
        check=False,
        stdin=subprocess.DEVNULL,
        preexec_fn=(lambda: _limits(256, 30, drop)),  # noqa: PLW1509 - no threads involved
    )


@functools.cache
def _sandbox_mode() -> tuple[bool, str | None]:
    """(drop to nobody?, reason no sandbox can be made); probed once per process."""
    if shutil.which("bwrap") is None:
        return False, f"bubblewrap (bwrap) is not installed; {INSTALL_HINT}"
    # As root, prefer starting bwrap as `nobody` (needs unprivileged user namespaces):
    # then nothing runs as root outside the sandbox and RLIMIT_NPROC is enforced,
    # which the kernel never does for root. Otherwise run bwrap as we are.
    attempts = [True, False] if os.geteuid() == 0 else [False]
    why = ""
    for drop in attempts:
        try:
            proc = _probe(drop)
        except (OSError, subprocess.SubprocessError) as exc:
            why = str(exc)
            continue
        if proc.returncode == 0:
            return drop, None
        why = proc.stderr.decode("utf-8", "replace").strip() or f"exit status {proc.returncode}"
    return False, f"bubblewrap cannot create a sandbox on this machine: {why}"


def sandbox_unavailable() -> str | None:
    """Why no sandbox can be made here, or None when bwrap works."""
    return _sandbox_mode()[1]


def sandbox_drops_privileges() -> bool:
    """Whether bwrap runs as `nobody` here (so the process-count limit applies)."""
    return _sandbox_mode()[0]


def _limits(memory_mb: int, cpu_s: int, drop: bool) -> None:
    """Runs in the child before bwrap: limits every process of the sandbox inherits."""
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))  # backstop to the wall clock
    size = OUTPUT_LIMIT_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if drop:
        resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


@dataclass(frozen=True)
class _Run:
    returncode: int | None  # None: killed at the time limit
    stdout: bytes
    stderr: bytes


def _copy_record(record_dir: Path, dest: Path, exclude: set[Path]) -> None:
    """Snapshot the record folder, readable by `nobody`; symlinks and `exclude` are left out."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if Path(folder, n).resolve() in exclude or Path(folder, n).is_symlink()}

    shutil.copytree(record_dir, dest, ignore=ignore)
    for folder, dirs, files in os.walk(dest):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(Path(folder, name), 0o644)


def _world_readable(path: Path) -> bool:
    """Whether `nobody` can reach `path` (each folder on the way is o+x)."""
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def _run_sandboxed(
    program: list[str],
    record_dir: Path,
    *,
    exclude: set[Path],
    timeout_s: float,
    memory_mb: int,
    extra_ro: tuple[str, ...] = (),
) -> _Run:
    drop = sandbox_drops_privileges() and all(_world_readable(Path(p)) for p in extra_ro)
    with tempfile.TemporaryDirectory(prefix="srchgen-sandbox-") as tmp:
        os.chmod(tmp, 0o755)
        drop = drop and _world_readable(Path(tmp))  # e.g. TMPDIR under /root: stay as we are
        copy = Path(tmp, "record")
        _copy_record(record_dir, copy, exclude)
        out_path, err_path = Path(tmp, "stdout"), Path(tmp, "stderr")
        argv = [*_bwrap_argv(copy, memory_mb, extra_ro), *program]
        cpu_s = int(timeout_s) + 1
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=lambda: _limits(memory_mb, cpu_s, drop),  # noqa: PLW1509 - no threads spawn here
            )
            try:
                code: int | None = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                # Killing bwrap ends the PID namespace, and with it every process inside.
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                code = None
        return _Run(code, out_path.read_bytes(), err_path.read_bytes())


# --------------------------------------------------------------------------- repro


def _normalise(data: bytes) -> bytes:
    """Line endings and final newlines are not part of a result (docs/gate.md)."""
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


def _first_difference(got: bytes, want: bytes) -> str:
    """Where output and results part, so a mismatch can be read without a diff tool."""
    g, w = got.split(b"\n"), want.split(b"\n")
    for i, (a, b) in enumerate(zip(g, w), start=1):
        if a != b:
            return f"line {i}: expected {_show(b)}, got {_show(a)}"
    if len(g) < len(w):
        return f"output ends after {len(g)} lines; the results have {len(w)}"
    return f"output has {len(g)} lines; the results end after {len(w)}"


def _show(line: bytes, limit: int = 120) -> str:
    """A line quoted and shortened for a one-line detail."""
    text = line.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _tail(stderr: bytes, lines: int = 5) -> str:
    """The last lines of stderr, where the reason for a failure usually is."""
    text = stderr.decode("utf-8", "replace").strip().splitlines()[-lines:]
    return " | ".join(t.strip() for t in text if t.strip())


def _interpreter(script: Path) -> list[str] | None:
    """How to run the script: its #! line, else by suffix (.py, .sh, .bash)."""
    with script.open("rb") as fh:
        first = fh.readline(512)
    if first.startswith(b"#!"):
        try:
            return shlex.split(first[2:].decode("utf-8").strip())
        except ValueError:
            return None
    return _INTERPRETERS.get(script.suffix.lower())


def _inside(base: Path, path: Path) -> Path | None:
    """`path` relative to `base` when it is a regular, non-symlink file inside it."""
    try:
        rel = path.relative_to(base)
    except ValueError:
        try:
            rel = path.resolve().relative_to(base.resolve())
        except ValueError:
            return None
    full = base / rel
    if ".." in rel.parts or full.is_symlink() or not full.is_file():
        return None
    return rel


def _exit_detail(code: int, stderr: bytes, what: str) -> str:
    """A plain sentence for a non-zero exit or a signal, naming the limit hit."""
    if code < 0 or code > 128:
        signo = -code if code < 0 else code - 128
        try:
            name = signal.Signals(signo).name
        except ValueError:
            name = f"signal {signo}"
        hint = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": f" (output over {OUTPUT_LIMIT_MB} MiB)",
                "SIGKILL": " (killed; memory limit?)"}.get(name, "")
        base = f"{what} was stopped by {name}{hint}"
    else:
        base = f"{what} exited with status {code}"
    tail = _tail(stderr)
    return f"{base}: {tail}" if tail else base


def run_repro(
    record_dir: Path,
    script: Path,
    expected_results: Path,
    *,
    timeout_s: float = 600,
    memory_mb: int = 2048,
) -> ReproOutcome:
    """Run a `repro-script` in the sandbox and compare its stdout with `repro-results`."""
    record_dir = Path(record_dir)
    rel_script = _inside(record_dir, Path(script))
    rel_results = _inside(record_dir, Path(expected_results))
    if rel_script is None:
        return ReproOutcome("error", f"the repro script {script} is not a regular file inside {record_dir}")
    if rel_results is None:
        return ReproOutcome("error", f"the repro results {expected_results} are not a regular file inside {record_dir}")
    interpreter = _interpreter(record_dir / rel_script)
    if not interpreter:
        return ReproOutcome(
            "error", f"cannot tell how to run {rel_script}: give it a #! line or a .py/.sh suffix"
        )
    reason = sandbox_unavailable()
    if reason:
        return ReproOutcome("unavailable", reason)

    expected = (record_dir / rel_results).read_bytes()
    expected_sha = hashlib.sha256(expected).hexdigest()
    run = _run_sandboxed(
        [*interpreter, f"{SANDBOX_RECORD}/{rel_script.as_posix()}"],
        record_dir,
        exclude={(record_dir / rel_results).resolve()},
        timeout_s=timeout_s,
        memory_mb=memory_mb,
    )
    out_sha = hashlib.sha256(run.stdout).hexdigest()
    if run.returncode is None:
        return ReproOutcome("timeout", f"the script was stopped after {timeout_s:g} s", out_sha, expected_sha)
    if run.returncode != 0:
        return ReproOutcome(
            "error", _exit_detail(run.returncode, run.stderr, "the script"), out_sha, expected_sha, run.returncode
        )
    if _normalise(run.stdout) == _normalise(expected):
        return ReproOutcome("matched", f"output matches {rel_results.as_posix()}", out_sha, expected_sha, 0)
    return ReproOutcome(
        "mismatched",
        f"output differs from {rel_results.as_posix()}: {_first_difference(_normalise(run.stdout), _normalise(expected))}",
        out_sha,
        expected_sha,
        0,
    )


# --------------------------------------------------------------------------- lean


_SORRY = re.compile(rb"declaration uses 'sorry'")


def _lean_prefix(lean: str) -> Path | None:
    """The toolchain folder, found outside the sandbox so elan's proxy is not needed inside."""
    try:
        proc = subprocess.run(
            [lean, "--print-prefix"], capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = proc.stdout.decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not text or not Path(text, "bin", "lean").is_file():
        return None
    return Path(text).resolve()


def check_lean(proof: Path, *, timeout_s: float = 600, memory_mb: int = 8192) -> ReproOutcome:
    """Type-check a `lean4-proof` with `lean` in the sandbox; plain 'unavailable' without it."""
    proof = Path(proof)
    lean = shutil.which("lean")
    if lean is None:
        return ReproOutcome("unavailable", "lean is not installed, so the proof cannot be checked here")
    if proof.is_symlink() or not proof.is_file():
        return ReproOutcome("error", f"the proof {proof} is not a regular file")
    prefix = _lean_prefix(lean)
    if prefix is None:
        return ReproOutcome("unavailable", f"{lean} does not report its toolchain (lean --print-prefix failed)")
    reason = sandbox_unavailable()
    if reason:
        return ReproOutcome("unavailable", reason)
    # Lean runs `#eval` and macros at elaboration time, so it is sandboxed like a script.
    run = _run_sandboxed(
        [str(prefix / "bin" / "lean"), f"{SANDBOX_RECORD}/{proof.name}"],
        proof.parent,
        exclude=set(),
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        extra_ro=(str(prefix),),
    )
    out_sha = hashlib.sha256(run.stdout).hexdigest()
    messages = run.stdout + run.stderr
    if run.returncode is None:
        return ReproOutcome("timeout", f"lean was stopped after {timeout_s:g} s", out_sha)
    if run.returncode == 0 and _SORRY.search(messages):
        return ReproOutcome("mismatched", "the proof type-checks only because it uses 'sorry'", out_sha, None, 0)
    if run.returncode == 0:
        return ReproOutcome("matched", f"{proof.name} type-checked with lean", out_sha, None, 0)
    errors = [ln for ln in messages.decode("utf-8", "replace").splitlines() if "error" in ln]
    if run.returncode == 1 and errors:
        return ReproOutcome(
            "mismatched", f"the proof does not type-check: {' | '.join(errors[:3])}", out_sha, None, 1
        )
    return ReproOutcome("error", _exit_detail(run.returncode, messages, "lean"), out_sha, None, run.returncode)
