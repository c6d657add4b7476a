"""The small faults of issue 14, point 8, each end with a clear one-line error instead of a traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ivr.fakepbx.cli_call import run_call
from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[3]


def ivr(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m ivr ...` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "ivr", *args],
        cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip


def minimal_config(tmp_path: Path, extra: str = "") -> Path:
    """A config on free ports and a temporary SQLite file."""
    config = tmp_path / "ivr.yaml"
    config.write_text(
        "listen: {host: 127.0.0.1, fastagi_port: 0, audiosocket_port: 0, desktop_port: 0}\n"
        "ami: {enabled: false}\n"
        f"database: {{url: 'sqlite:///{tmp_path}/ivr.db'}}\n"
        f"paths: {{flows: '{tmp_path}/none', queues: '{tmp_path}/none.yaml', pidfile: '{tmp_path}/p'}}\n"
        + extra
    )
    return config


def test_check_refuses_a_model_path_that_does_not_exist(tmp_path: Path):
    missing = tmp_path / "no-such-model"
    done = ivr("check", "-c", str(minimal_config(tmp_path, f"asr: {{model: '{missing}'}}\n")))
    assert done.returncode == 1
    assert "asr.model" in done.stderr and str(missing) in done.stderr and "does not exist" in done.stderr
    assert "ok" not in done.stdout


def test_serve_with_a_short_web_secret_says_so_in_one_line(tmp_path: Path):
    done = ivr("serve", "-c", str(minimal_config(tmp_path)), env={"IVR_WEB_SECRET": "short"})
    assert done.returncode == 2
    assert "IVR_WEB_SECRET" in done.stderr and "at least 16 bytes" in done.stderr
    assert "Traceback" not in done.stderr


async def test_ivr_call_while_the_database_is_down_explains_instead_of_crashing(running_service, capsys):
    async with running_service() as service:
        down = service.config.model_copy(
            update={"database": service.config.database.model_copy(
                update={"url": f"postgresql://ivr@127.0.0.1:{free_port()}/ivr"})}
        )  # fmt: skip
        args = argparse.Namespace(
            host="127.0.0.1", agi_port=service.agi.port, wavs=[], digits="0", pause=2.0, speed=1.0,
            caller="5550000", caller_name="Someone",
        )  # fmt: skip
        code = await run_call(args, down)
    captured = capsys.readouterr()
    assert code == 0
    assert "IVR_CALL_UUID=" in captured.out  # the call itself went through
    assert "cannot read the conversation from the database" in captured.err
