#!/usr/bin/env bash
# Install what Gate 2 needs (issue 7) when it is missing; does nothing when present.
#   bwrap       bubblewrap: the sandbox for repro scripts and Lean proofs (srchgen/gate/sandbox.py)
#   ssh-keygen  openssh-client: signs and verifies gate evaluations (srchgen/gate/sig.py)
# Never fails the caller: without root or apt the tools stay missing and the
# features (and their tests) report "unavailable" with the reason.
set -u

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-sandbox-tools: ${missing[*]} missing and apt-get is not available; install them by hand" >&2
    exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        echo "ensure-sandbox-tools: ${missing[*]} missing; run as root: apt-get install -y ${missing[*]}" >&2
        exit 0
    fi
fi
echo "ensure-sandbox-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
lock=(-o DPkg::Lock::Timeout=300)
"${SUDO[@]}" apt-get "${lock[@]}" install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    "${SUDO[@]}" apt-get "${lock[@]}" update -qq >/dev/null 2>&1
    "${SUDO[@]}" apt-get "${lock[@]}" install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
        echo "ensure-sandbox-tools: could not install ${missing[*]}" >&2
}
exit 0
