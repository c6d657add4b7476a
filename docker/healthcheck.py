#!/opt/ivr/venv/bin/python
"""Docker HEALTHCHECK: exit 0 when this worker can take a call, 1 when it cannot.

It asks the desktop port's GET /readyz: 200 ready, 503 not (draining, database gone with a full outbox,
AMI down, ASR or TTS dead; the body names the failed check). A service built before /readyz existed
answers 404 there; the desktop answering at all then means the service started (it opens its FastAGI
and AudioSocket listeners before the desktop), which is the most such a version can tell. A TCP probe of
the FastAGI port would say more but logs a truncated-session warning on every probe.
    ivr-healthcheck [URL]
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8080/readyz"
TIMEOUT = 8.0


def main(argv: list[str]) -> int:
    """Probe, print one line for `docker inspect`, return the exit status."""
    url = argv[0] if argv else URL
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as reply:
            print(f"ready: {reply.read(2000).decode('utf-8', 'replace')}")
            return 0
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            print("started (this version has no /readyz: the desktop answers, so the listeners are open)")
            return 0
        print(f"not ready ({exc.code}): {exc.read(2000).decode('utf-8', 'replace')}")
        return 1
    except (OSError, ValueError) as exc:
        print(f"not ready: {url}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
