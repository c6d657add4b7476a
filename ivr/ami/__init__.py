"""AMI edge: sans-IO codec (`codec`), asyncio client with reconnect (`client`), event dispatch."""

from ivr.ami.backoff import Backoff
from ivr.ami.client import AmiClient
from ivr.ami.codec import AmiBanner, AmiDecoder, AmiMessage, encode_action, encode_message
from ivr.ami.connection import AmiResponse
from ivr.ami.errors import AmiClosedError, AmiError, AmiLoginError, AmiProtocolError, AmiTimeoutError

__all__ = [
    "AmiBanner",
    "AmiClient",
    "AmiClosedError",
    "AmiDecoder",
    "AmiError",
    "AmiLoginError",
    "AmiMessage",
    "AmiProtocolError",
    "AmiResponse",
    "AmiTimeoutError",
    "Backoff",
    "encode_action",
    "encode_message",
]
