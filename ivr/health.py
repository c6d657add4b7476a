"""Readiness of one worker: can it take a call now? Read by `/readyz` (docker HEALTHCHECK, load balancers).

How this works: each check is a small coroutine returning (ok, detail). A worker is ready when it is not
draining, its FastAGI listener is open, the database answers `SELECT 1` (or, during an outage, the
outbox still has room, so calls go on and their writes wait), AMI is logged in when it is enabled, the
speech recogniser is loaded and a TTS worker process is running (a dead one is respawned by the probe).
Details are short fixed phrases and counts: no URL, host name or secret ever reaches the body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Check:
    """One readiness check's result."""

    ok: bool
    detail: str


async def readiness(service: Any) -> dict[str, Any]:
    """{"ready": bool, "checks": {name: {"ok", "detail"}}} for a started IvrService."""
    probes: dict[str, Callable[[Any], Awaitable[Check]]] = {
        "draining": _not_draining,
        "fastagi": _listening,
        "database": _database,
        "ami": _ami,
        "asr": _asr,
        "tts": _tts,
    }
    results = await asyncio.gather(*(_safely(probe, service) for probe in probes.values()))
    checks = {name: {"ok": r.ok, "detail": r.detail} for name, r in zip(probes, results, strict=True)}
    return {"ready": all(r.ok for r in results), "checks": checks}


async def _safely(probe: Callable[[Any], Awaitable[Check]], service: Any) -> Check:
    """A probe that raises (or hangs) is a failed check, never a failed endpoint."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT * 2):
            return await probe(service)
    except Exception as exc:
        log.warning("readiness probe %s failed: %s", probe.__name__, type(exc).__name__)
        return Check(False, f"probe failed: {type(exc).__name__}")


async def _not_draining(service: Any) -> Check:
    if service.draining:
        return Check(False, "draining: no new calls")
    return Check(True, "taking calls")


async def _listening(service: Any) -> Check:
    if not service.agi.listening:
        return Check(False, "FastAGI listener closed")
    return Check(True, f"{service.agi.connections} calls connected")


async def _database(service: Any) -> Check:
    store = service.store
    try:
        async with asyncio.timeout(PROBE_TIMEOUT), store.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        pending, room = store.pending_writes, store.outbox_capacity - store.pending_writes
        if room > 0:
            return Check(True, f"unreachable ({type(exc).__name__}); {pending} writes wait in the outbox")
        return Check(False, f"database unreachable and the outbox is full ({pending} writes)")
    return Check(True, f"reachable; {store.pending_writes} writes pending")


async def _ami(service: Any) -> Check:
    if not service.config.ami.enabled:
        return Check(True, "disabled")
    if service.ami is None:
        return Check(False, "enabled but IVR_AMI_SECRET is not set")
    if not service.ami.connected.is_set():
        return Check(False, "not logged in to the Asterisk manager")
    return Check(True, "logged in")


async def _asr(service: Any) -> Check:
    if service.asr is None:
        return Check(False, "no speech recogniser loaded")
    return Check(True, f"{service.config.asr.engine} loaded")


async def _tts(service: Any) -> Check:
    pool = service.tts.pool
    running = sum(w.pid is not None for w in pool.workers)
    if running == 0:  # all died since the last request: respawn one now, as the next call would
        async with asyncio.timeout(PROBE_TIMEOUT), pool.acquire() as worker:
            await worker.voices()
        running = sum(w.pid is not None for w in pool.workers)
    return Check(running > 0, f"{running} of {len(pool.workers)} workers running")
