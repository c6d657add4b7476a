"""AsteriskAgiPeer (fake Asterisk, sans-IO): captured environment, replies, hang-up shift, 510/511/520."""

from pathlib import Path

import pytest

from ivr.agi import AgiDecoder, AgiHangup, encode_command, split_command
from ivr.errors import RemoteProtocolError
from ivr.fakepbx.agi import AsteriskAgiPeer, capture_env_fields, environment_fields, replay_capture


@pytest.mark.parametrize("name", ["transfer-answered", "dtmf", "caller-hangup", "abandon"])
def test_environment_is_byte_identical_to_the_capture(captures_dir: Path, name: str) -> None:
    pairs = replay_capture(captures_dir / name / "fastagi.txt")
    captured = [data for _, data in pairs[: pairs.index(("in", b"\n")) + 1]]
    peer = AsteriskAgiPeer(capture_env_fields(pairs))
    assert peer.environment() == b"".join(captured)
    assert peer.sent == captured


def test_default_environment_matches_the_first_capture_and_takes_overrides(captures_dir: Path) -> None:
    pairs = replay_capture(captures_dir / "transfer-answered" / "fastagi.txt")
    assert environment_fields() == capture_env_fields(pairs)
    env = environment_fields({"script": "other?x=1", "uniqueid": "9.9", "args": ["a b", 2]})
    assert env["network_script"] == "other?x=1"
    assert env["request"] == "agi://127.0.0.1:4573/other?x=1"
    assert list(env)[-2:] == ["arg_1", "arg_2"] and env["arg_2"] == "2"
    assert "network_script" not in environment_fields({"script": ""})


def test_replay_capture_pairs(captures_dir: Path) -> None:
    pairs = replay_capture(captures_dir / "abandon" / "fastagi.txt")
    assert pairs[0] == ("in", b"agi_network: yes\n")
    assert pairs[23] == ("out", b"GET VARIABLE CALL_UUID\n")
    assert pairs[-1] == ("in", b"200 result=1\n")
    assert len(pairs) == 23 + 22


def _answer(peer: AsteriskAgiPeer, *words: str, exec_result: int | None = None) -> bytes:
    (parsed,) = peer.feed(encode_command(*words))
    return peer.respond(parsed, exec_result)


def test_replies_from_the_variable_dict() -> None:
    peer = AsteriskAgiPeer(variables={"CALL_UUID": "u-1"})
    assert _answer(peer, "GET", "VARIABLE", "CALL_UUID") == b"200 result=1 (u-1)\n"
    assert _answer(peer, "get", "variable", "CALLERID(num)") == b"200 result=1 (5551234)\n"
    assert _answer(peer, "GET", "VARIABLE", "NONEXISTENT_VAR") == b"200 result=0\n"
    assert _answer(peer, "SET", "VARIABLE", "IVR_QUEUE", "support desk") == b"200 result=1\n"
    assert peer.variables["IVR_QUEUE"] == "support desk"
    assert _answer(peer, "VERBOSE", "ivr done", "1") == b"200 result=1\n"
    assert _answer(peer, "ANSWER") == b"200 result=0\n"
    assert _answer(peer, "EXEC", "AudioSocket", "u,h:1", exec_result=0) == b"200 result=0\n"
    assert _answer(peer, "EXEC", "NoSuchApp") == b"200 result=-2\n"
    assert _answer(peer, "BOGUS", "COMMAND") == b"510 Invalid or unknown command\n"
    assert peer.commands[-1] == "BOGUS COMMAND"


def test_wrong_arity_gets_a_multiline_520_that_the_decoder_reads_as_one_reply() -> None:
    peer = AsteriskAgiPeer()
    data = _answer(peer, "GET", "VARIABLE")
    lines = data.decode().splitlines()
    assert lines[0] == "520-Invalid command syntax.  Proper usage follows:"
    assert lines[-1] == "520 End of proper usage."
    decoder = AgiDecoder()
    (_env,) = decoder.feed(peer.environment())
    (reply,) = decoder.feed(data)
    assert reply.code == 520 and reply.text == data.decode().rstrip("\n")


def test_hangup_shifts_replies_for_a_lockstep_reader_exactly_like_the_capture(captures_dir: Path) -> None:
    pairs = replay_capture(captures_dir / "caller-hangup" / "fastagi.txt")
    env = capture_env_fields(pairs)
    peer = AsteriskAgiPeer(env, variables={"CALL_UUID": "cb248159-161f-42f0-b88b-836affd7c439"})
    peer.environment()
    reply_buffer: list[bytes] = []
    seen: list[tuple[str, bytes]] = pairs[:23]
    for direction, data in pairs[23:]:
        if direction != "out":
            continue
        (words,) = peer.feed(data)
        exec_result = None
        if peer.exec_request(words) is not None:
            peer.hangup()  # the caller hangs up while AudioSocket runs
            exec_result = -1
        reply_buffer.extend(peer.respond(words, exec_result).splitlines(keepends=True))
        seen += [("out", data), ("in", reply_buffer.pop(0))]  # the capture server read one line per command
    assert seen == pairs
    assert reply_buffer == [b"200 result=1\n"]  # VERBOSE's own reply, never read by the capture server


def test_dead_channel_511_and_shift() -> None:
    peer = AsteriskAgiPeer()
    peer.hangup()
    assert (
        _answer(peer, "ANSWER")
        == b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n"
    )
    for words in (("STREAM", "FILE", "x", '""'), ("WAIT", "FOR", "DIGIT", "100"), ("GET", "DATA", "beep")):
        assert _answer(peer, *words).startswith(b"511 ")
    assert _answer(peer, "SET", "VARIABLE", "IVR_ACTION", "transfer") == b"200 result=1\n"
    assert _answer(peer, "ANSWER", "extra").startswith(b"511 ")  # dead is checked before arity


def test_hangup_command_kills_the_channel_and_hangup_follows_its_reply() -> None:
    peer = AsteriskAgiPeer()
    data = _answer(peer, "HANGUP")
    assert data == b"200 result=1\nHANGUP\n"  # Asterisk notices its own hang-up right after replying
    assert peer.dead
    decoder = AgiDecoder()
    decoder.feed(peer.environment())
    reply, hangup = decoder.feed(data)
    assert reply.result == 1 and hangup == AgiHangup()
    assert _answer(peer, "GET", "VARIABLE", "UNIQUEID") == b"200 result=1 (1795272894.1)\n"


def test_hangup_while_idle_goes_just_before_the_next_reply() -> None:
    peer = AsteriskAgiPeer()
    assert _answer(peer, "VERBOSE", "x") == b"200 result=1\n"
    peer.hangup()
    peer.hangup()  # only one HANGUP line per hang-up
    assert _answer(peer, "VERBOSE", "y") == b"HANGUP\n200 result=1\n"
    assert _answer(peer, "VERBOSE", "z") == b"200 result=1\n"


def test_partial_lines_wait_and_oversized_lines_are_refused() -> None:
    peer = AsteriskAgiPeer()
    assert peer.feed(b"VERBOSE hi") == []
    assert peer.feed(b" 1\nANSWER\n") == [["VERBOSE", "hi", "1"], ["ANSWER"]]
    with pytest.raises(RemoteProtocolError):
        peer.feed(b"x" * 9000)
    assert split_command(peer.commands[0]) == ["VERBOSE", "hi", "1"]
