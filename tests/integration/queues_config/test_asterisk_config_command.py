"""`ivr asterisk-config` as a process: writes the golden files, `--check` catches drift, bad YAML exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "asterisk-config"
FILES = ["queues.conf", "queuerules.conf", "extensions_ivr_queues.conf", "manager_ivr.conf"]


def run(out: Path, *extra: str, queues: Path = FIXTURES / "queues.yaml") -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "queues.cli",
        "-c",
        str(FIXTURES / "ivr.yaml"),
        "--queues",
        str(queues),
        "--out",
        str(out),
        "--ami-permit",
        "10.0.0.0/255.255.255.0",
        "--callback-dial",
        "PJSIP/{number}@carrier",
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_generate_then_check_then_detect_drift(tmp_path: Path) -> None:
    out = tmp_path / "asterisk"
    first = run(out)
    assert first.returncode == 0, first.stderr
    for name in FILES:
        assert (out / name).read_bytes() == (FIXTURES / name).read_bytes(), name
    assert run(out, "--check").returncode == 0
    again = run(out)
    assert again.returncode == 0 and "up to date" in again.stdout
    with (out / "queues.conf").open("a") as handle:
        handle.write("; someone edited this\n")
    drift = run(out, "--check")
    assert drift.returncode == 1
    assert f"{out / 'queues.conf'}: differs from the queue YAML" in drift.stderr
    assert (out / "queues.conf").read_bytes() != (
        FIXTURES / "queues.conf"
    ).read_bytes()  # check writes nothing


def test_invalid_yaml_exits_2_with_file_line_and_key_path(tmp_path: Path) -> None:
    broken = tmp_path / "queues.yaml"
    broken.write_text(
        (FIXTURES / "queues.yaml").read_text().replace("overflow: support-en", "overflow: nowhere", 1)
    )
    result = run(tmp_path / "out", queues=broken)
    assert result.returncode == 2
    assert f"{broken}:45: queues.billing-en.overflow: unknown queue 'nowhere'" in result.stderr
    assert not (tmp_path / "out").exists()
