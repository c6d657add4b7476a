"""Error types of the service."""

from collections.abc import Iterable


class RemoteProtocolError(Exception):
    """The peer (Asterisk or a client) sent bytes that break the protocol."""


class LocalProtocolError(Exception):
    """We were asked to send something the protocol does not allow."""


class ConfigError(Exception):
    """An admin YAML file is invalid; the message names the file, the key path and the line."""

    def __init__(self, file: str, key_path: str, line: int | None, message: str):
        self.file, self.key_path, self.line, self.message = file, key_path, line, message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {key_path or '<root>'}: {message}")


class StartupError(Exception):
    """The service cannot start as configured (e.g. a 2nd worker on one SQLite file): one line to show."""


def format_errors(errors: Iterable[ConfigError]) -> str:
    """One `file:line: key.path: message` line per error (no trailing newline)."""
    return "\n".join(_format_one(e) for e in errors)


def _format_one(error: ConfigError) -> str:
    """`file:line: key.path: message`, leaving out the line or path when unknown."""
    where = f"{error.file}:{error.line}" if error.line is not None else error.file
    return f"{where}: {error.key_path or '<root>'}: {error.message}"
