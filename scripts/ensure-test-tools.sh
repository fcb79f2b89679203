#!/usr/bin/env bash
# Install the real tools the browser tests use (issue 6), only what is missing:
#   Debian chromium (/usr/bin/chromium) and faketime (issue 12), npm vnu-jar + axe-core
#   (package-lock.json),
#   Python playwright (requirements.lock).
# Idempotent: a second run with everything present does no network access.
# It never fails the build itself: what cannot be had is reported here plainly,
# and the tests that need it fail under CI=true and skip elsewhere, naming it.
set -uo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
CHROMIUM="${SRCHGEN_CHROMIUM:-/usr/bin/chromium}"  # the tests read the same variable
status=0

say() { printf 'ensure-test-tools: %s\n' "$*"; }
warn() { printf 'ensure-test-tools: WARNING: %s\n' "$*" >&2; status=1; }

# --- Debian packages: chromium, faketime --------------------------------------
# faketime (issue 12): `make test` runs the date-sensitive tests with the clock shifted.
apt_missing=()
[ -x "$CHROMIUM" ] || apt_missing+=(chromium)
command -v faketime >/dev/null 2>&1 || apt_missing+=(faketime)
if [ "${#apt_missing[@]}" = 0 ]; then
    :
elif ! command -v apt-get >/dev/null 2>&1; then
    warn "${apt_missing[*]} missing and apt-get not available; install them (Debian: apt-get install ${apt_missing[*]})"
else
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
    fi
    if [ "$(id -u)" != 0 ] && [ -z "$SUDO" ]; then
        warn "${apt_missing[*]} missing and not root (no passwordless sudo): run 'apt-get install ${apt_missing[*]}'"
    else
        say "installing Debian ${apt_missing[*]} (apt-get)"
        # Wait for a concurrent apt/dpkg run rather than failing on its lock.
        lock=(-o DPkg::Lock::Timeout=600)
        if $SUDO apt-get "${lock[@]}" update -q >/dev/null \
            && DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${lock[@]}" install -y -q "${apt_missing[@]}" >/dev/null; then
            [ -x "$CHROMIUM" ] && say "chromium: $("$CHROMIUM" --version 2>/dev/null || echo '?')"
        else
            warn "apt-get install ${apt_missing[*]} failed"
        fi
    fi
fi

# --- npm: vnu-jar and axe-core, pinned by package-lock.json ----------------
# The stamp holds the lock file's hash, so a changed lock reinstalls.
npm_ok() {
    [ -f node_modules/vnu-jar/build/dist/vnu.jar ] && [ -f node_modules/axe-core/axe.min.js ] \
        && [ -f node_modules/.ensure-test-tools ] \
        && [ "$(cat node_modules/.ensure-test-tools)" = "$(sha256sum package-lock.json | cut -d' ' -f1)" ]
}
if npm_ok; then
    :
elif ! command -v npm >/dev/null 2>&1; then
    warn "npm not available: cannot install vnu-jar and axe-core"
else
    say "installing npm packages (npm ci)"
    # --ignore-scripts: vnu-jar's postinstall would download a JRE from GitHub;
    # the system Java is used instead.
    if npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null; then
        sha256sum package-lock.json | cut -d' ' -f1 >node_modules/.ensure-test-tools
    else
        warn "npm ci failed: vnu-jar and axe-core unavailable"
    fi
fi
command -v java >/dev/null 2>&1 || warn "java not found: the Nu Html Checker (vnu.jar) needs it"

# --- Python playwright, pinned in requirements.lock -------------------------
if [ ! -x "$PYTHON" ]; then
    warn "$PYTHON not found (run 'make install' first): cannot check playwright"
elif "$PYTHON" -c 'import playwright.sync_api' 2>/dev/null; then
    :
else
    pin="$(grep -iE '^(playwright|greenlet)==' requirements.lock | tr '\n' ' ')"
    say "installing ${pin}"
    # shellcheck disable=SC2086
    "$PYTHON" -m pip install -q --disable-pip-version-check $pin || warn "pip install playwright failed"
fi

[ "$status" = 0 ] || say "some test tools are missing; the tests that need them will say which"
exit 0
