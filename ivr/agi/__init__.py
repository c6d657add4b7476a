"""FastAGI, server role: a sans-IO codec (`codec`, `quoting`) and the asyncio edge (`server`)."""

from ivr.agi.codec import (
    AgiCommandError,
    AgiConnectionClosed,
    AgiDecoder,
    AgiEnvironment,
    AgiError,
    AgiHangup,
    AgiMessage,
    AgiProtocolError,
    AgiReply,
    AgiTimeoutError,
)
from ivr.agi.quoting import Quoted, encode_command, quote_word, split_command
from ivr.agi.server import AgiChannel, AgiHandler, FastAgiServer

__all__ = [
    "AgiChannel",
    "AgiCommandError",
    "AgiConnectionClosed",
    "AgiDecoder",
    "AgiEnvironment",
    "AgiError",
    "AgiHandler",
    "AgiHangup",
    "AgiMessage",
    "AgiProtocolError",
    "AgiReply",
    "AgiTimeoutError",
    "FastAgiServer",
    "Quoted",
    "encode_command",
    "quote_word",
    "split_command",
]
