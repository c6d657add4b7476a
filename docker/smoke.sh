#!/usr/bin/env bash
# Smoke test of the service image: build it, run it, and place two calls into the container from
# outside with `ivr call` (the fake PBX) through the published ports, then check what the calls did.
#
#   docker/smoke.sh            from any directory; needs a running dockerd, the test venv (PYTHON) and
#                              the Asterisk prompts package (asterisk-core-sounds-en-wav) for the caller
#
# Environment: PYTHON (default: .venv-test/bin/python, .venv/bin/python, else python3) runs `ivr call`;
# IMAGE (hotline-ivr:latest);
# BASE (hotline-ivr/debian:bookworm, built with docker/build-base.sh when missing); DOCKER (the client);
# EXTRA_CA (CA bundle pip may need behind a TLS-intercepting proxy; default: the host's bundle).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-hotline-ivr:latest}"
BASE="${BASE:-hotline-ivr/debian:bookworm}"
EXTRA_CA="${EXTRA_CA:-/etc/ssl/certs/ca-certificates.crt}"
CALLER_WAV="${CALLER_WAV:-/usr/share/asterisk/sounds/en_US_f_Allison/vm-goodbye.wav}"
if [ -z "${PYTHON:-}" ]; then
    # .venv-test is what `./setup.sh test` (CI's first step) installs; .venv is `./setup.sh serve`'s.
    PYTHON=python3
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; fi
    if [ -x .venv-test/bin/python ]; then PYTHON=.venv-test/bin/python; fi
fi
HEALTH_DEADLINE=300  # seconds for the container to become healthy on a loaded 2-core machine
started=$(date +%s)

fail() { echo "smoke: FAIL: $*" >&2; exit 1; }
step() { echo "smoke: [$(($(date +%s) - started))s] $*"; }

# BuildKit builds (RUN --mount) need the buildx plugin, or a client older than 23 with BuildKit built in
# (Debian bookworm's docker.io 20.10 is one).
pick_docker() {
    local client version
    if [ -n "${DOCKER:-}" ]; then echo "$DOCKER"; return; fi
    if docker buildx version >/dev/null 2>&1; then echo docker; return; fi
    for client in /usr/bin/docker docker; do
        version=$("$client" version --format '{{.Client.Version}}' 2>/dev/null || true)
        if [ -n "$version" ] && [ "${version%%.*}" -lt 23 ]; then echo "$client"; return; fi
    done
    fail "no way to build with BuildKit: install the docker buildx plugin (or set DOCKER)"
}
DOCKER=$(pick_docker)
export DOCKER_BUILDKIT=1

[ -r "$CALLER_WAV" ] || fail "$CALLER_WAV missing: apt-get install asterisk-core-sounds-en-wav"
"$DOCKER" info >/dev/null 2>&1 || fail "dockerd is not running (or $DOCKER cannot reach it)"

if ! "$DOCKER" image inspect "$BASE" >/dev/null 2>&1; then
    step "building the base image $BASE"
    docker/build-base.sh "$BASE"
fi

step "building $IMAGE"
secret=()
if [ -s "$EXTRA_CA" ]; then secret=(--secret "id=extra_ca,src=$EXTRA_CA"); fi
"$DOCKER" build -q -f docker/Dockerfile --build-arg "BASE=$BASE" "${secret[@]}" -t "$IMAGE" . >/dev/null

# Three free loopback ports. The AudioSocket one is also what the bot advertises: the fake PBX connects
# to exactly the address the bot sends in `EXEC AudioSocket`, as Asterisk would.
read -r AGI_PORT AUDIO_PORT WEB_PORT < <("$PYTHON" -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
')
work=$(mktemp -d)
chmod 0777 "$work"  # the container's user (uid 10001) writes the SQLite file the caller side reads
name="hotline-ivr-smoke-$$"

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && "$DOCKER" container inspect "$name" >/dev/null 2>&1; then
        echo "smoke: --- container log (last 40 lines) ---" >&2
        "$DOCKER" logs --tail 40 "$name" >&2 || true
    fi
    "$DOCKER" rm -f -v "$name" >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

step "starting $name (FastAGI 127.0.0.1:$AGI_PORT, AudioSocket 127.0.0.1:$AUDIO_PORT, desktop 127.0.0.1:$WEB_PORT)"
"$DOCKER" run -d --name "$name" \
    -p "127.0.0.1:$AGI_PORT:4573" -p "127.0.0.1:$AUDIO_PORT:9092" -p "127.0.0.1:$WEB_PORT:8080" \
    -e IVR__AMI__ENABLED=false \
    -e "IVR__LISTEN__AUDIOSOCKET_ADVERTISE=127.0.0.1:$AUDIO_PORT" \
    -e IVR__DATABASE__URL=sqlite:////data/ivr.db \
    -v "$work:/data" \
    "$IMAGE" >/dev/null

step "waiting for the health check"
status=starting
run_at=$(date +%s)
while [ "$status" != healthy ]; do
    [ $(($(date +%s) - run_at)) -lt "$HEALTH_DEADLINE" ] || fail "not healthy ${HEALTH_DEADLINE}s after the start"
    [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the container exited"
    # docker has no blocking "wait until healthy": ask again in a second.
    sleep 1
    status=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$name")
done
step "healthy: $("$DOCKER" inspect -f '{{(index .State.Health.Log 0).Output}}' "$name" | head -c 300)"

[ "$("$DOCKER" exec "$name" id -u)" = 10001 ] || fail "the service does not run as uid 10001"
"$DOCKER" exec "$name" ivr check >/dev/null || fail "\`ivr check\` fails inside the container"

cat > "$work/caller.yaml" <<EOF
# \`ivr call\` reads the stored conversation from the container's SQLite file
database:
  url: sqlite:///$work/ivr.db
EOF

call() {
    local out=$1
    shift
    "$PYTHON" -m ivr call --host 127.0.0.1 --agi-port "$AGI_PORT" -c "$work/caller.yaml" "$@" >"$out" 2>&1 \
        || { cat "$out" >&2; fail "ivr call $* exited non-zero"; }
    cat "$out"
}
expect() {
    grep -qF -- "$2" "$1" || fail "$(basename "$1"): no '$2' in the call's output"
}

step "call 1: the caller says 'goodbye' (a recorded human voice)"
call "$work/call1.txt" --pause 12 "$CALLER_WAV"
expect "$work/call1.txt" "AGISTATUS=SUCCESS"
expect "$work/call1.txt" "bot: Thank you for calling"
grep -qiE "caller: .*good ?bye" "$work/call1.txt" || fail "call 1: Whisper did not hear 'goodbye'"
expect "$work/call1.txt" "dialplan: hangup"

step "call 2: the caller presses 0 (a person)"
call "$work/call2.txt" --pause 12 --digits 0
expect "$work/call2.txt" "AGISTATUS=SUCCESS"
expect "$work/call2.txt" "IVR_ACTION=transfer"
expect "$work/call2.txt" "[keypad 0]"
grep -qE "dialplan: queue [a-z]" "$work/call2.txt" || fail "call 2: the dialplan would not queue the caller"

size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
step "the image answered both calls: $IMAGE is $((size / 1000000)) MB; wall time $(($(date +%s) - started))s"
