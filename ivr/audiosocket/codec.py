"""Sans-IO AudioSocket codec: `AudioSocketDecoder.feed(bytes) -> list[Message]` and `encode(msg) -> bytes`.

How this works: every message is a 3-byte header `!BH` (kind, big-endian payload length) followed by
the payload; there is no other framing. The decoder keeps at most one header plus `max_payload` bytes
of unparsed input (anything longer is rejected at the header), so its buffer is capped by construction.
The first protocol error is raised and remembered: every later `feed()` raises it again, because the
byte stream cannot be resynchronised once a length is wrong.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from enum import IntEnum

from ivr.errors import LocalProtocolError, RemoteProtocolError

HEADER = struct.Struct("!BH")
DTMF_DIGITS = frozenset("0123456789*#ABCD")


class Kind(IntEnum):
    """AudioSocket message kinds (res_audiosocket.h)."""

    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    SLIN = 0x10
    SLIN12 = 0x11
    SLIN16 = 0x12
    SLIN24 = 0x13
    SLIN32 = 0x14
    SLIN44 = 0x15
    SLIN48 = 0x16
    SLIN96 = 0x17
    SLIN192 = 0x18
    ERROR = 0xFF


KIND_TO_RATE: dict[Kind, int] = {
    Kind.SLIN: 8000,
    Kind.SLIN12: 12000,
    Kind.SLIN16: 16000,
    Kind.SLIN24: 24000,
    Kind.SLIN32: 32000,
    Kind.SLIN44: 44100,
    Kind.SLIN48: 48000,
    Kind.SLIN96: 96000,
    Kind.SLIN192: 192000,
}
RATE_TO_KIND: dict[int, Kind] = {rate: kind for kind, rate in KIND_TO_RATE.items()}
_KNOWN_KINDS = frozenset(int(k) for k in Kind)


class AudioSocketProtocolError(RemoteProtocolError):
    """The AudioSocket peer sent bytes that break the protocol."""


@dataclass(frozen=True, slots=True)
class Hangup:
    """Kind 0x00: end of the session (length ignored)."""


@dataclass(frozen=True, slots=True)
class UuidMessage:
    """Kind 0x01: the call's UUID, first message from Asterisk."""

    uuid: uuid.UUID


@dataclass(frozen=True, slots=True)
class Dtmf:
    """Kind 0x03: one keypad digit (sent by Asterisk on DTMF end)."""

    digit: str


@dataclass(frozen=True, slots=True)
class Audio:
    """Kinds 0x10-0x18: mono signed 16-bit little-endian PCM at `rate` Hz."""

    pcm: bytes
    rate: int


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """Kind 0xFF: error (defined by the protocol, never sent by Asterisk master)."""

    payload: bytes


Message = Hangup | UuidMessage | Dtmf | Audio | ErrorMessage


def rate_of_kind(kind: int) -> int:
    """Sample rate of an audio kind; LocalProtocolError if `kind` is not audio."""
    try:
        return KIND_TO_RATE[Kind(kind)]
    except (ValueError, KeyError):
        raise LocalProtocolError(f"kind 0x{kind:02x} is not an audio kind") from None


def kind_of_rate(rate: int) -> Kind:
    """Audio kind carrying `rate`; LocalProtocolError if AudioSocket has no such rate."""
    try:
        return RATE_TO_KIND[rate]
    except KeyError:
        raise LocalProtocolError(f"AudioSocket has no slin kind for {rate} Hz") from None


