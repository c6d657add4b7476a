"""The running service checks Asterisk's side when AMI logs in, and again after a reconnect."""

from __future__ import annotations

import asyncio
import logging

from ivr.asterisk_check import CONTEXTS, MODULES
from tests.e2e.handoff_support import fake_ami, handoff_service


class Warnings(logging.Handler):
    """Collects the check's warnings and wakes a waiter at each one (logged on the loop's thread)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.arrived = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.arrived.set()

    async def wait_for(self, count: int, timeout: float) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                self.arrived.clear()  # no await since the count was read: no warning can be missed
                await self.arrived.wait()


async def test_service_warns_once_per_login_about_what_asterisk_lacks(running_service, monkeypatch):
    ami = fake_ami()  # no dialplan loaded: every context is missing
    ami.modules.discard("func_dialplan")
    seen = Warnings()
    logger = logging.getLogger("ivr.asterisk")
    logger.addHandler(seen)
    try:
        async with handoff_service(running_service, monkeypatch, ami):
            await seen.wait_for(1, 60)
            await ami.drop_connections()
            await seen.wait_for(2, 60)
    finally:
        logger.removeHandler(seen)
    assert len(ami.actions_named("ModuleCheck")) == 2 * len(MODULES)
    first, second = seen.messages
    assert first == second
    assert "module func_dialplan is not loaded (DIALPLAN_EXISTS:" in first
    assert all(f"[{context.name}] is missing" in first for context in CONTEXTS)
