"""config/QUEUES.md's Asterisk set-up, done in a folder laid out like /etc/asterisk: every include resolves.

Asterisk resolves a relative `#include`/`#tryinclude` against its config folder, so the documented
commands are run with /etc/asterisk pointing at a temporary one, then every include is followed the way
Asterisk would, the dialplan is loaded into the fake AMI server, and the service's check of Asterisk's
side (AMI ModuleCheck and ShowDialPlan) must find nothing missing.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.ami.client import AmiClient
from ivr.asterisk_check import CONTEXTS, MODULES, AsteriskCheck
from ivr.fakepbx.ami import FakeAmiServer
from ivr.fakepbx.ami_core import load_dialplan
from tests.support.readme import marked_blocks, shell_lines

REPO = Path(__file__).resolve().parents[3]
QUEUES_MD = REPO / "config" / "QUEUES.md"
OPTIONAL = {"queues_custom.conf"}  # documented as "if it exists"
ENTRY_FILES = ("extensions.conf", "manager.conf", "queues.conf", "queuerules.conf")  # Asterisk reads these


def documented(etc: Path, block: str) -> str:
    """A documented command block aimed at `etc` instead of /etc/asterisk, run without sudo."""
    text = marked_blocks(QUEUES_MD.read_text())[block]
    text = text.replace("sudo .venv/bin/ivr", f"{sys.executable} -m ivr").replace("sudo ", "")
    user = getpass.getuser()
    return text.replace("chown asterisk:", f"chown {user}:").replace("/etc/asterisk", str(etc))


def set_up_as_documented(etc: Path) -> None:
    """Steps 1-3 of QUEUES.md's "Asterisk setup, step by step" into `etc`."""
    etc.mkdir(parents=True)
    script = "set -e\n" + "\n".join(shell_lines(documented(etc, "asterisk-config")))
    script += "\n" + "\n".join(shell_lines(documented(etc, "ami-secret")))
    env = {"PATH": "/usr/bin:/bin", "IVR_AMI_SECRET": "s3cret", "HOME": str(etc)}
    done = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    stock = "[general]\nstatic = yes\nwriteprotect = no\n\n"
    (etc / "extensions.conf").write_text(stock + marked_blocks(QUEUES_MD.read_text())["extensions-conf"])
    (etc / "manager.conf").write_text(
        '[general]\nenabled = yes\nport = 5038\n\n#include "manager_ivr.conf"\n'
    )


def includes(etc: Path, name: str) -> list[tuple[str, str, bool]]:
    """Every (directive, target, found) reachable from one file, resolved as Asterisk does."""
    found = []
    for line in (etc / name).read_text().splitlines():
        directive, _, target = line.strip().partition(" ")
        if directive in ("#include", "#tryinclude"):
            target = target.strip().strip('"')
            path = Path(target) if Path(target).is_absolute() else etc / target
            found.append((directive, target, path.is_file()))
            if path.is_file():
                found += includes(etc, str(path.relative_to(etc)) if path.is_relative_to(etc) else str(path))
    return found


def test_every_include_of_the_documented_layout_resolves(tmp_path: Path) -> None:
    etc = tmp_path / "etc" / "asterisk"
    set_up_as_documented(etc)
    seen = [item for name in ENTRY_FILES for item in includes(etc, name)]
    assert {target for _, target, _ in seen} >= {
        "extensions_ivr.conf",
        "extensions_ivr_queues.conf",
        "manager_ivr.conf",
        "manager_ivr_secret.conf",
        "queues_custom.conf",
    }
    missing = [(directive, target) for directive, target, ok in seen if not ok and target not in OPTIONAL]
    assert missing == []
    contexts = load_dialplan(etc)
    assert {needed.name for needed in CONTEXTS} <= set(contexts)
    settings = {p.data for p in contexts["ivr-settings"].priorities}
    assert "__IVR_FALLBACK_QUEUE=support-en" in settings  # the generated settings, not the built-in ones


def test_generated_files_in_a_subfolder_are_silently_not_found(tmp_path: Path) -> None:
    """The old README's `--out /etc/asterisk/ivr`: the dialplan loads, the generated settings do not."""
    etc = tmp_path / "etc" / "asterisk"
    set_up_as_documented(etc)
    sub = etc / "ivr"
    sub.mkdir()
    (etc / "extensions_ivr_queues.conf").rename(sub / "extensions_ivr_queues.conf")
    (etc / "extensions.conf").write_text(
        '[from-trunk]\nexten => 100,1,Goto(ivr-hotline,s,1)\n#include "extensions_ivr.conf"\n'
    )
    contexts = load_dialplan(etc)
    assert "ivr-hotline" in contexts and "ivr-settings" not in contexts


@pytest.mark.parametrize("layout", ["documented", "subfolder"])
async def test_the_service_check_of_asterisks_side_on_that_dialplan(tmp_path, caplog, layout) -> None:
    etc = tmp_path / "etc" / "asterisk"
    set_up_as_documented(etc)
    if layout == "subfolder":
        (etc / "extensions_ivr_queues.conf").unlink()
    server = FakeAmiServer({"ivr": "s3cret"})
    server.load_dialplan(etc)
    await server.start()
    client = AmiClient("127.0.0.1", server.port, "ivr", "s3cret", action_timeout=30)
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(client.run())
            await client.wait_connected(30)
            with caplog.at_level(logging.INFO, logger="ivr.asterisk"):
                problems = await AsteriskCheck(client).check()
            await client.close()
    finally:
        await server.close()
    if layout == "documented":
        assert problems == []
        assert caplog.messages == [
            f"Asterisk check: {len(MODULES)} modules and {len(CONTEXTS)} dialplan contexts present"
        ]
    else:
        assert [p.split(" (")[0] for p in problems] == [
            "dialplan context [ivr-settings] is missing",
            "dialplan context [ivr-queue-params] is missing",
        ]
        (warning,) = caplog.records
        assert (
            warning.levelname == "WARNING"
            and "[ivr-settings] is missing (the generated file" in warning.message
        )


def test_a_folder_it_cannot_write_is_one_error_line(tmp_path: Path) -> None:
    """Without root, /etc/asterisk is not writable: one line, exit 2, no traceback (here: a file)."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "ivr", "asterisk-config", "-c", "config/ivr.yaml", "--out", str(blocked)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"error: {blocked}: File exists\n"
