"""The record page's "Check it yourself" box (issue 25): how a reader re-checks a signed Gate 2
evaluation with stock OpenSSH, without trusting whoever built or hosts the site.

The recipe is a few shell lines a reader pastes into a terminal: download the signed text
(routes.GATE_PAYLOAD), its signature (routes.GATE_SIGNATURE) and the registry's signers file
(routes.GATE_SIGNERS), run `ssh-keygen -Y verify` exactly as the build did (gate.sig: the same
namespace, the signer's principal and `-O verify-time=` the evaluation time read from the signed
text itself (line 4, as gate.sig._payload_time does), so a key retired later with `valid-before`
still checks for what it signed before and not for anything dated after), then hash the artifacts and
compare them with the hashes in the signed text, not with the ones the page prints. Every
value in it is quoted for the shell; tests/test_verify.py runs it with `sh -e` against a served site.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from urllib.parse import quote

from srchgen.config import Config
from srchgen.derive.entry import Entry
from srchgen.render import routes

NAMESPACE = "srchgen-gate"  # gate.sig.NAMESPACE (render may not import gate); tests check they agree
PLACEHOLDER = "https://REPLACE-WITH-THIS-SITE/"  # no base_url: the reader puts the site's address here
SIGNED_SHA256 = "signed-sha256"  # the file the recipe writes the payload's hashes to


@dataclass(frozen=True)
class Recheck:
    """What the box shows: the recipe when the evaluation is signed, else why there is nothing to check."""

    signed: bool
    text: str
    recipe: str = ""


def _names(names: list[str]) -> list[str]:
    """Local file names for the artifacts: the last part of each, made unique when two share it."""
    base = [n.rsplit("/", 1)[-1] for n in names]
    return [n.replace("/", "_") if base.count(b) > 1 else b for n, b in zip(names, base)]


def recheck(entry: Entry, config: Config) -> Recheck | None:
    """The box for a record with a Gate 2 evaluation; None when it has none (no box)."""
    gate, ev = entry.derived.gate, entry.record.gate_evaluation
    if gate.signed is None or ev is None:
        return None
    if gate.signer is None or not gate.signer.payload:
        return Recheck(False, "This evaluation is unsigned, so there is nothing to check: no signature ties it to the registry's Gate 2 pipeline. Treat its outcome as the registry's word only.")
    rdir = routes.record_dir(entry.hex)
    arts = list(entry.artifacts)
    local = _names([a.name for a in arts])

    def url(path: str) -> str:
        return '"${site}' + quote(path) + '"'

    lines = [
        'cd "$(mktemp -d)"',
        f"site={shlex.quote(config.base_url or PLACEHOLDER)}",
        "curl -fsS -O " + url(routes.GATE_SIGNERS) + " -O " + url(rdir + routes.GATE_PAYLOAD) + " -O " + url(rdir + routes.GATE_SIGNATURE),
        f"ssh-keygen -Y verify -f allowed_signers -I {shlex.quote(gate.signer.principal)} -n {NAMESPACE}"
        f' -O "verify-time=$(sed -n 4p {routes.GATE_PAYLOAD} | tr -d T:-)" -s {routes.GATE_SIGNATURE} < {routes.GATE_PAYLOAD}',
        "curl -fsS" + "".join(f" -o {shlex.quote(n)} " + url(rdir + "artifacts/" + a.name) for n, a in zip(local, arts)),
        f"sed 1,4d {routes.GATE_PAYLOAD} > {SIGNED_SHA256}",
        "sha256sum " + " ".join(shlex.quote(n) for n in local) + f" | cut -c1-64 | LC_ALL=C sort -u | diff {SIGNED_SHA256} - && echo 'Artifacts match the signed SHA-256 hashes'",
    ]
    where = "" if config.base_url else f" This registry publishes no base URL: first replace {PLACEHOLDER} with the address you are reading this site at."
    text = (
        "Re-check this verdict yourself with OpenSSH's ssh-keygen, curl and sha256sum, without trusting this site: "
        "the lines below download the signed evaluation, its signature and the registry's signers file, check the signature "
        f'(ssh-keygen must print Good "{NAMESPACE}" signature), then hash the artifacts and compare them with the hashes in the signed text.{where}'
    )
    return Recheck(True, text, "\n".join(lines))
