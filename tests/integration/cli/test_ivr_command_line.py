"""The `ivr` command as an admin runs it: check, refusing to serve a broken file, and a test call."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from ivr.fakepbx.cli_call import run_call
from tests.support.calls import ALLISON

REPO = Path(__file__).resolve().parents[3]


def ivr(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m ivr ...` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "ivr", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def test_check_accepts_the_shipped_config():
    done = ivr("check", "-c", "config/ivr.yaml")
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout


def test_check_names_file_line_and_key_path(tmp_path: Path):
    broken = tmp_path / "ivr.yaml"
    broken.write_text("listen:\n  host: 0.0.0.0\n  fastagi_port: 99999\nasr:\n  endpointing: fats\n")
    done = ivr("check", "-c", str(broken))
    assert done.returncode == 1
    assert f"{broken}:3: listen.fastagi_port:" in done.stderr
    assert f"{broken}:5: asr.endpointing:" in done.stderr and "fast" in done.stderr


def test_serve_refuses_to_start_on_a_broken_file(tmp_path: Path):
    broken = tmp_path / "ivr.yaml"
    broken.write_text("bot:\n  greting: hello\n")
    done = ivr("serve", "-c", str(broken))
    assert done.returncode == 2
    assert f"{broken}:2: bot.greting:" in done.stderr
    assert "refusing to start" in done.stderr


def test_serve_names_a_missing_model_and_how_to_get_one(tmp_path: Path):
    config = tmp_path / "ivr.yaml"
    missing = tmp_path / "no-such-model"
    config.write_text(
        "listen: {host: 127.0.0.1, fastagi_port: 0, audiosocket_port: 0, desktop_port: 0}\n"
        "ami: {enabled: false}\n"
        f"database: {{url: 'sqlite:///{tmp_path}/ivr.db'}}\n"
        f"asr: {{engine: vosk, model: '{missing}'}}\n"
    )
    done = ivr("serve", "-c", str(config))
    assert done.returncode == 2
    assert str(missing) in done.stderr and "ivr models download" in done.stderr
    assert "Traceback" not in done.stderr


async def test_ivr_call_prints_the_conversation(running_service, capsys):
    async with running_service() as service:
        args = argparse.Namespace(
            host="127.0.0.1",
            agi_port=service.agi.port,
            wavs=[ALLISON / "vm-goodbye.wav"],
            digits="",
            pause=3.2,
            speed=1.0,
            caller="5550000",
            caller_name="Newcomer",
        )
        code = await run_call(args, service.config)
    out = capsys.readouterr().out
    assert code == 0
    assert "bot: Thank you for calling. How can I help you?" in out
    assert "caller: " in out and "goodbye" in out.lower()
    assert "dialplan: hangup" in out
