"""AmiDecoder framing rules, caps and error state; AmiMessage accessors; encoders."""

import pytest

from ivr.ami.codec import (
    ASTERISK_MAX_HEADERS,
    MAX_LINE,
    MAX_LINES,
    AmiBanner,
    AmiDecoder,
    AmiMessage,
    encode_action,
    encode_message,
)
from ivr.ami.errors import AmiProtocolError
from ivr.errors import LocalProtocolError, RemoteProtocolError


def test_banner_has_no_blank_line_after_it_and_bare_lf_is_accepted() -> None:
    decoder = AmiDecoder()
    assert decoder.feed(b"Asterisk Call Manager/13.0.0\r\nResponse: Success\n") == [
        AmiBanner("Asterisk Call Manager/13.0.0")
    ]
    assert decoder.feed(b"Message: ok\n\n") == [AmiMessage((("Response", "Success"), ("Message", "ok")))]


def test_without_banner_expectation_first_line_is_a_header() -> None:
    assert AmiDecoder(expect_banner=False).feed(b"Action: Ping\r\n\r\n") == [
        AmiMessage((("Action", "Ping"),))
    ]


def test_multibyte_character_split_across_chunks_survives() -> None:
    data = "Event: UserEvent\r\nCallerIDName: Jürgen 김철수\r\n\r\n".encode()
    split_at = data.index("김".encode()) + 1  # inside the 3-byte sequence
    decoder = AmiDecoder(expect_banner=False)
    assert decoder.feed(data[:split_at]) == []
    [message] = decoder.feed(data[split_at:])
    assert message.get("CallerIDName") == "Jürgen 김철수"


def test_invalid_utf8_is_replaced_not_dropped() -> None:
    [message] = AmiDecoder(expect_banner=False).feed(b"Event: X\r\nName: a\xffb\r\n\r\n")
    assert message.get("Name") == "a\ufffdb"


def test_stray_blank_lines_between_messages_are_ignored() -> None:
    out = AmiDecoder(expect_banner=False).feed(b"\r\n\r\nEvent: A\r\n\r\n\r\nEvent: B\r\n\r\n")
    assert [m.event for m in out] == ["A", "B"]


def test_value_keeps_colons_and_loses_leading_blanks_only() -> None:
    [message] = AmiDecoder(expect_banner=False).feed(b"Event: X\r\nTime:  12:30:01 \r\nEmpty:\r\n\r\n")
    assert message.get("Time") == "12:30:01 "
    assert message.get("Empty") == ""


def test_line_at_cap_is_accepted_and_one_over_is_rejected() -> None:
    ok = b"K: " + b"v" * (MAX_LINE - 3)
    [message] = AmiDecoder(expect_banner=False).feed(ok + b"\r\n\r\n")
    assert len(message.get("K") or "") == MAX_LINE - 3
    with pytest.raises(AmiProtocolError):
        AmiDecoder(expect_banner=False).feed(ok + b"v\r\n")


def test_unterminated_long_line_is_rejected_before_its_end_arrives() -> None:
    decoder = AmiDecoder(expect_banner=False)
    decoder.feed(b"K: " + b"v" * (MAX_LINE - 3))
    decoder.feed(b"\r")  # a pending CR is still fine
    with pytest.raises(AmiProtocolError):
        decoder.feed(b"v")


def test_message_line_cap() -> None:
    at_cap = b"".join(b"H%d: x\r\n" % i for i in range(MAX_LINES))
    [message] = AmiDecoder(expect_banner=False).feed(at_cap + b"\r\n")
    assert len(message.headers) == MAX_LINES
    with pytest.raises(AmiProtocolError, match="lines"):
        AmiDecoder(expect_banner=False).feed(at_cap + b"One: more\r\n")


@pytest.mark.parametrize(
    "data",
    [b"Event: X\r\nno colon here\r\n", b": empty name\r\n", b"   : blank name\r\n"],
)
def test_line_without_key_is_rejected(data: bytes) -> None:
    with pytest.raises(AmiProtocolError):
        AmiDecoder(expect_banner=False).feed(data)


