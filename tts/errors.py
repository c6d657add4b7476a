"""Errors raised by the speech synthesis package (it depends on nothing of the service)."""


class TtsError(Exception):
    """Speech synthesis failed: engine missing, worker died or hung, or the engine refused the request."""


class WorkerProtocolError(Exception):
    """The TTS worker process wrote bytes that break the JSON-lines protocol."""
