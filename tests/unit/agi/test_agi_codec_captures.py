"""AgiDecoder against the real Asterisk captures: whole and one byte at a time give the same messages."""

from pathlib import Path

import pytest

from ivr.agi import AgiDecoder, AgiEnvironment, AgiHangup, AgiReply
from ivr.fakepbx.agi import replay_capture

CAPTURES = ("transfer-answered", "dtmf", "caller-hangup", "abandon")
UUIDS = {
    "transfer-answered": ("da5eb3a7-426c-4a1e-84bb-97b62a89bebc", "1795272894.1", 0),
    "dtmf": ("c1fc5a3d-c233-43ac-8589-e2ec0e1a78a3", "1795272940.5", 0),
    "caller-hangup": ("cb248159-161f-42f0-b88b-836affd7c439", "1795272987.9", -1),
    "abandon": ("1a477fe5-83c0-4897-973f-c82e2c5e3f1b", "1795273033.11", 0),
}


def _asterisk_bytes(captures_dir: Path, name: str) -> bytes:
    return b"".join(
        data for direction, data in replay_capture(captures_dir / name / "fastagi.txt") if direction == "in"
    )


def _decode_bytewise(data: bytes) -> list:
    decoder = AgiDecoder()
    out = []
    for i in range(len(data)):
        out.extend(decoder.feed(data[i : i + 1]))
    return out


@pytest.mark.parametrize("name", CAPTURES)
def test_whole_and_bytewise_feeding_agree(captures_dir: Path, name: str) -> None:
    data = _asterisk_bytes(captures_dir, name)
    whole = AgiDecoder().feed(data)
    assert _decode_bytewise(data) == whole
    # env + 11 replies; caller-hangup has HANGUP in place of one (its VERBOSE reply was never read)
    assert len(whole) == 12


@pytest.mark.parametrize("name", CAPTURES)
def test_environment_fields_from_capture(captures_dir: Path, name: str) -> None:
    env = AgiDecoder().feed(_asterisk_bytes(captures_dir, name))[0]
    assert isinstance(env, AgiEnvironment)
    assert env.script == "hotline"
    assert env.query == {}
    assert env.uniqueid == UUIDS[name][1]
    assert env.channel.startswith("Local/100@hotline-0000000")
    assert env.caller_number == "5551234"
    assert env.caller_name == "Test Caller"
    assert env.language == "en"
    assert env.variables["request"] == "agi://127.0.0.1:4573/hotline"
    assert env.variables["accountcode"] == ""
    assert env.variables["dnid"] == "unknown"
    assert env.args == ()
    assert len(env.variables) == 22


@pytest.mark.parametrize("name", CAPTURES)
def test_reply_fields_from_capture(captures_dir: Path, name: str) -> None:
    uuid, _, audiosocket_result = UUIDS[name]
    msgs = AgiDecoder().feed(_asterisk_bytes(captures_dir, name))[1:]
    first_get, callerid, _, unset, bogus, audiosocket = msgs[:6]
    assert first_get == AgiReply(200, 1, uuid, None, f"200 result=1 ({uuid})")
    assert callerid.data == "5551234"
    assert unset == AgiReply(200, 0, None, None, "200 result=0")
    assert bogus == AgiReply(510, None, None, None, "510 Invalid or unknown command")
    assert not bogus.ok
    assert audiosocket.result == audiosocket_result
    assert audiosocket.ok


def test_caller_hangup_capture_has_hangup_event_in_place_of_a_reply(captures_dir: Path) -> None:
    msgs = AgiDecoder().feed(_asterisk_bytes(captures_dir, "caller-hangup"))
    kinds = [type(m).__name__ for m in msgs]
    assert kinds.index("AgiHangup") == 7  # env + 6 replies (last one EXEC AudioSocket = -1)
    assert msgs[7] == AgiHangup()
    assert [m.result for m in msgs[8:]] == [1, 1, 1, 1]
    assert msgs[-1].data == "cb248159-161f-42f0-b88b-836affd7c439"
