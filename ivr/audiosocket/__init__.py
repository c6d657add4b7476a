"""AudioSocket edge: sans-IO codec, frame pacer, asyncio server/connection and the outbound player."""

from ivr.audiosocket.codec import (
    Audio,
    AudioSocketDecoder,
    AudioSocketProtocolError,
    Dtmf,
    ErrorMessage,
    Hangup,
    Kind,
    Message,
    UuidMessage,
    encode,
)
from ivr.audiosocket.connection import AudioConnection
from ivr.audiosocket.pacer import FramePacer
from ivr.audiosocket.player import OutboundAudio, Playback, PlaybackResult
from ivr.audiosocket.server import AudioSocketServer

__all__ = [
    "Audio",
    "AudioConnection",
    "AudioSocketDecoder",
    "AudioSocketProtocolError",
    "AudioSocketServer",
    "Dtmf",
    "ErrorMessage",
    "FramePacer",
    "Hangup",
    "Kind",
    "Message",
    "OutboundAudio",
    "Playback",
    "PlaybackResult",
    "UuidMessage",
    "encode",
]
