"""Call fixtures for end-to-end, CLI and benchmark code: a real IvrService called through the fake PBX."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.bot import Bot, CallInfo
from ivr.config import ServiceConfig
from ivr.fakepbx.audiosocket import Digit, answered, until_the_bot_ends
from ivr.fakepbx.pbx import FakePbx
from ivr.service import IvrService

ALLISON = Path("/usr/share/asterisk/sounds/en_US_f_Allison")


@pytest.fixture(scope="session")
def prompt_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One prompt cache for the whole run, so each fixed sentence is synthesised once."""
    return tmp_path_factory.mktemp("prompts")


def service_config(tmp_path: Path, prompt_cache: Path, **sections: dict) -> ServiceConfig:
    """A service config on free ports with its own SQLite file."""
    data: dict = {
        "listen": {"host": "127.0.0.1", "fastagi_port": 0, "audiosocket_port": 0, "desktop_port": 0},
        "ami": {"enabled": False},
        "database": {"url": f"sqlite:///{tmp_path / 'ivr.db'}"},
        # No flows, no queue YAML, no desktop unless a test asks: the call-path tests run the echo bot.
        "paths": {
            "prompt_cache": str(prompt_cache),
            "flows": str(tmp_path / "no-flows"),
            "queues": str(tmp_path / "no-queues.yaml"),
            "pidfile": str(tmp_path / "ivr.pid"),
            "journal": str(tmp_path / "outbox.journal"),
        },
        "web": {"enabled": False},
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return ServiceConfig.model_validate(data)


@dataclass
class FixedBots:
    """A bot source for tests and benchmarks: every call gets `bot_for_call(call)`, flows stay unloaded."""

    bot_for_call: Callable[[CallInfo], Bot]

    @classmethod
    def of(cls, bot_factory: Callable[[], Bot] | None = None, bot_for_call=None) -> FixedBots | None:
        """From a factory of one bot per call, or a bot chosen per call; None when neither is given."""
        if bot_for_call is not None:
            return cls(bot_for_call)
        if bot_factory is not None:
            return cls(lambda call: bot_factory())
        return None

    def make(self, call: CallInfo, router, hotline: str | None) -> Bot:
        """The test's bot for this call."""
        return self.bot_for_call(call)

    async def refresh_knowledge(self, store) -> None:
        """A fixed bot reads no published knowledge."""


@pytest.fixture
def running_service(tmp_path: Path, prompt_cache: Path) -> Callable:
    """`async with running_service(**sections) as service:` a started service, stopped at the end."""

    @contextlib.asynccontextmanager
    async def run(bot_factory=None, bot_for_call=None, **sections: dict) -> AsyncIterator[IvrService]:
        config = service_config(tmp_path, prompt_cache, **sections)
        service = IvrService(config, bot_source=FixedBots.of(bot_factory, bot_for_call))
        await service.start()
        try:
            yield service
        finally:
            await service.stop()

    return run


def callback_booking() -> list:
    """A caller who asks for a person (0), then takes the callback offer (1) as soon as it starts."""
    return [answered(), Digit("0"), answered(0.0), Digit("1"), until_the_bot_ends()]


def pbx_for(service: IvrService) -> FakePbx:
    """A fake PBX whose hotline extension points at `service`."""
    return FakePbx("127.0.0.1", service.agi.port, fallback_queue=service.config.bot.fallback_queue)


class StoreSpy:
    """Wraps a service's CallStore: the turns and call ends its calls store, as they are stored.

    Tests wait on these (`SilenceUntil(spy.said("bot", 2))`) rather than on fixed delays, so a call
    behaves the same however long decoding and synthesis take on a loaded machine.
    """

    def __init__(self, service: IvrService) -> None:
        self._store = service.store
        service.store = self  # sessions take the store from the service when the call starts
        self.turns: list[tuple[str, str]] = []  # (speaker, text), in the order they were stored
        self.ends: list[str] = []

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    async def add_turn(self, call, **fields) -> None:
        """Store the turn, then note it."""
        await self._store.add_turn(call, **fields)
        self.turns.append((fields["speaker"], fields["text"]))

    async def end_call(self, call, **fields):
        """Note the end reason, then store the end."""
        self.ends.append(fields["end_reason"])
        return await self._store.end_call(call, **fields)

    def said(self, speaker: str, count: int) -> Callable[[object], bool]:
        """A condition: `speaker` ("bot" or "caller") has `count` turns stored (a bot turn is stored
        once it has been played, or cut)."""
        return lambda _caller: sum(1 for who, _ in self.turns if who == speaker) >= count


async def settle(service: IvrService, baseline: set[asyncio.Task]) -> set[asyncio.Task]:
    """Wait for the service to have no session and for the call's tasks to end; returns the leftovers."""
    await asyncio.wait_for(service.idle.wait(), 60)
    await asyncio.wait_for(service.store.wait_flushed(), 60)  # a call's writes land just after it ends
    extra = _extra_tasks(baseline)
    if extra:  # connection handlers finish right after the session; give them a bounded chance
        await asyncio.wait(extra, timeout=5)
    return _extra_tasks(baseline)


def _extra_tasks(baseline: set[asyncio.Task]) -> set[asyncio.Task]:
    """Tasks alive now that were not alive at the baseline (the current task excluded)."""
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t not in baseline and t is not current and not t.done()}
