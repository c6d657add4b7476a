"""AgiDecoder reply forms, environment details, caps and the sticky failed state."""

import pytest

from ivr.agi import AgiDecoder, AgiEnvironment, AgiHangup, AgiProtocolError, AgiReply
from ivr.agi.codec import MAX_ENV_LINES, MAX_LINE_BYTES, MAX_USAGE_LINES
from ivr.errors import RemoteProtocolError

ENV = b"agi_network: yes\nagi_network_script: hotline\nagi_uniqueid: 1.2\n\n"


def _replies(data: bytes) -> list:
    decoder = AgiDecoder()
    assert isinstance(decoder.feed(ENV)[0], AgiEnvironment)
    return decoder.feed(data)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            b"200 result=1 (value with spaces and (parens))\n",
            AgiReply(
                200,
                1,
                "value with spaces and (parens)",
                None,
                "200 result=1 (value with spaces and (parens))",
            ),
        ),
        (b"200 result=0 endpos=1234\n", AgiReply(200, 0, None, 1234, "200 result=0 endpos=1234")),
        (b"200 result=-1\n", AgiReply(200, -1, None, None, "200 result=-1")),
        (b"200 result=1 ()\n", AgiReply(200, 1, "", None, "200 result=1 ()")),
        (b"200 result= (timeout)\n", AgiReply(200, None, "timeout", None, "200 result= (timeout)")),
        (
            b"200 result=0 (timeout) endpos=80\n",
            AgiReply(200, 0, "timeout", 80, "200 result=0 (timeout) endpos=80"),
        ),
        (
            b"200 result=1 (x) endpos=5)\n",
            AgiReply(200, 1, "x) endpos=5", None, "200 result=1 (x) endpos=5)"),
        ),
        (b"200 result=48\r\n", AgiReply(200, 48, None, None, "200 result=48")),
        (
            b"511 Command Not Permitted on a dead channel or intercept routine\n",
            AgiReply(
                511, None, None, None, "511 Command Not Permitted on a dead channel or intercept routine"
            ),
        ),
        (
            b"520 Invalid command syntax.  Proper usage not available.\n",
            AgiReply(520, None, None, None, "520 Invalid command syntax.  Proper usage not available."),
        ),
    ],
)
def test_single_line_replies(line: bytes, expected: AgiReply) -> None:
    assert _replies(line) == [expected]


def test_multiline_520_is_one_reply_and_the_next_reply_stays_in_step() -> None:
    block = (
        b"520-Invalid command syntax.  Proper usage follows:\n"
        b" Usage: GET VARIABLE <variablename>\n"
        b"\n"
        b"520 End of proper usage.\n"
        b"200 result=1 (x)\n"
    )
    usage, after = _replies(block)
    assert usage.code == 520 and not usage.ok
    assert usage.text.splitlines() == [
        "520-Invalid command syntax.  Proper usage follows:",
        " Usage: GET VARIABLE <variablename>",
        "",
        "520 End of proper usage.",
    ]
    assert after == AgiReply(200, 1, "x", None, "200 result=1 (x)")


def test_hangup_lines_are_events_between_replies() -> None:
    assert _replies(b"HANGUP\n200 result=1\nHANGUP\n") == [
        AgiHangup(),
        AgiReply(200, 1, None, None, "200 result=1"),
        AgiHangup(),
    ]


def test_utf8_split_across_chunks_survives() -> None:
    decoder = AgiDecoder()
    data = ENV + "200 result=1 (안녕)\n".encode()
    cut = len(ENV) + len(b"200 result=1 (") + 1  # inside the first Hangul character
    out = decoder.feed(data[:cut]) + decoder.feed(data[cut:])
    assert out[1].data == "안녕"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert _replies(b"200 result=1 (\xff)\n")[0].data == "\ufffd"


def test_environment_args_query_and_unknown_callerid() -> None:
    env_bytes = (
        b"agi_network: yes\nagi_network_script: hotline?lang=ko&x=\nagi_callerid: unknown\n"
        b"agi_calleridname: unknown\nagi_arg_1: first arg\nagi_arg_2: \nagi_arg_3: 3\n\n"
    )
    (env,) = AgiDecoder().feed(env_bytes)
    assert env.script == "hotline"
    assert env.query == {"lang": "ko", "x": ""}
    assert env.caller_number is None and env.caller_name is None
    assert env.args == ("first arg", "", "3")
    assert "arg_1" not in env.variables


@pytest.mark.parametrize(
    "data",
    [
        ENV + b"hello\n",
        ENV + b"200 whatever\n",
        ENV + b"200 result=abc\n",
        ENV + b"200 result=-\n",
        ENV + b"200 result=1 endpos=\n",
        ENV + b"510-odd continuation\n",
        b"GET / HTTP/1.1\n",
        b"Host: example\n",
        b"agi_: x\n",
        ENV + b"200 result=" + b"9" * 19 + b"\n",
    ],
)
def test_malformed_lines_raise(data: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        AgiDecoder().feed(data)


def test_protocol_error_is_remote_and_sticky() -> None:
    decoder = AgiDecoder()
    with pytest.raises(RemoteProtocolError):
        decoder.feed(b"garbage\n")
    with pytest.raises(AgiProtocolError):
        decoder.feed(ENV)


def test_line_cap_applies_before_the_line_is_complete() -> None:
    decoder = AgiDecoder()
    decoder.feed(b"a" * MAX_LINE_BYTES)
    with pytest.raises(AgiProtocolError):
        decoder.feed(b"a")


def test_line_of_exactly_the_cap_is_accepted() -> None:
    value = "v" * (MAX_LINE_BYTES - len("200 result=1 ()"))
    assert _replies(f"200 result=1 ({value})\n".encode())[0].data == value


def test_environment_line_cap() -> None:
    ok = b"".join(b"agi_v%d: x\n" % i for i in range(MAX_ENV_LINES)) + b"\n"
    assert len(AgiDecoder().feed(ok)[0].variables) == MAX_ENV_LINES
    with pytest.raises(AgiProtocolError):
        AgiDecoder().feed(ok[:-1] + b"agi_one_more: x\n")


def test_usage_block_cap() -> None:
    decoder = AgiDecoder()
    decoder.feed(ENV)
    with pytest.raises(AgiProtocolError):
        decoder.feed(b"520-Invalid command syntax.\n" + b"usage\n" * MAX_USAGE_LINES)
