#!/usr/bin/env bash
# One command to run the service, one to run the tests; both install what they need first.
#   ./setup.sh serve [ivr serve options]   Debian packages + the package in .venv, then `ivr serve`
#   ./setup.sh test  [pytest options]      Debian packages for the tests (espeak-ng, the Asterisk
#                                          prompts, PostgreSQL, Chromium) + test extras in .venv-test,
#                                          then pytest
# The two use separate virtualenvs, so running the tests never turns the installed service into an
# editable checkout under a running `ivr serve`. An active virtualenv is used as it is.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing Debian packages: ${missing[*]}" >&2
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            >/dev/null
    fi
}

# pip -q still prints one "Location ... is ignored" warning per package when the machine's pip config
# names index folders that do not exist; drop those lines and keep everything else (errors included).
pip_install() {
    local log status=0
    log=$(mktemp)
    python -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1 || status=$?
    grep -v -e "is ignored: it is neither a file nor a directory" "$log" >&2 || true
    rm -f "$log"
    return "$status"
}

venv() {
    local dir=$1
    if [ -z "${VIRTUAL_ENV:-}" ]; then
        if [ ! -x "$dir/bin/python" ]; then
            echo "creating $dir and installing the package (a minute or two the first time)" >&2
            python3 -m venv "$dir"
        fi
        # shellcheck disable=SC1091
        . "$dir/bin/activate"
    fi
}

case "${1:-}" in
    serve)
        shift
        apt_install espeak-ng libespeak-ng1
        venv .venv
        pip_install .
        exec ivr serve "$@"
        ;;
    test)
        shift
        apt_install espeak-ng libespeak-ng1 sox asterisk-core-sounds-en asterisk-core-sounds-en-wav postgresql chromium chromium-driver
        venv .venv-test
        pip_install -e '.[test]'
        # Most tests wait on real-time audio, so three workers fill two cores; a file's tests stay on
        # one worker (they share its fixtures). A later `-n 0` on the command line runs them in one process.
        exec python -m pytest -n "${IVR_TEST_WORKERS:-3}" --dist loadfile "$@"
        ;;
    *)
        echo "usage: $0 serve|test [options]" >&2
        exit 2
        ;;
esac