def test_non_banner_first_line_is_rejected() -> None:
    with pytest.raises(AmiProtocolError, match="banner"):
        AmiDecoder().feed(b"HTTP/1.1 400 Bad Request\r\n".replace(b"/", b" "))


def test_decoder_stays_failed_after_an_error() -> None:
    decoder = AmiDecoder(expect_banner=False)
    with pytest.raises(AmiProtocolError):
        decoder.feed(b"garbage\r\n")
    with pytest.raises(AmiProtocolError):
        decoder.feed(b"Event: Fine\r\n\r\n")
    assert issubclass(AmiProtocolError, RemoteProtocolError)


def test_message_accessors() -> None:
    message = AmiMessage(
        (
            ("Event", "AgentCalled"),
            ("ActionID", "a1"),
            ("EventList", "Complete"),
            ("ChanVariable", "IVR_LANG=ko"),
            ("ChanVariable", "EMPTY="),
            ("ChanVariable", "IVR_LANG=shadowed"),
            ("DestChanVariable", "MEMBERNAME=Agent One"),
            ("Queue", "support"),
            ("queue", "second"),
        )
    )
    assert message.event == "AgentCalled"
    assert message.response is None and message.action is None
    assert message.action_id == "a1"
    assert message.event_list == "complete"
    assert message.get("QUEUE") == "support"
    assert message.get_all("Queue") == ["support", "second"]
    assert message.chan_variables == {"IVR_LANG": "ko", "EMPTY": ""}
    assert message.dest_chan_variables == {"MEMBERNAME": "Agent One"}
    assert message.to_dict()["Queue"] == "support"
    assert "queue" in message.to_dict()  # Asterisk's spelling is kept, no case folding of keys


def test_encode_action_exact_bytes_with_repeated_header() -> None:
    data = encode_action(
        "Originate", {"Channel": "Local/100@hotline", "Priority": 1, "Variable": ["A=1", "B=2"]}
    )
    assert data == (
        b"Action: Originate\r\nChannel: Local/100@hotline\r\nPriority: 1\r\n"
        b"Variable: A=1\r\nVariable: B=2\r\n\r\n"
    )
    [message] = AmiDecoder(expect_banner=False).feed(data)
    assert message.action == "Originate"
    assert message.get_all("Variable") == ["A=1", "B=2"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Channel": "SIP/1\r\nAction: Hangup"},
        {"Channel": "x\n"},
        {"Channel": "x\0y"},
        {"Variable": ["ok", "bad\r"]},
        {"Bad:Name": "x"},
        {"": "x"},
        {" Pad": "x"},
        {"action": "Hangup"},
        {"Flag": True},
        {"Ratio": 0.5},
        {"Channel": "x" * 1100},
    ],
)
def test_encode_action_refuses_what_asterisk_would_misread(headers: dict) -> None:
    with pytest.raises(LocalProtocolError):
        encode_action("Setvar", headers)


def test_encode_action_header_count_cap() -> None:
    encode_action("UserEvent", {f"H{i}": "x" for i in range(ASTERISK_MAX_HEADERS - 1)})
    with pytest.raises(LocalProtocolError):
        encode_action("UserEvent", {f"H{i}": "x" for i in range(ASTERISK_MAX_HEADERS)})


def test_encode_message_round_trips_pairs_and_mappings() -> None:
    pairs = (("Event", "QueueMember"), ("Name", "Agent One"), ("PausedReason", ""))
    assert AmiDecoder(expect_banner=False).feed(encode_message(pairs)) == [AmiMessage(pairs)]
    assert (
        encode_message({"Response": "Success", "Ping": "Pong"}) == b"Response: Success\r\nPing: Pong\r\n\r\n"
    )
    with pytest.raises(LocalProtocolError):
        encode_message([])
