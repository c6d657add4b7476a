"""`ivr reload`: a changed flow reaches the running service; a broken one is refused, the old one stays."""

from __future__ import annotations

from pathlib import Path

from tests.integration.cli.test_ivr_command_line import ivr
from tests.support.serve_process import read_until, serving, shipped_flows_config


def test_reload_applies_a_changed_flow_and_refuses_a_broken_one(tmp_path: Path):
    config = shipped_flows_config(tmp_path)
    flow = tmp_path / "flows" / "telecom.yaml"
    with serving(config, stop_timeout=30) as server:
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
    assert server.returncode == 0
    assert not (tmp_path / "ivr.pid").exists()
