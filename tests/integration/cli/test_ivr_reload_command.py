"""`ivr reload`: a changed flow reaches the running service; a broken one is refused, the old one stays."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.integration.cli.test_ivr_command_line import REPO, ivr


def write_config(tmp_path: Path) -> Path:
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


def test_reload_applies_a_changed_flow_and_refuses_a_broken_one(tmp_path: Path):
    config = write_config(tmp_path)
    flow = tmp_path / "flows" / "telecom.yaml"
    server = subprocess.Popen(
        [sys.executable, "-m", "ivr", "serve", "-c", str(config)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        read_until(server, "ivr listening")
        flow.write_text(flow.read_text() + "\n# an admin's edit\n")
        done = ivr("reload", "-c", str(config))
        assert done.returncode == 0, done.stderr
        assert "flows version 2" in read_until(server, "reload: flows")

        original = flow.read_text()
        flow.write_text(original.replace("steps:", "stepz:", 1))
        line = 1 + original[: original.index("steps:")].count("\n")
        refused = ivr("reload", "-c", str(config))
        assert refused.returncode == 1
        assert f"{flow}:{line}:" in refused.stderr
        assert "keeps its current version" in refused.stderr
        assert server.poll() is None, "a refused reload must not stop the service"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0
    assert not (tmp_path / "ivr.pid").exists()
