"""README.md's set-up and "try it without Asterisk" commands, run as written in a fresh clone.

The checkout has the files a clone has (edits included, nothing git ignores); `./setup.sh serve` builds
its own `.venv` there (pip's cache makes that quick) and the walk-through runs in a second shell with
nothing activated, so a README that drifts from the code (a command that is not found, output the
flow does not give) fails here. `./setup.sh test` runs beside the service (collecting one file only):
it must install into its own `.venv-test` and leave the service's `.venv` as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.readme import README, marked_blocks, normalise, shell_lines

REPO = README.parent
DEFAULT_PORTS = (4573, 9092, 8080)  # FastAGI, AudioSocket, desktop: what `ivr serve` binds by default
START_DEADLINE = 600  # a cold pip install on a loaded CI machine
SETUP_MESSAGES = ("creating .venv and installing the package",)


def clean_env() -> dict[str, str]:
    """The environment of a new terminal: no virtualenv active, none of ours on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    prefix = str(Path(sys.prefix).resolve())
    path = [
        p
        for p in env.get("PATH", "").split(os.pathsep)
        if p and not str(Path(p).resolve()).startswith(prefix)
    ]
    env["PATH"] = os.pathsep.join(path)
    return env


def port_free(port: int) -> bool:
    """Whether nothing listens on the port (the walk-through uses the default ports)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


class Serving:
    """`./setup.sh serve` in the background; its output is collected line by line."""

    def __init__(self, clone: Path, command: str) -> None:
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=clone,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("ivr is running"):
                self.ready.set()
        self.ready.set()  # EOF: the service died; the test reports its output

    def stop(self) -> int:
        """SIGINT (Ctrl-C), as the README says; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def run_walkthrough(clone: Path, commands: list[str]) -> subprocess.CompletedProcess[str]:
    """The walk-through in one new shell; apt lines are skipped when their packages are installed."""
    script = ["set -e"]
    for command in commands:
        if "apt-get install" in command and _installed(command):
            continue
        script.append(command)
    return subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=clone,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_setup_test(clone: Path, command: str) -> subprocess.CompletedProcess[str]:
    """`./setup.sh test` as README gives it, collecting one small test file instead of running them all."""
    assert command.split()[:2] == ["./setup.sh", "test"]
    return subprocess.run(
        [*command.split()[:2], "--collect-only", "-q", "tests/unit/config/test_yamlconf_loader.py"],
        cwd=clone,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def installed_as(venv: Path) -> str:
    """How the package is installed in a virtualenv: "editable" (the checkout) or "copy" (a wheel)."""
    (record,) = venv.glob("lib/python*/site-packages/hotline_ivr-*.dist-info/direct_url.json")
    return "editable" if json.loads(record.read_text()).get("dir_info", {}).get("editable") else "copy"


def _installed(command: str) -> bool:
    packages = [
        word for word in command.split()[command.split().index("install") + 1 :] if not word.startswith("-")
    ]
    return all(subprocess.run(["dpkg", "-s", p], capture_output=True).returncode == 0 for p in packages)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh checkout: the repository's files as a clone has them (no .venv, no var/), edits included."""
    target = tmp_path / "hotline-ivr"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_readme_marks_the_blocks_this_test_runs():
    blocks = marked_blocks()
    assert {"setup", "serve-output", "walkthrough", "output"} <= set(blocks)
    assert shell_lines(blocks["setup"])[0] == "./setup.sh serve"
    assert shell_lines(blocks["setup"])[1].startswith("./setup.sh test")


# Its own deadlines (START_DEADLINE for the cold install, 300 s for the walk-through, 60 s to stop) are
# longer than the suite's 300 s per-test timeout, which cut it short on a busy machine.
@pytest.mark.timeout(START_DEADLINE + 300 + 60 + 120)
def test_setup_then_walkthrough_work_as_written_in_a_fresh_clone(clone: Path):
    busy = [port for port in DEFAULT_PORTS if not port_free(port)]
    assert not busy, f"ports {busy} are in use: the README walk-through needs the default ports free"
    blocks = marked_blocks()
    serving = Serving(clone, shell_lines(blocks["setup"])[0])
    try:
        assert serving.ready.wait(START_DEADLINE), "\n".join(serving.lines)
        assert serving.proc.poll() is None, "the service exited:\n" + "\n".join(serving.lines)
        walk = run_walkthrough(clone, shell_lines(blocks["walkthrough"]))
        # The second README command beside the running service: only collecting one small file.
        tests = run_setup_test(clone, shell_lines(blocks["setup"])[1])
        still_running = serving.proc.poll() is None
    finally:
        status = serving.stop()
    assert walk.returncode == 0, walk.stdout + walk.stderr
    assert tests.returncode == 0 and " tests collected" in tests.stdout, tests.stdout + tests.stderr
    assert still_running and installed_as(clone / ".venv") == "copy", "setup.sh test changed the service"
    assert installed_as(clone / ".venv-test") == "editable"
    log = "\n".join(["walk-through printed:", walk.stdout, walk.stderr, "service printed:", *serving.lines])
    assert normalise(walk.stdout) == normalise(blocks["output"]), log
    # The first screen: setup's own one line, then exactly the service's start-up lines shown in README.
    running = next(i for i, line in enumerate(serving.lines) if line.startswith("ivr is running"))
    first_screen = serving.lines[: running + 1]
    setup_lines = [line for line in first_screen if line.startswith(SETUP_MESSAGES)]
    assert len(setup_lines) == 1, "\n".join(first_screen)
    service_lines = [line for line in first_screen if line not in setup_lines]
    assert normalise("\n".join(service_lines)) == normalise(blocks["serve-output"]), "\n".join(first_screen)
    assert status == 0, "\n".join(serving.lines)


@pytest.mark.timeout(600 + 120)  # the pip run below may take 600 s
def test_setup_keeps_pip_errors_and_fails_with_them(clone: Path):
    """The quiet install hides the machine's pip noise, never an error: a bad dependency stops serve."""
    pyproject = clone / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"tqdm>=4.66",', '"tqdm>=4.66", "no-such-package-ivr==0.0.1",')
    )
    done = subprocess.run(
        ["./setup.sh", "serve"], cwd=clone, env=clean_env(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode != 0
    assert "no-such-package-ivr" in done.stderr and "ERROR" in done.stderr, done.stderr
    assert "is ignored: it is neither a file nor a directory" not in done.stdout + done.stderr
    assert "ivr is running" not in done.stdout
