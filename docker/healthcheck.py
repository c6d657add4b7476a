#!/opt/ivr/venv/bin/python
"""Docker HEALTHCHECK: exit 0 when this worker can take a call, 1 when it cannot.

It asks the desktop port's GET /readyz (200 ready, 503 not: draining, database gone with a full outbox,
AMI down, ASR or TTS dead; the body names the failed check). A service built before /readyz existed
answers 404 there: then the FastAGI listener accepting a connection is the fallback test, so an image
of such a version is still marked unhealthy when it cannot take calls.
    ivr-healthcheck [URL] [FASTAGI_HOST:PORT]
"""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8080/readyz"
FASTAGI = "127.0.0.1:4573"
TIMEOUT = 4.0


def fastagi_accepts(address: str) -> bool:
    """True when a TCP connection to the FastAGI listener opens (closed at once: no call is started)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=TIMEOUT):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    """Probe, print one line for `docker inspect`, return the exit status."""
    url = argv[0] if argv else URL
    fastagi = argv[1] if len(argv) > 1 else FASTAGI
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as reply:
            print(f"ready: {reply.read(2000).decode('utf-8', 'replace')}")
            return 0
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            print(f"not ready ({exc.code}): {exc.read(2000).decode('utf-8', 'replace')}")
            return 1
    except (OSError, ValueError) as exc:
        print(f"not ready: {url}: {exc}")
        return 1
    if fastagi_accepts(fastagi):
        print(f"no /readyz in this version; FastAGI {fastagi} accepts connections")
        return 0
    print(f"no /readyz in this version and FastAGI {fastagi} refuses connections")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
