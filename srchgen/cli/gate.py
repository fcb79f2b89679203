"""The `srchgen gate` commands (issue 7, SPEC §2 and §3): print the signed evaluation text, record
a signed evaluation, reproduce a record's Gate 2 artifacts in a sandbox.

Only the command line of Gate 2: output, exit codes and option parsing. The rules live in
srchgen/gate/ (ops, sig, write, sandbox); commands.py adds this group to `srchgen`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from srchgen.cli.base import fail_usage, registry_context, shown


def _gate_fail(e: Exception) -> NoReturn:
    """A gate command that cannot go on: its problems, then one line saying why (exit 1)."""
    for p in getattr(e, "problems", []):
        click.echo(str(p), err=True)
    click.echo(f"srchgen gate: {e}", err=True)
    sys.exit(1)


def _at(value: str | None) -> Any:
    from srchgen.clock import reference_time
    from srchgen.gate.ops import parse_time

    if value is None:
        return reference_time()
    try:
        return parse_time(value)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--at") from None


_RECORDS_HELP = "Folder of record files [default: records/]."
_AT_HELP = "Evaluation time with a time zone, e.g. 2026-07-01T12:00:00Z [default: now, or SOURCE_DATE_EPOCH when set]."


@click.group("gate")
def gate_cmd() -> None:
    """Gate 2 evidence: the signed evaluation text, recording an evaluation, sandboxed reproduction."""


@gate_cmd.command("payload")
@click.argument("record_id", metavar="ID")
@click.option("--records", metavar="DIR", help=_RECORDS_HELP)
@click.option("--outcome", type=click.Choice(["passed", "failed"]), help="Print the text of a prospective evaluation with this outcome (of the current artifacts).")
@click.option("--at", "at", metavar="TIME", help="With --outcome: " + _AT_HELP)
def gate_payload_cmd(record_id: str, records: str | None, outcome: str | None, at: str | None) -> None:
    """Print the canonical text that is signed for the record's evaluation (SPEC §2), byte for byte."""
    from srchgen.gate.ops import GateError, current_payload, find_record, prospective_payload

    _, records_dir, display, _ = registry_context(records)
    if at is not None and outcome is None:
        raise click.UsageError("--at needs --outcome (without them the current evaluation is printed)")
    try:
        target = find_record(records_dir, display, record_id)
        payload = prospective_payload(target, outcome, _at(at)) if outcome else current_payload(target)
    except GateError as e:
        _gate_fail(e)
    click.echo(payload.decode("utf-8"), nl=False)


def _record(target: Any, config: Any, root: Path, outcome: str, key: str, at: Any) -> None:
    """Sign and write one evaluation; shared by `gate record` and `gate run --key`."""
    from srchgen.errors import ConfigError
    from srchgen.gate.ops import GateError, record_evaluation
    from srchgen.gate.sig import GateSigError
    from srchgen.gate.write import GateWriteError

    try:
        done = record_evaluation(target, config, root, outcome, Path(key), at)
    except ConfigError as e:
        fail_usage(e.problems)
    except (GateError, GateSigError, GateWriteError, OSError) as e:
        _gate_fail(e)
    who = f"; signed by {done.signer} (key {done.key})" if done.signer else "; no gate_signers configured, so it was not verified"
    click.echo(f"recorded {outcome} evaluation of {target.record.id} at {done.evaluation['evaluated']:%Y-%m-%dT%H:%M:%SZ} in {shown(done.path)}{who}")


@gate_cmd.command("record")
@click.argument("record_id", metavar="ID")
@click.option("--outcome", type=click.Choice(["passed", "failed"]), required=True, help="What the evaluation found.")
@click.option("--key", metavar="KEY", required=True, help="SSH private key (or its .pub with the key in ssh-agent) to sign with.")
@click.option("--at", "at", metavar="TIME", help=_AT_HELP)
@click.option("--records", metavar="DIR", help=_RECORDS_HELP)
def gate_record_cmd(record_id: str, outcome: str, key: str, at: str | None, records: str | None) -> None:
    """Sign an evaluation of the record's current artifacts and write it into the record.

    Only the gate_evaluation block changes; every other byte of the file is kept. With
    gate_signers configured the signature is verified first, and the record is left unchanged
    when the key is not an allowed signer.
    """
    from srchgen.gate.ops import GateError, find_record

    root, records_dir, display, config = registry_context(records)
    when = _at(at)
    try:
        target = find_record(records_dir, display, record_id)
    except GateError as e:
        _gate_fail(e)
    _record(target, config, root, outcome, key, when)


@gate_cmd.command("run")
@click.argument("record_id", metavar="ID")
@click.option("--records", metavar="DIR", help=_RECORDS_HELP)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="S", help="Wall-clock limit in seconds [default: 600].")
@click.option("--memory", type=click.IntRange(min=16), metavar="MB", help="Memory limit in MiB [default: 2048 for scripts, 8192 for lean].")
@click.option("--key", metavar="KEY", help="Also record the outcome, signed with this SSH key (as gate record does).")
@click.option("--at", "at", metavar="TIME", help="With --key: " + _AT_HELP)
def gate_run_cmd(record_id: str, records: str | None, timeout: float | None, memory: int | None, key: str | None, at: str | None) -> None:
    """Reproduce the record's Gate 2 artifacts in a sandbox (no network, read-only copy, time and memory limits).

    A repro-script's output is compared with repro-results; a lean4-proof is type-checked with lean.
    Exit 0 when everything matched, 1 when something did not (mismatch, error, timeout), 2 when it
    could not be checked here (no sandbox, no lean).
    """
    from srchgen.gate.ops import GateError, find_record, overall, run_checks

    root, records_dir, display, config = registry_context(records)
    when = _at(at) if key else None
    try:
        target = find_record(records_dir, display, record_id)
        checks = run_checks(target, records_dir, timeout, memory)
    except GateError as e:
        _gate_fail(e)
    for c in checks:
        click.echo(f"{c.what}: {c.outcome.status}: {c.outcome.detail}")
    status = overall(checks)
    if status == "unavailable":
        click.echo(f"{target.record.id}: not checkable here; nothing recorded", err=True)
        sys.exit(2)
    if key:
        _record(target, config, root, "passed" if status == "matched" else "failed", key, when)
    if status != "matched":
        sys.exit(1)
