"""A reload that names a new hotline makes the running service answer that AGI script."""

from __future__ import annotations

import shutil
from pathlib import Path

from ivr.fakepbx.audiosocket import Digit, Silence
from ivr.fakepbx.pbx import FakePbx

REPO = Path(__file__).resolve().parents[2]


async def test_a_hotline_added_by_reload_is_answered(running_service, tmp_path: Path):
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(REPO / "dialplan" / "telecom.yaml", flows / "telecom.yaml")
    async with running_service(paths={"flows": str(flows)}) as service:
        pbx = FakePbx("127.0.0.1", service.agi.port, script="prepaid")
        refused = await pbx.call([Silence(1.0)], max_seconds=10)
        assert "IVR_CALL_UUID" not in refused.variables

        flow = flows / "telecom.yaml"
        flow.write_text(flow.read_text().replace("hotlines: [", "hotlines: [prepaid, ", 1))
        report = await service.reload()
        assert any("flows version 2" in line for line in report), report

        answered = await pbx.call([Silence(3.0), Digit("0"), Silence(1.0)], max_seconds=40)
    assert answered.variables["IVR_CALL_UUID"]
    assert answered.variables["IVR_ACTION"] == "transfer"
