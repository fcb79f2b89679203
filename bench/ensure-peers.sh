#!/usr/bin/env bash
# Install the benchmark peers that are missing; does nothing when all are present.
#   Hugo, Jekyll: Debian packages (apt-get update once, then apt-get install -y hugo jekyll)
#   Pelican, MkDocs (+ PyYAML for the harness scripts): bench/.venv, pinned in requirements-peers.txt
# Used by run.sh (make bench). SKIP_APT=1 skips the Debian part (e.g. without root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ "${SKIP_APT:-0}" != 1 ] && { ! command -v hugo >/dev/null || ! command -v jekyll >/dev/null; }; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
    echo "ensure-peers: installing hugo and jekyll from Debian" >&2
    $SUDO apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q hugo jekyll >&2
fi

venv_ok() {
    [ -x .venv/bin/pelican ] && [ -x .venv/bin/mkdocs ] &&
        .venv/bin/python - <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
want = {}
for line in open("requirements-peers.txt"):
    line = line.split("#")[0].strip()
    if line:
        name, ver = line.split("==")
        want[name] = ver
sys.exit(0 if all(version(n) == v for n, v in want.items()) else 1)
PY
}
if ! venv_ok; then
    echo "ensure-peers: installing Pelican and MkDocs into bench/.venv" >&2
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-peers.txt >&2
fi
