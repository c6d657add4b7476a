"""AGI command lines: quoting words the way Asterisk's `parse_args()` (res_agi.c) splits them."""

from __future__ import annotations

from ivr.errors import LocalProtocolError

MAX_COMMAND_BYTES = 8192
"""Asterisk reads at most this many bytes per command line, LF included."""

_NEEDS_QUOTES = frozenset(' \t"\\')
_FORBIDDEN = frozenset("\r\n\x00")


class Quoted(str):
    """A word that is always sent in double quotes, even when it needs none (`SET VARIABLE X "v"`)."""

    __slots__ = ()


def quote_word(word: str) -> str:
    """Return `word` as Asterisk must see it: bare when safe, else double-quoted with `\\` escapes."""
    if not isinstance(word, str):
        raise LocalProtocolError(f"AGI words must be str, got {type(word).__name__}")
    bad = _FORBIDDEN.intersection(word)
    if bad:
        # A CR would be kept in the last argument and LF would end the command early.
        raise LocalProtocolError(f"AGI word contains a forbidden character {sorted(bad)!r}: {word!r}")
    if word and not isinstance(word, Quoted) and not _NEEDS_QUOTES.intersection(word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_command(*words: str) -> bytes:
    """Encode one AGI command as a single LF-terminated line of UTF-8."""
    if not words:
        raise LocalProtocolError("an AGI command needs at least one word")
    try:
        line = (" ".join(quote_word(w) for w in words) + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"AGI command is not encodable as UTF-8: {exc}") from None
    if len(line) > MAX_COMMAND_BYTES:
        raise LocalProtocolError(f"AGI command is {len(line)} bytes, the limit is {MAX_COMMAND_BYTES}")
    return line


def split_command(line: str) -> list[str]:
    """Split a command line into words exactly as Asterisk's `parse_args()` does (used by the fake PBX)."""
    words: list[list[str]] = []
    in_word = quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and not in_word:
                # An opening quote after whitespace starts a word, even an empty one.
                words.append([])
                in_word = True
        elif ch in " \t" and not quoted and not escaped:
            in_word = False
        elif ch == "\\" and not escaped:
            escaped = True
        else:
            if not in_word:
                words.append([])
                in_word = True
            words[-1].append(ch)
            escaped = False
    return ["".join(w) for w in words]
