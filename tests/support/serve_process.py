"""`ivr serve` in a child process, for the faults a test process must not suffer itself: kill -9, and a
low open-file limit (RLIMIT_NOFILE applied to the child only); and `serving()` for the command-line tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

from ivr.config import ServiceConfig

REPO = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"ivr listening: FastAGI [^ ]+:(\d+), AudioSocket [^ ]+:(\d+)")
_DESKTOP = re.compile(r"agent desktop on http://[^/]+:(\d+)/")


def write_config(config: ServiceConfig, path: Path) -> Path:
    """The config as the YAML file `ivr serve -c` reads."""
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    return path


def shipped_flows_config(tmp_path: Path) -> Path:
    """A service config on free ports whose flows are a copy of the shipped ones."""
    flows = tmp_path / "flows"
    shutil.copytree(REPO / "dialplan", flows, ignore=shutil.ignore_patterns("*.conf", "*.md"))
    config = tmp_path / "ivr.yaml"
    config.write_text(
        "listen: {host: 127.0.0.1, fastagi_port: 0, audiosocket_port: 0, desktop_port: 0}\n"
        "ami: {enabled: false}\n"
        "web: {enabled: false}\n"
        f"database: {{url: 'sqlite:///{tmp_path}/ivr.db'}}\n"
        f"paths: {{flows: '{flows}', pidfile: '{tmp_path}/ivr.pid', journal: '{tmp_path}/outbox.journal',"
        f" prompt_cache: '{REPO}/var/prompts'}}\n"
    )
    return config


def read_until(server: subprocess.Popen[str], marker: str) -> str:
    """Lines of the server's log up to the first that contains `marker` (the event we wait for)."""
    seen = []
    for line in server.stderr:  # type: ignore[union-attr]
        seen.append(line)
        if marker in line:
            return line
    raise AssertionError(f"server ended before logging {marker!r}:\n{''.join(seen[-20:])}")


@contextlib.contextmanager
def serving(config: Path, stop_timeout: float = 60) -> Iterator[subprocess.Popen[str]]:
    """`ivr serve -c config` from the repository root, once it listens; SIGTERM and wait at the end."""
    server = subprocess.Popen(
        [sys.executable, "-m", "ivr", "serve", "-c", str(config)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        read_until(server, "ivr listening")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=stop_timeout)


class ServeProcess:
    """One `python -m ivr serve -c <config>`; its log (stderr) goes to `log_path`."""

    def __init__(self, config_path: Path, log_path: Path, *, nofile: int | None = None) -> None:
        self.config_path, self.log_path, self.nofile = config_path, log_path, nofile
        self.proc: asyncio.subprocess.Process | None = None
        self.agi_port = self.audio_port = self.desktop_port = 0

    def _limits(self) -> None:
        """In the child before exec: the open-file limit under test."""
        if self.nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    async def start(self, timeout: float = 180.0) -> None:  # noqa: ASYNC109
        """Start the service and return once it says it is running, with its ports read from its log."""
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ivr", "serve", "-c", str(self.config_path),
                cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=log, preexec_fn=self._limits,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            while b"ivr is running" not in (line := await self.proc.stdout.readline()):
                if not line:
                    raise RuntimeError(f"ivr serve exited: {self.log_path.read_text()[-3000:]}")
        text = self.log_path.read_text(errors="replace")
        listening = _LISTENING.findall(text)[-1]
        self.agi_port, self.audio_port = int(listening[0]), int(listening[1])
        desktop = _DESKTOP.findall(text)
        self.desktop_port = int(desktop[-1]) if desktop else 0

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> int | None:
        """SIGTERM and wait (SIGKILL after 30 s); returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.kill()
        with contextlib.suppress(ProcessLookupError):
            await self.proc.wait()
        return self.proc.returncode
