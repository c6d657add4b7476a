"""Browser test fixtures: the desktop served from an asyncio loop in a background thread.

The pattern: selenium is blocking, so the test body stays synchronous and the server side (CallStore on
SQLite, fake AMI + real AmiClient, the desktop app) runs in its own event loop on a thread. Tests call
`backend.run(coroutine)` to do server-side work (seed data, emit AMI events) and wait for its result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.ami.client import AmiClient
from ivr.fakepbx.ami import FakeAmiServer
from ivr.storage.desk import DeskStore
from ivr.storage.store import CallStore
from ivr.web.app import WebServer, make_app
from ivr.web.deps import WebDeps
from tests.browser.driver import make_driver
from tests.integration.web_core.seed import agent_of, interface_of
from tests.support.desk_queues import desk_queues

T = TypeVar("T")
SECRET = b"browser-tests-secret-0123456789ab"


class LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="desk-backend", daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the loop and join the thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@dataclass
class Backend:
    """The running desktop and what tests drive it with."""

    thread: LoopThread
    store: CallStore
    desk: DeskStore
    ami_server: FakeAmiServer
    ami: AmiClient
    server: WebServer
    deps: WebDeps
    _stops: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Base URL of the desktop."""
        return f"http://127.0.0.1:{self.server.port}"

    def run(self, coro: Awaitable[T]) -> T:
        """Run server-side work on the backend loop."""
        return self.thread.run(coro)


async def _start(tmp_path: Path, thread: LoopThread, customize: Callable[[WebDeps], None] | None) -> Backend:
    """Open storage, the fake AMI and a client, and serve the app on a free port."""
    store = await CallStore.open(f"sqlite:///{tmp_path / 'ivr.db'}")
    ami_server = FakeAmiServer({"ivr": "s3cret"})
    await ami_server.start()
    ami = AmiClient("127.0.0.1", ami_server.port, "ivr", "s3cret", action_timeout=10.0, backoff_initial=0.02)
    ami_task = asyncio.get_running_loop().create_task(ami.run())
    await ami.wait_connected(5)
    desk = DeskStore(store.session_factory)
    deps = WebDeps(
        store=store, desk=desk, agent_of=agent_of, interface_of=interface_of, **desk_queues(ami, store)
    )
    if customize is not None:
        customize(deps)
    server = WebServer(make_app(deps, secret=SECRET))
    await server.start("127.0.0.1", 0)
    backend = Backend(thread, store, desk, ami_server, ami, server, deps)

    async def stop_ami() -> None:
        await ami.close()
        await asyncio.wait_for(ami_task, 5)

    backend._stops += [server.stop, stop_ami, ami_server.close, store.close]
    return backend


async def _stop(backend: Backend) -> None:
    """Stop everything in reverse order of start."""
    for stop in backend._stops:
        await stop()


@pytest.fixture
def desk_backend(tmp_path: Path) -> Iterator[Callable[..., Backend]]:
    """`desk_backend(customize=None)` starts the desktop backend; stopped at the end of the test."""
    thread = LoopThread()
    started: list[Backend] = []

    def start(customize: Callable[[WebDeps], None] | None = None) -> Backend:
        backend = thread.run(_start(tmp_path, thread, customize))
        started.append(backend)
        return backend

    yield start
    for backend in started:
        thread.run(_stop(backend))
    thread.stop()


@pytest.fixture
def browsers() -> Iterator[Callable[[], WebDriver]]:
    """`browsers()` opens another headless Chromium; all are quit at the end of the test."""
    opened: list[WebDriver] = []

    def open_one() -> WebDriver:
        driver = make_driver()
        opened.append(driver)
        return driver

    yield open_one
    for driver in opened:
        driver.quit()