class AudioSocketDecoder:
    """Incremental decoder of the Asterisk→server byte stream."""

    def __init__(self, max_payload: int = 8192) -> None:
        if not 1 <= max_payload <= 0xFFFF:
            raise LocalProtocolError(f"max_payload must be within 1..65535, not {max_payload}")
        self.max_payload = max_payload
        self._buf = bytearray()
        self._error: AudioSocketProtocolError | None = None

    @property
    def failed(self) -> bool:
        """True once a protocol error was seen; the decoder then refuses all input."""
        return self._error is not None

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes; return every message they complete. Raises AudioSocketProtocolError."""
        if self._error is not None:
            raise self._error
        self._buf += data
        out: list[Message] = []
        pos = 0
        try:
            while (parsed := self._next(pos)) is not None:
                msg, pos = parsed
                out.append(msg)
        except AudioSocketProtocolError as exc:
            self._error = exc
            self._buf.clear()
            raise
        # One deletion per feed keeps a large chunk of many frames linear rather than quadratic.
        del self._buf[:pos]
        return out

    def _next(self, pos: int) -> tuple[Message, int] | None:
        if len(self._buf) - pos < HEADER.size:
            return None
        kind, length = HEADER.unpack_from(self._buf, pos)
        start = pos + HEADER.size
        if kind == Kind.HANGUP:
            # Asterisk ignores the length of a hangup, so we do too: the header alone is the message.
            return Hangup(), start
        _check_header(kind, length, self.max_payload)
        end = start + length
        if len(self._buf) < end:
            return None
        return _parse(Kind(kind), bytes(self._buf[start:end])), end


def _check_header(kind: int, length: int, max_payload: int) -> None:
    if kind not in _KNOWN_KINDS:
        raise AudioSocketProtocolError(f"unknown kind 0x{kind:02x}")
    if length == 0:
        raise AudioSocketProtocolError(f"zero-length payload for kind 0x{kind:02x}")
    if length > max_payload:
        raise AudioSocketProtocolError(f"payload of {length} bytes exceeds the {max_payload}-byte cap")
    if kind in KIND_TO_RATE and length % 2:
        raise AudioSocketProtocolError(f"odd audio length {length}")
    if kind == Kind.UUID and length != 16:
        raise AudioSocketProtocolError(f"UUID payload must be 16 bytes, got {length}")
    if kind == Kind.DTMF and length != 1:
        raise AudioSocketProtocolError(f"DTMF payload must be 1 byte, got {length}")


def _parse(kind: Kind, payload: bytes) -> Message:
    if kind == Kind.UUID:
        return UuidMessage(uuid.UUID(bytes=payload))
    if kind == Kind.DTMF:
        digit = chr(payload[0])
        if digit not in DTMF_DIGITS:
            raise AudioSocketProtocolError(f"invalid DTMF digit {payload!r}")
        return Dtmf(digit)
    if kind == Kind.ERROR:
        return ErrorMessage(payload)
    return Audio(payload, KIND_TO_RATE[kind])


def encode(msg: Message) -> bytes:
    """Encode one message as header + payload, ready for a single transport write."""
    if isinstance(msg, Audio):
        kind = kind_of_rate(msg.rate)
        if not msg.pcm or len(msg.pcm) % 2:
            raise LocalProtocolError(f"audio payload must be non-empty and even, got {len(msg.pcm)} bytes")
        return _frame(kind, msg.pcm)
    if isinstance(msg, Hangup):
        return HEADER.pack(Kind.HANGUP, 0)
    if isinstance(msg, UuidMessage):
        return _frame(Kind.UUID, msg.uuid.bytes)
    if isinstance(msg, Dtmf):
        if len(msg.digit) != 1 or msg.digit not in DTMF_DIGITS:
            raise LocalProtocolError(f"invalid DTMF digit {msg.digit!r}")
        return _frame(Kind.DTMF, msg.digit.encode("ascii"))
    if isinstance(msg, ErrorMessage):
        if not msg.payload:
            raise LocalProtocolError("error payload must not be empty")
        return _frame(Kind.ERROR, msg.payload)
    raise LocalProtocolError(f"not an AudioSocket message: {msg!r}")


def _frame(kind: Kind, payload: bytes) -> bytes:
    if len(payload) > 0xFFFF:
        raise LocalProtocolError(f"payload of {len(payload)} bytes does not fit a 16-bit length")
    return HEADER.pack(kind, len(payload)) + payload
