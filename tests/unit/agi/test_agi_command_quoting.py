"""encode_command / split_command: Asterisk's parse_args() rules and the captured command lines."""

from pathlib import Path

import pytest

from ivr.agi import Quoted, encode_command, split_command
from ivr.errors import LocalProtocolError
from ivr.fakepbx.agi import replay_capture


@pytest.mark.parametrize("name", ["transfer-answered", "dtmf", "caller-hangup", "abandon"])
def test_captured_command_lines_round_trip_byte_for_byte(captures_dir: Path, name: str) -> None:
    sent = [
        data for direction, data in replay_capture(captures_dir / name / "fastagi.txt") if direction == "out"
    ]
    assert len(sent) == 11
    for line in sent:
        words = split_command(line[:-1].decode())
        # The capture server quoted some words that need no quotes (SET VARIABLE IVR_QUEUE "support").
        typed = [Quoted(w) if f'"{w}"' in line.decode() else w for w in words]
        assert encode_command(*typed) == line


def test_captured_lines_split_into_the_expected_words(captures_dir: Path) -> None:
    sent = [d for k, d in replay_capture(captures_dir / "caller-hangup" / "fastagi.txt") if k == "out"]
    assert split_command(sent[5][:-1].decode()) == [
        "EXEC",
        "AudioSocket",
        "cb248159-161f-42f0-b88b-836affd7c439,127.0.0.1:4574",
    ]
    assert split_command(sent[7][:-1].decode()) == ["SET", "VARIABLE", "IVR_QUEUE", "support"]
    assert split_command(sent[10][:-1].decode()) == ["VERBOSE", "ivr done", "1"]


@pytest.mark.parametrize(
    ("words", "line"),
    [
        (("VERBOSE", "ivr done", "1"), b'VERBOSE "ivr done" 1\n'),
        (("SET", "VARIABLE", "X", ""), b'SET VARIABLE X ""\n'),
        (("SET", "VARIABLE", "X", 'say "hi"'), b'SET VARIABLE X "say \\"hi\\""\n'),
        (("SET", "VARIABLE", "X", "a\\b"), b'SET VARIABLE X "a\\\\b"\n'),
        (("SET", "VARIABLE", "X", "tab\there"), b'SET VARIABLE X "tab\there"\n'),
        (("SET", "VARIABLE", "X", Quoted("v")), b'SET VARIABLE X "v"\n'),
        (("GET", "VARIABLE", "CALLERID(num)"), b"GET VARIABLE CALLERID(num)\n"),
        (("SET", "VARIABLE", "X", "안녕"), "SET VARIABLE X 안녕\n".encode()),
    ],
)
def test_quoting_rules(words: tuple[str, ...], line: bytes) -> None:
    assert encode_command(*words) == line
    assert split_command(line[:-1].decode()) == list(words)


@pytest.mark.parametrize("bad", ["a\rb", "a\nb", "trailing\r", "nul\x00", "lone surrogate \ud800"])
def test_cr_lf_nul_are_refused(bad: str) -> None:
    with pytest.raises(LocalProtocolError):
        encode_command("SET", "VARIABLE", "X", bad)


def test_length_limit_counts_the_whole_line() -> None:
    head = len(b"VERBOSE \n")
    assert len(encode_command("VERBOSE", "x" * (8192 - head))) == 8192
    with pytest.raises(LocalProtocolError):
        encode_command("VERBOSE", "x" * (8192 - head + 1))


def test_no_words_and_non_str_are_refused() -> None:
    with pytest.raises(LocalProtocolError):
        encode_command()
    with pytest.raises(LocalProtocolError):
        encode_command("VERBOSE", 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('a"b c"d e', ["ab cd", "e"]),
        ("a\\ b", ["a b"]),
        ('x "" y', ["x", "", "y"]),
        ("  spaced\t\tout  ", ["spaced", "out"]),
        ('"\\\\"', ["\\"]),
    ],
)
def test_split_matches_asterisk_parse_args(line: str, words: list[str]) -> None:
    assert split_command(line) == words
