"""Protocol error bases shared by every edge: the peer's protocol errors are kept apart from ours."""


class RemoteProtocolError(Exception):
    """The peer (Asterisk or a client) sent bytes that break the protocol."""


class LocalProtocolError(Exception):
    """We were asked to send something the protocol does not allow."""
