"""Gate 2, beside the build it feeds (STYLE §5): signed evaluations and sandboxed reproduction.

- `sig`: the canonical payload and `ssh-keygen -Y sign/verify` (namespace srchgen-gate)
- `check`: the `allowed_signers` file and each record's evaluation against it (check and build)
- `write`: `gate_evaluation` written into a record, every other byte kept
- `sandbox`: bubblewrap around a record's repro script or Lean proof
- `ops`: the `srchgen gate payload|record|run` commands, composed from the above

In the package's layers (`[tool.importlinter]` in pyproject.toml) gate sits beside render: it
may import derive, check, load and the core; build (the signature checker) and cli use it.
"""
