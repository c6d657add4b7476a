"""AMI error types: the peer's protocol errors, and what the client raises to its callers."""

from __future__ import annotations

from ivr.errors import RemoteProtocolError


class AmiProtocolError(RemoteProtocolError):
    """Asterisk (or whatever answered on the AMI port) sent bytes that are not valid AMI framing."""


class AmiError(Exception):
    """Base class of the errors `AmiClient` raises to its callers."""


class AmiTimeoutError(AmiError, TimeoutError):
    """An action got no complete reply within its timeout."""


class AmiClosedError(AmiError):
    """The client was closed while the action was waiting, or an action was sent after `close()`."""


class AmiLoginError(AmiError):
    """Asterisk rejected the login; the message is Asterisk's reason."""
