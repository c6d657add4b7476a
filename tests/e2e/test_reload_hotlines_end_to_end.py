"""A reload that names a new hotline makes the running service answer that AGI script."""

from __future__ import annotations

import shutil
from pathlib import Path

from ivr.fakepbx.audiosocket import Digit, answered, until_the_bot_ends
from ivr.fakepbx.pbx import FakePbx

REPO = Path(__file__).resolve().parents[2]


async def test_a_hotline_added_by_reload_is_answered(running_service, tmp_path: Path):
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(REPO / "dialplan" / "telecom.yaml", flows / "telecom.yaml")
    async with running_service(paths={"flows": str(flows)}) as service:
        pbx = FakePbx("127.0.0.1", service.agi.port, script="prepaid")
        refused = await pbx.call([until_the_bot_ends()], max_seconds=10)
        assert "IVR_CALL_UUID" not in refused.variables

        flow = flows / "telecom.yaml"
        flow.write_text(flow.read_text().replace("hotlines: [", "hotlines: [prepaid, ", 1))
        report = await service.reload()
        assert any("flows version 2" in line for line in report), report

        taken = await pbx.call([answered(), Digit("0"), until_the_bot_ends()], max_seconds=40)
    assert taken.variables["IVR_CALL_UUID"]
    assert taken.variables["IVR_ACTION"] == "transfer"
