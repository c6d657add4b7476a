"""Error types shared by every edge: the peer's protocol errors are kept apart from ours."""


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
