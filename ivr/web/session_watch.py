"""Open WebSockets follow their session: a socket whose session ended is closed within a second.

Why a watch: `ivr users disable|passwd` runs in another process, and later another worker may serve the
logout; neither can reach this process's sockets. So one task of the app re-checks, every
`revalidate_s`, that the sessions of the open sockets still hold (one query for all of them), and closes
those that do not, before another screen-pop can reach them. A logout served here closes its sockets at
once without waiting. While the database cannot answer, sockets stay open (nothing can be verified) and
the next successful check catches up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from aiohttp import web

from ivr.storage.web_sessions import SessionStore
from ivr.web.deps import DEPS, HUB

log = logging.getLogger(__name__)

REVALIDATE_S = 1.0
SESSIONS = web.AppKey("sessions", SessionStore)
_WATCH = web.AppKey("session-watch", asyncio.Task)


def sessions_of(app: web.Application) -> SessionStore:
    """The app's session records."""
    return app[SESSIONS]


async def revalidate(app: web.Application) -> int:
    """Close the sockets whose session no longer holds; returns how many were closed."""
    hub = app[HUB]
    keys = {peer.session for peer in hub.peers() if peer.session}
    if not keys:
        return 0
    live = await app[SESSIONS].live(keys, datetime.now(UTC))
    return await hub.close_sessions(keys - live, "session ended")


async def _watch(app: web.Application, every: float) -> None:
    """Re-check the open sockets' sessions forever (cancelled at app clean-up)."""
    failing = False
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.wait_for(revalidate(app), every * 5)
            failing = False
        except Exception as exc:  # the database is away: keep the sockets, try again next round
            if not failing:
                log.warning("desktop: open sessions cannot be checked: %s", type(exc).__name__)
            failing = True


def watch_sessions(app: web.Application, every: float) -> None:
    """Run the watch for the app's lifetime; the app owns the task."""

    async def start(app: web.Application) -> None:
        app[_WATCH] = app[DEPS].tasks.spawn(_watch(app, every), name="session-watch")

    async def stop(app: web.Application) -> None:
        task = app.get(_WATCH)
        if task is not None:
            await app[DEPS].tasks.cancel(task)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
