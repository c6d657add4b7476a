"""Errors raised by the speech synthesis package."""

from ivr_common.errors import RemoteProtocolError


class TtsError(Exception):
    """Speech synthesis failed: engine missing, worker died or hung, or the engine refused the request."""


class WorkerProtocolError(RemoteProtocolError):
    """The TTS worker process wrote bytes that break the JSON-lines protocol."""
