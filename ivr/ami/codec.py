"""Sans-IO AMI codec: `AmiDecoder.feed(bytes) -> list[AmiBanner | AmiMessage]`, `encode_action(...) -> bytes`.

How this works: Asterisk opens with one banner line (`Asterisk Call Manager/13.0.0`, no blank line after
it), then every message is `Key: Value` lines ended by an empty line. The decoder splits on LF (CRLF and
bare LF both accepted), decodes each *complete* line as UTF-8 with errors="replace" (so a multibyte
character split across TCP chunks survives), and groups lines into messages. Its buffer holds at most one
unfinished line of `MAX_LINE` bytes plus the lines of one message (`MAX_LINES`); anything larger, or a line
without `:`, is an `AmiProtocolError`, and the decoder stays failed because the stream cannot be trusted.
Header names keep Asterisk's spelling; lookups are case-insensitive and the first occurrence wins, as in
Asterisk's own `astman_get_header`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from ivr.ami.errors import AmiProtocolError
from ivr.errors import LocalProtocolError

# Generous caps for what we receive; Asterisk's own events are far below them.
MAX_LINE = 8192
MAX_LINES = 512
# What Asterisk accepts from us (manager.c: 1024-byte input buffer including CRLF, AST_MAX_MANHEADERS).
ASTERISK_MAX_LINE = 1024
ASTERISK_MAX_HEADERS = 128

HeaderValue = str | int | Sequence[str | int]


@dataclass(frozen=True)
class AmiBanner:
    """The greeting line Asterisk sends once, right after the TCP connect."""

    text: str

    @property
    def version(self) -> str:
        """AMI protocol version, e.g. `13.0.0`."""
        return self.text.rpartition("/")[2]


@dataclass(frozen=True)
class AmiMessage:
    """One AMI message (action, response or event) as its header lines, in wire order."""

    headers: tuple[tuple[str, str], ...]

    @cached_property
    def _first(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, value in self.headers:
            index.setdefault(name.lower(), value)
        return index

    def get(self, name: str, default: str | None = None) -> str | None:
        """Value of the first header called `name` (case-insensitive), or `default`."""
        return self._first.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        """Values of every header called `name` (case-insensitive), in wire order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    @property
    def event(self) -> str | None:
        """The `Event` header, or None for responses and actions."""
        return self.get("Event")

    @property
    def response(self) -> str | None:
        """The `Response` header (`Success`, `Error`, `Goodbye`...), or None for events."""
        return self.get("Response")

    @property
    def action(self) -> str | None:
        """The `Action` header (only actions, i.e. what a client sent), or None."""
        return self.get("Action")

    @property
    def action_id(self) -> str | None:
        """The `ActionID` header, or None."""
        return self.get("ActionID")

    @property
    def event_list(self) -> str | None:
        """The `EventList` header lower-cased (`start`, `complete`), or None."""
        value = self.get("EventList")
        return value.lower() if value is not None else None

    @property
    def chan_variables(self) -> dict[str, str]:
        """The `ChanVariable: NAME=value` lines of the (first) channel snapshot as a dict."""
        return _variables(self.get_all("ChanVariable"))

    @property
    def dest_chan_variables(self) -> dict[str, str]:
        """The `DestChanVariable: NAME=value` lines of the second channel snapshot as a dict."""
        return _variables(self.get_all("DestChanVariable"))

    def to_dict(self) -> dict[str, str]:
        """Headers as a dict with Asterisk's names; for repeated headers the first wins (see `get_all`)."""
        result: dict[str, str] = {}
        for name, value in self.headers:
            result.setdefault(name, value)
        return result


