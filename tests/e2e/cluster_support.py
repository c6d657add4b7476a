"""Helpers of the cluster end-to-end tests: `ivr serve` worker processes on one PostgreSQL, their logs,
a desktop browser session, and stored calls read back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import yaml
from yarl import URL

from ivr.storage.store import CallStore
from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
WEB_SECRET = "cluster-e2e-web-secret-0123456789abcdef"
PASSWORD = "correct horse battery staple"
START_TIMEOUT = 180.0  # three workers load Whisper and espeak-ng at once on a loaded 2-core machine


@dataclass
class Worker:
    """One `ivr serve` process with fixed ports (a restarted worker keeps its address) and its log."""

    name: str
    config: Path
    env: dict[str, str]
    agi_port: int = field(default_factory=free_port)
    audio_port: int = field(default_factory=free_port)
    desktop_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def address(self) -> tuple[str, int]:
        """Where Asterisk reaches its FastAGI listener."""
        return ("127.0.0.1", self.agi_port)

    def write_config(self, **sections: dict) -> None:
        """The worker's ivr.yaml: its ports and name, the shipped flows and queues, and `sections`."""
        data: dict = {
            "listen": {
                "host": "127.0.0.1",
                "fastagi_port": self.agi_port,
                "audiosocket_port": self.audio_port,
                "desktop_port": self.desktop_port,
                "audiosocket_advertise": f"127.0.0.1:{self.audio_port}",
            },
            "ami": {"enabled": False},
            "paths": {
                "prompt_cache": str(REPO / "var" / "prompts"),
                "pidfile": str(self.config.with_suffix(".pid")),
                "journal": str(self.config.with_suffix(".journal")),
            },
            "cluster": {"name": self.name, "lease_seconds": 0.5},
        }
        for key, values in sections.items():
            data[key] = {**data.get(key, {}), **values}
        self.config.write_text(yaml.safe_dump(data))

    def start(self) -> None:
        """Spawn `ivr serve`; its stderr is collected line by line."""
        self.lines = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ivr", "serve", "-c", str(self.config)],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()

    def _read(self, proc: subprocess.Popen[str], lines: list[str]) -> None:
        # Into this run's list: stderr ends when the worker's children (ASR decoders, multiprocessing's
        # resource tracker) have closed it too, which can be after a restart has begun the next list.
        for line in proc.stderr:  # type: ignore[union-attr]
            with self._cond:
                lines.append(line)
                self._cond.notify_all()
        with self._cond:
            lines.append("<process ended>\n")
            self._cond.notify_all()

    async def wait_log(self, marker: str, count: int = 1, timeout: float = START_TIMEOUT) -> str:  # noqa: ASYNC109
        """Wait for the `count`-th log line containing `marker` (the process ending fails the test)."""

        def wait() -> str:
            with self._cond:
                found = self._cond.wait_for(
                    lambda: len(self._matching(marker)) >= count or "<process ended>\n" in self.lines, timeout
                )
                matching = self._matching(marker)
                if not found or len(matching) < count:
                    tail = "".join(self.lines[-25:])
                    raise AssertionError(f"{self.name}: no {count}x {marker!r} in its log:\n{tail}")
                return matching[count - 1]

        return await asyncio.to_thread(wait)

    def _matching(self, marker: str) -> list[str]:
        return [line for line in self.lines if marker in line]

    def log_has(self, marker: str) -> bool:
        """Whether some log line contains `marker` now."""
        with self._cond:
            return bool(self._matching(marker))

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the process."""
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def exit_code(self, timeout: float = 120.0) -> int:  # noqa: ASYNC109
        """Wait for the process to end; its exit status."""
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait, timeout)

    def stop(self) -> None:
        """End the process if it still runs (test teardown)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_workers(tmp_path: Path, count: int, env: dict[str, str], **sections: dict) -> list[Worker]:
    """`count` workers w1..wN with their configs written (ports chosen now, kept across restarts)."""
    workers = [Worker(f"w{i}", tmp_path / f"w{i}.yaml", env) for i in range(1, count + 1)]
    listed = [f"127.0.0.1:{w.agi_port}" for w in workers]
    for w in workers:
        w.write_config(cluster={"name": w.name, "lease_seconds": 0.5, "workers": listed}, **sections)
    return workers


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of every worker: the shared database, web secret and anything else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    return {**env, "IVR_DATABASE_URL": database_url, "IVR_WEB_SECRET": WEB_SECRET, **extra}


class Browser:
    """A desktop user's browser on one worker: login cookie, CSRF token, one WebSocket."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        # A browser reads all the time (which also answers the server's heartbeat pings).
        self.messages: asyncio.Queue[dict] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def login(self, username: str) -> None:
        """The login page, then the form post with the pre-login CSRF cookie."""
        async with self.http.get(f"{self.base}/login") as page:
            assert page.status == 200
        csrf = self.http.cookie_jar.filter_cookies(URL(self.base))["ivr_csrf"].value
        body = {"username": username, "password": PASSWORD}
        async with self.http.post(f"{self.base}/api/login", json=body, headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 200, await r.text()

    async def get_json(self, path: str) -> dict:
        """GET an API path as this user."""
        async with self.http.get(f"{self.base}{path}") as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def open_socket(self) -> dict:
        """Open the desktop WebSocket; returns the hello message."""
        self.ws = await self.http.ws_connect(f"{self.base}/ws", headers={"Origin": self.base})
        self._reader = asyncio.get_running_loop().create_task(self._read(self.ws))
        return await self.receive("hello")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await self.messages.put(message.json())

    async def receive(self, kind: str, timeout: float = 30.0) -> dict:  # noqa: ASYNC109
        """The next WebSocket message of type `kind` (others are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.messages.get()
                if message.get("type") == kind:
                    return message

    async def close(self) -> None:
        """Close the socket and the session."""
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.http.close()


async def stored_calls(database_url: str) -> dict[str, object]:
    """Every stored call with turns and transfers, by call uuid."""
    from sqlalchemy import select

    from ivr.storage.models import Call

    store = await CallStore.open(database_url, migrate=False)
    try:
        async with store.session_factory() as session:
            uuids = list(await session.scalars(select(Call.call_uuid)))
        return {u: await store.get_call(u) for u in uuids}
    finally:
        await store.close()


async def readyz(port: int) -> tuple[int, dict]:
    """GET /readyz without any login."""
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/readyz") as response:
        return response.status, await response.json()
