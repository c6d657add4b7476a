"""Errors of the speech recognition package (it depends on nothing of the service)."""


class RecognizerUsageError(Exception):
    """A recogniser was used as it does not allow: a closed stream or engine, an unsupported sample rate."""
