"""How a worker joins its cluster: the link's hooks wired to the service's callbacks, reload and knowledge."""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from ivr.cluster.link import ClusterLink
from ivr.cluster.pg import is_postgres

if TYPE_CHECKING:
    from ivr.config import ServiceConfig
    from ivr.storage.store import CallStore
    from ivr.wiring import Acd, BotSource

log = logging.getLogger("ivr.cluster")


class ClusterHost(Protocol):
    """What the link reads from the service: its config, callbacks, knowledge and calls."""

    config: ServiceConfig
    acd: Acd  # its callback scheduler runs on the lease holder
    bots: BotSource  # published knowledge
    store: CallStore
    own_calls: Callable[[], list[dict]]
    reload: Callable[[], Awaitable[list[str]]]


def worker_name(config: ServiceConfig) -> str:
    """This worker's one name, in the cluster registry and on the calls it stores (crash recovery closes
    only its own): cluster.name, else host and the configured FastAGI port, the same at every restart."""
    return config.cluster.name or f"{socket.gethostname()}:{config.listen.fastagi_port}"[:64]


def make_link(service: ClusterHost) -> ClusterLink | None:
    """The worker's cluster link on PostgreSQL; None on SQLite (a single worker)."""
    url = service.config.database_url()
    if not is_postgres(url):
        return None
    scheduler = service.acd.scheduler

    async def lead() -> None:
        if scheduler is not None:
            loaded = await scheduler.take_over()
            log.info("cluster: %d pending callback requests taken over", loaded)

    async def resign() -> None:
        if scheduler is not None:
            await scheduler.step_down()

    async def duty() -> None:
        if scheduler is not None:
            await scheduler.sync()
            await scheduler.tick()

    async def knowledge() -> None:
        await service.bots.refresh_knowledge(service.store)

    return ClusterLink(
        url,
        worker_name(service.config),
        period=service.config.cluster.lease_seconds,
        calls=service.own_calls,
        on_lead=lead,
        on_resign=resign,
        on_duty=duty,
        on_reload=service.reload,
        on_knowledge=knowledge,
    )
