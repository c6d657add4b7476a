#!/usr/bin/env bash
# CI step for the service image (.ci/run calls it after the test suite): install Debian's docker.io and
# debootstrap when missing, start dockerd when none runs (CI machines have no systemd), run
# docker/smoke.sh, and stop the dockerd it started. Measured here: ~1 min with the base image and the
# build cache present, ~5 min on a machine that has neither (docker/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for pkg in docker.io debootstrap asterisk-core-sounds-en-wav; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

dockerd_pid=""
stop_dockerd() {
    if [ -n "$dockerd_pid" ]; then
        $SUDO kill "$dockerd_pid" 2>/dev/null || true
        wait "$dockerd_pid" 2>/dev/null || true
    fi
}
trap stop_dockerd EXIT

if ! /usr/bin/docker info >/dev/null 2>&1; then
    log="${TMPDIR:-/tmp}/ci-dockerd.log"
    $SUDO /usr/sbin/dockerd >"$log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 120); do  # dockerd has no readiness signal but its socket answering
        /usr/bin/docker info >/dev/null 2>&1 && break
        kill -0 "$dockerd_pid" 2>/dev/null || { tail -20 "$log" >&2; exit 1; }
        sleep 0.5
    done
    /usr/bin/docker info >/dev/null 2>&1 || { echo "ci.sh: dockerd did not start" >&2; tail -20 "$log" >&2; exit 1; }
fi

docker/smoke.sh
