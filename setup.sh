#!/usr/bin/env bash
# One command to run the service, one to run the tests; both install what they need first.
#   ./setup.sh serve [ivr serve options]   Debian packages + the package in .venv, then `ivr serve`
#   ./setup.sh test  [pytest options]      Debian packages for the tests (espeak-ng, the Asterisk
#                                          prompts, PostgreSQL, Chromium) + test extras, then pytest
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ ${#missing[@]} -gt 0 ]; then
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

venv() {
    if [ -z "${VIRTUAL_ENV:-}" ]; then
        [ -x .venv/bin/python ] || python3 -m venv .venv
        # shellcheck disable=SC1091
        . .venv/bin/activate
    fi
    python -m pip install -q --upgrade pip
}

case "${1:-}" in
    serve)
        shift
        apt_install espeak-ng libespeak-ng1
        venv
        python -m pip install -q .
        exec ivr serve "$@"
        ;;
    test)
        shift
        apt_install espeak-ng libespeak-ng1 sox asterisk-core-sounds-en-wav postgresql chromium chromium-driver
        venv
        python -m pip install -q -e '.[test]'
        exec python -m pytest "$@"
        ;;
    *)
        echo "usage: $0 serve|test [options]" >&2
        exit 2
        ;;
esac
