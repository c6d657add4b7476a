"""Sans-IO FastAGI codec, server role: Asterisk's bytes in, messages out; commands out as bytes.

How this works: Asterisk first sends `agi_name: value` lines ended by an empty line (one
`AgiEnvironment`), then one reply per command we send (`AgiReply`), with an unsolicited `HANGUP`
line (`AgiHangup`) wherever it notices the caller hung up. A `520-` line opens a usage block that
ends at a line starting `520 `; the whole block is one reply. Lines are split on LF and decoded
only once complete, so a UTF-8 character split across TCP chunks survives. Every buffer is capped;
after the first protocol error the decoder refuses all further input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from ivr.agi.quoting import MAX_COMMAND_BYTES, Quoted, encode_command, quote_word
from ivr.errors import RemoteProtocolError
from ivr.vocabulary import known_caller

__all__ = [
    "MAX_COMMAND_BYTES",
    "MAX_ENV_LINES",
    "MAX_LINE_BYTES",
    "MAX_USAGE_LINES",
    "AgiCommandError",
    "AgiConnectionClosed",
    "AgiDecoder",
    "AgiEnvironment",
    "AgiError",
    "AgiHangup",
    "AgiMessage",
    "AgiProtocolError",
    "AgiReply",
    "AgiTimeoutError",
    "Quoted",
    "encode_command",
    "quote_word",
]

MAX_LINE_BYTES = 16384
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_VERBATIM = frozenset({"network_script", "request"})
MAX_ENV_LINES = 256
MAX_USAGE_LINES = 64

# Digit runs are bounded: int() of a huge string is slow, and ASCII-only keeps other scripts' digits out.
_RESULT_RE = re.compile(
    r"result=(?P<result>-?[0-9]{1,18})?(?: \((?P<data>.*)\))?(?: endpos=(?P<endpos>-?[0-9]{1,18}))?",
    re.DOTALL,
)
_CODE_RE = re.compile(r"(?P<code>[0-9]{3})(?P<sep>[ -])(?P<rest>.*)", re.DOTALL)
_ARG_RE = re.compile(r"arg_([0-9]{1,6})")


class AgiError(Exception):
    """Base of every AGI failure, so a call handler can catch them all at once."""


class AgiProtocolError(RemoteProtocolError, AgiError):
    """Asterisk (or whoever connected) sent bytes that are not valid AGI."""


class AgiTimeoutError(AgiError):
    """No reply within the command timeout; the connection was closed since a late reply would shift."""


class AgiConnectionClosed(AgiError):
    """The AGI connection is closed (EOF from Asterisk, or closed by us earlier)."""


class AgiCommandError(AgiError):
    """A helper got a reply other than success; the reply is kept in `.reply`."""

    def __init__(self, reply: AgiReply):
        self.reply = reply
        super().__init__(f"AGI command failed: {reply.text}")


@dataclass(frozen=True)
class AgiEnvironment:
    """The `agi_*` header Asterisk sends first; names lose their `agi_` prefix, args are kept apart."""

    variables: Mapping[str, str] = field(hash=False)
    args: tuple[str, ...] = ()

    @property
    def script(self) -> str:
        """The FastAGI script name (`agi://host/<script>`) without any `?query`."""
        return self.variables.get("network_script", "").partition("?")[0]

    @property
    def query(self) -> dict[str, str]:
        """Parameters from the script's query string (`hotline?lang=ko` gives {"lang": "ko"})."""
        _, _, qs = self.variables.get("network_script", "").partition("?")
        return dict(parse_qsl(qs, keep_blank_values=True))

    @property
    def channel(self) -> str:
        """Asterisk channel name, e.g. `PJSIP/trunk-00000001`."""
        return self.variables.get("channel", "")

    @property
    def uniqueid(self) -> str:
        """Asterisk's unique id of the channel."""
        return self.variables.get("uniqueid", "")

    @property
    def caller_number(self) -> str | None:
        """Caller id number, None when Asterisk says `unknown`."""
        return known_caller(self.variables.get("callerid"))

    @property
    def caller_name(self) -> str | None:
        """Caller id name, None when Asterisk says `unknown`."""
        return known_caller(self.variables.get("calleridname"))

    @property
    def language(self) -> str:
        """The channel's language (`en` by default in Asterisk)."""
        return self.variables.get("language", "")


@dataclass(frozen=True)
class AgiReply:
    """One reply line (or one whole 520 usage block); `text` is the raw reply without the final LF."""

    code: int
    result: int | None
    data: str | None
    endpos: int | None
    text: str

    @property
    def ok(self) -> bool:
        """True for a 200 reply (the command ran; `result` still says how it went)."""
        return self.code == 200


@dataclass(frozen=True)
class AgiHangup:
    """Asterisk's unsolicited `HANGUP` line: the caller hung up. It is an event, never a reply."""


AgiMessage = AgiEnvironment | AgiReply | AgiHangup


