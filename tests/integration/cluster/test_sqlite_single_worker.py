"""SQLite serves one worker: a second `ivr serve` on the same file is refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import StartupError
from tests.integration.cli.test_ivr_command_line import ivr
from tests.support.serve_process import serving, shipped_flows_config


async def test_a_second_worker_on_the_same_sqlite_file_is_refused(running_service):
    async with running_service() as first:
        with pytest.raises(StartupError, match=r"already used by another `ivr serve`.*PostgreSQL"):
            async with running_service():
                pass
        assert first.agi.listening, "the refused worker must not disturb the running one"
    async with running_service() as again:  # released at stop: a restart takes the file again
        assert again.agi.listening


def test_ivr_serve_refuses_with_exit_status_2_and_the_holders_pid(tmp_path: Path):
    config = shipped_flows_config(tmp_path)
    with serving(config) as server:
        second = ivr("serve", "-c", str(config), timeout=120)
        assert second.returncode == 2
        holder = f"error: {tmp_path}/ivr.db is already used by another `ivr serve` (pid {server.pid})"
        assert holder in second.stderr
        assert "SQLite serves one worker" in second.stderr