def _variables(lines: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition("=")
        result.setdefault(name, value)
    return result


class AmiDecoder:
    """Incremental AMI reader: feed it whatever TCP gave you, get back complete banner/messages."""

    def __init__(self, expect_banner: bool = True) -> None:
        self._buffer = bytearray()
        self._need_banner = expect_banner
        self._lines: list[tuple[str, str]] = []
        self._error: AmiProtocolError | None = None

    def feed(self, data: bytes) -> list[AmiBanner | AmiMessage]:
        """Consume `data`; return every banner/message it completed; raise AmiProtocolError on bad input."""
        if self._error is not None:
            raise AmiProtocolError(f"AMI stream already failed: {self._error}")
        self._buffer += data
        out: list[AmiBanner | AmiMessage] = []
        try:
            self._drain(out)
        except AmiProtocolError as exc:
            self._error = exc
            self._buffer.clear()
            self._lines.clear()
            raise
        return out

    def _drain(self, out: list[AmiBanner | AmiMessage]) -> None:
        buffer = self._buffer
        start = 0
        while (newline := buffer.find(b"\n", start)) >= 0:
            end = newline - 1 if newline > start and buffer[newline - 1] == 0x0D else newline
            if end - start > MAX_LINE:
                raise AmiProtocolError(f"AMI line longer than {MAX_LINE} bytes")
            item = self._on_line(bytes(buffer[start:end]).decode("utf-8", errors="replace"))
            start = newline + 1
            if item is not None:
                out.append(item)
        del buffer[:start]
        if len(buffer) > MAX_LINE + 1:  # +1: the CR of a CRLF whose LF has not arrived yet
            raise AmiProtocolError(f"AMI line longer than {MAX_LINE} bytes")

    def _on_line(self, line: str) -> AmiBanner | AmiMessage | None:
        if self._need_banner:
            self._need_banner = False
            if "/" not in line:
                raise AmiProtocolError(f"not an AMI banner: {line[:80]!r}")
            return AmiBanner(line)
        if not line:
            # Stray blank lines between messages carry nothing; Asterisk never sends an empty message.
            return self._finish_message() if self._lines else None
        if len(self._lines) >= MAX_LINES:
            raise AmiProtocolError(f"AMI message longer than {MAX_LINES} lines")
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise AmiProtocolError(f"AMI line is not 'Key: Value': {line[:80]!r}")
        self._lines.append((name, value.lstrip(" \t")))
        return None

    def _finish_message(self) -> AmiMessage:
        message = AmiMessage(tuple(self._lines))
        self._lines = []
        return message


def encode_action(action: str, headers: Mapping[str, HeaderValue] | None = None) -> bytes:
    """Encode an action: `Action:` first, a sequence value repeats its header, CRLF lines, blank line."""
    pairs = [("Action", action), *_flatten(headers or {})]
    if any(name.lower() == "action" for name, _ in pairs[1:]):
        raise LocalProtocolError("the Action header is given by the `action` argument")
    if len(pairs) > ASTERISK_MAX_HEADERS:
        raise LocalProtocolError(f"Asterisk reads at most {ASTERISK_MAX_HEADERS} headers per action")
    return _encode_pairs(pairs, ASTERISK_MAX_LINE)


def encode_message(headers: Mapping[str, HeaderValue] | Iterable[tuple[str, str]]) -> bytes:
    """Encode an event or response (the Asterisk side, for the fake PBX) with CRLF lines and a blank line."""
    pairs = _flatten(headers) if isinstance(headers, Mapping) else [(k, str(v)) for k, v in headers]
    if not pairs:
        raise LocalProtocolError("an AMI message needs at least one header")
    return _encode_pairs(pairs, MAX_LINE + 2)


def _flatten(headers: Mapping[str, HeaderValue]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in headers.items():
        if isinstance(value, str | int):
            values: list[object] = [value]
        elif isinstance(value, Sequence):
            values = list(value)
        else:
            raise LocalProtocolError(f"AMI header {name!r} needs a str, int or sequence, got {value!r}")
        for item in values:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise LocalProtocolError(f"AMI header {name!r} needs str or int values, got {item!r}")
            pairs.append((name, str(item)))
    return pairs


def _encode_pairs(pairs: list[tuple[str, str]], max_line: int) -> bytes:
    out = bytearray()
    for name, value in pairs:
        _check_header(name, value)
        line = f"{name}: {value}\r\n".encode()
        if len(line) > max_line:
            raise LocalProtocolError(f"AMI header {name!r} is longer than {max_line} bytes")
        out += line
    out += b"\r\n"
    return bytes(out)


def _check_header(name: str, value: str) -> None:
    if not name or name != name.strip() or any(c in name for c in ":\r\n\0"):
        raise LocalProtocolError(f"invalid AMI header name {name!r}")
    # Asterisk ends a line at CR/LF and treats NUL as end of line: any of them would inject headers.
    if any(c in value for c in "\r\n\0"):
        raise LocalProtocolError(f"AMI header {name!r} value contains CR, LF or NUL")