class AgiDecoder:
    """Incremental decoder of what Asterisk sends to a FastAGI server."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._env: dict[str, str] | None = {}
        self._env_lines = 0
        self._usage: list[str] | None = None
        self._failed: AgiProtocolError | None = None

    def feed(self, data: bytes) -> list[AgiMessage]:
        """Consume bytes and return the messages they complete; raises AgiProtocolError on bad input."""
        if self._failed is not None:
            raise AgiProtocolError(f"decoder already failed: {self._failed}")
        try:
            return self._feed(data)
        except AgiProtocolError as exc:
            self._failed = exc
            self._buf.clear()
            raise

    def _feed(self, data: bytes) -> list[AgiMessage]:
        """Split complete lines off the buffer and run each through the state machine."""
        self._buf += data
        out: list[AgiMessage] = []
        start = 0
        while (end := self._buf.find(b"\n", start)) != -1:
            if end - start > MAX_LINE_BYTES:
                raise AgiProtocolError(f"AGI line longer than {MAX_LINE_BYTES} bytes")
            raw = bytes(self._buf[start:end])
            start = end + 1
            msg = self._line(raw.removesuffix(b"\r").decode("utf-8", errors="replace"))
            if msg is not None:
                out.append(msg)
        del self._buf[:start]
        if len(self._buf) > MAX_LINE_BYTES:
            raise AgiProtocolError(f"AGI line longer than {MAX_LINE_BYTES} bytes")
        return out

    def _line(self, line: str) -> AgiMessage | None:
        """Handle one decoded line in the current state."""
        if self._env is not None:
            return self._env_line(line)
        if self._usage is not None:
            return self._usage_line(line)
        return self._reply_line(line)

    def _env_line(self, line: str) -> AgiEnvironment | None:
        """Collect one `agi_name: value` header line; the empty line ends the environment."""
        assert self._env is not None
        if line == "":
            env, self._env = self._env, None
            return _build_env(env)
        self._env_lines += 1
        if self._env_lines > MAX_ENV_LINES:
            raise AgiProtocolError(f"AGI environment longer than {MAX_ENV_LINES} lines")
        name, sep, value = line.partition(":")
        if not sep or not name.startswith("agi_") or len(name) == 4 or " " in name:
            raise AgiProtocolError(f"bad AGI environment line {line[:80]!r}")
        key, value = name[4:], value.removeprefix(" ")
        # Caller ID and the other values come from the far end of the call: no control characters
        # (NUL breaks PostgreSQL, escapes reach terminals). The script name is kept as sent, so a
        # garbled one is refused as unknown rather than served as something it did not say.
        self._env[key] = value if key in _VERBATIM else _CONTROL_CHARS.sub("", value)
        return None

    def _usage_line(self, line: str) -> AgiReply | None:
        """Collect a `520-` usage block up to its `520 ` line."""
        assert self._usage is not None
        self._usage.append(line)
        if line.startswith("520 "):
            text, self._usage = "\n".join(self._usage), None
            return AgiReply(520, None, None, None, text)
        if len(self._usage) >= MAX_USAGE_LINES:
            raise AgiProtocolError(f"AGI 520 usage block longer than {MAX_USAGE_LINES} lines")
        return None

    def _reply_line(self, line: str) -> AgiMessage | None:
        """Parse a reply line, a HANGUP event, or the first line of a usage block."""
        if line == "HANGUP":
            return AgiHangup()
        if line == "":
            # Carries nothing; tolerated rather than killing a live call over it.
            return None
        m = _CODE_RE.fullmatch(line)
        if m is None:
            raise AgiProtocolError(f"bad AGI reply line {line[:80]!r}")
        code, rest = int(m["code"]), m["rest"]
        if m["sep"] == "-":
            if code != 520:
                raise AgiProtocolError(f"unexpected continuation line {line[:80]!r}")
            self._usage = [line]
            return None
        if code != 200:
            return AgiReply(code, None, None, None, line)
        return _parse_200(rest, line)


def _parse_200(rest: str, line: str) -> AgiReply:
    """Parse `result=<n>[ (<data>)][ endpos=<n>]` after `200 `."""
    m = _RESULT_RE.fullmatch(rest)
    if m is None:
        raise AgiProtocolError(f"bad AGI 200 reply {line[:80]!r}")
    # GET DATA answers `200 result= (timeout)` when no digit was pressed.
    result = int(m["result"]) if m["result"] is not None else None
    endpos = int(m["endpos"]) if m["endpos"] is not None else None
    return AgiReply(200, result, m["data"], endpos, line)


def _build_env(env: dict[str, str]) -> AgiEnvironment:
    """Split `arg_N` entries off into an ordered tuple; keep the rest as variables."""
    args: dict[int, str] = {}
    variables: dict[str, str] = {}
    for name, value in env.items():
        m = _ARG_RE.fullmatch(name)
        if m:
            args[int(m[1])] = value
        else:
            variables[name] = value
    return AgiEnvironment(variables, tuple(args[i] for i in sorted(args)))
