"""JSON-lines protocol between the service and its TTS worker process (sans-IO codec).

How this works: each message is one JSON object on one line, with a "type" field. The parent sends
requests with an integer "id"; the worker answers each with a reply carrying the same id. Right after
start the worker sends one `Hello` (ok, or the reason the engine cannot load). Lines are capped so a
runaway peer cannot grow our buffer without bound.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from tts.errors import WorkerProtocolError

MAX_LINE = 256 * 1024


@dataclass(frozen=True)
class Hello:
    """First line from the worker: whether the engine loaded, and its pid."""

    pid: int
    ok: bool
    error: str = ""


@dataclass(frozen=True)
class Synthesize:
    """Ask the worker to speak `text` with `voice` at `rate_wpm` into the WAV file at `path`."""

    id: int
    text: str
    voice: str
    rate_wpm: int
    path: str


@dataclass(frozen=True)
class ListVoices:
    """Ask the worker for the voices its engine offers."""

    id: int


@dataclass(frozen=True)
class Sleep:
    """Test hook: make the worker block for `seconds` (honoured only when hooks are enabled)."""

    id: int
    seconds: float


@dataclass(frozen=True)
class Done:
    """The WAV file for request `id` was written to `path`."""

    id: int
    path: str


@dataclass(frozen=True)
class VoiceInfo:
    """One engine voice: espeak identifier (e.g. 'gmw/en-us'), display name and language codes."""

    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Voices:
    """Reply to ListVoices."""

    id: int
    voices: tuple[VoiceInfo, ...]


@dataclass(frozen=True)
class Failed:
    """Request `id` failed in the worker; `error` says why."""

    id: int
    error: str


Message = Hello | Synthesize | ListVoices | Sleep | Done | Voices | Failed
_TYPES: dict[str, type] = {
    "hello": Hello,
    "synthesize": Synthesize,
    "list_voices": ListVoices,
    "sleep": Sleep,
    "done": Done,
    "voices": Voices,
    "failed": Failed,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def encode(msg: Message) -> bytes:
    """Serialise one message as a JSON line."""
    body = asdict(msg)
    body["type"] = _NAMES[type(msg)]
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class LineDecoder:
    """Splits a byte stream into protocol messages; `feed` returns the complete ones."""

    def __init__(self, max_line: int = MAX_LINE):
        self._buf = bytearray()
        self._max_line = max_line

    def feed(self, data: bytes) -> list[Message]:
        """Buffer `data` and return every message completed by it."""
        self._buf += data
        out: list[Message] = []
        while (end := self._buf.find(b"\n")) >= 0:
            line = bytes(self._buf[:end])
            del self._buf[: end + 1]
            if line.strip():
                out.append(decode_line(line))
        if len(self._buf) > self._max_line:
            raise WorkerProtocolError(f"line longer than {self._max_line} bytes")
        return out


def decode_line(line: bytes) -> Message:
    """Parse one JSON line into its message dataclass."""
    try:
        body = json.loads(line)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WorkerProtocolError(f"not a JSON line: {line[:80]!r}") from exc
    if not isinstance(body, dict):
        raise WorkerProtocolError("JSON line is not an object")
    cls = _TYPES.get(body.pop("type", None))  # type: ignore[arg-type]
    if cls is None:
        raise WorkerProtocolError(f"unknown message type in {line[:80]!r}")
    if cls is Voices:
        return _decode_voices(body)
    return _build(cls, body)


def _build(cls: type, body: dict[str, Any]) -> Any:
    """Construct `cls` from `body`, checking field names and primitive types."""
    hints = {"id": int, "pid": int, "rate_wpm": int, "ok": bool, "seconds": (int, float)}
    try:
        msg = cls(**body)
    except TypeError as exc:
        raise WorkerProtocolError(f"bad fields for {cls.__name__}: {sorted(body)}") from exc
    for name, value in body.items():
        want = hints.get(name, str)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise WorkerProtocolError(f"{cls.__name__}.{name} has the wrong type")
    return msg


def _decode_voices(body: dict[str, Any]) -> Voices:
    """Voices carries a nested list, so it is decoded by hand."""
    raw = body.get("voices")
    if not isinstance(raw, list) or set(body) != {"id", "voices"} or not isinstance(body["id"], int):
        raise WorkerProtocolError("malformed voices reply")
    return Voices(body["id"], tuple(_decode_voice(v) for v in raw))


def _decode_voice(raw: object) -> VoiceInfo:
    """One entry of a Voices reply: strings, and a list of language strings."""
    if not isinstance(raw, dict) or set(raw) != {"id", "name", "languages"}:
        raise WorkerProtocolError("malformed voice entry")
    langs = raw["languages"]
    if not isinstance(langs, list) or not all(isinstance(x, str) for x in [raw["id"], raw["name"], *langs]):
        raise WorkerProtocolError("malformed voice entry")
    return VoiceInfo(raw["id"], raw["name"], tuple(langs))
