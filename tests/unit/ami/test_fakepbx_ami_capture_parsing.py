"""parse_capture/capture_blocks: the capture's Asterisk text, split per message, byte for byte."""

from pathlib import Path

import pytest

from ivr.ami.codec import AmiDecoder, AmiMessage
from ivr.fakepbx.ami import capture_blocks, parse_capture

CAPTURES = Path(__file__).parents[2] / "fixtures" / "asterisk-captures"
SCENARIOS = ["transfer-answered", "dtmf", "caller-hangup", "abandon"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_blocks_rebuild_the_asterisk_text_exactly(scenario: str) -> None:
    path = CAPTURES / scenario / "ami-events.txt"
    lines = path.read_bytes().splitlines(keepends=True)
    asterisk = b"".join(line for line in lines if not line.startswith(b">>>"))
    banner = b"Asterisk Call Manager/13.0.0\r\n"
    assert asterisk.startswith(banner)
    blocks = capture_blocks(path)
    assert banner + b"".join(blocks) == asterisk
    assert all(block.endswith(b"\r\n\r\n") and block.count(b"\r\n\r\n") == 1 for block in blocks)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_parse_capture_keeps_events_only_in_order(scenario: str) -> None:
    path = CAPTURES / scenario / "ami-events.txt"
    events = parse_capture(path)
    everything = [m for m in AmiDecoder().feed(b"".join([b"B/1\r\n", *capture_blocks(path)]))[1:]]
    assert events == [m for m in everything if isinstance(m, AmiMessage) and m.event]
    assert len(everything) - len(events) == 2  # the Login and Originate replies
    assert events[0].event == "FullyBooted"
    assert not any(m.action for m in events)
