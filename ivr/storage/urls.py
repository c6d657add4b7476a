"""Database URL handling: plain URLs from the config mapped to the drivers we ship, and redaction."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_SQLITE = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_POSTGRES = {"postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+asyncpg"}
# Greedy up to the last "@": an unencoded "@" inside the password must not leak its tail.
_CREDENTIALS = re.compile(r"(?P<scheme>[^:/@\s]+://[^:/@\s]*):.*@")


def _parse(url: str | URL) -> URL:
    """Parse a URL and refuse backends and in-memory databases we cannot serve calls from."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"invalid database URL {redact(url)!r}: {exc}") from None
    if parsed.drivername in _SQLITE:
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("in-memory SQLite is not supported: give a file, e.g. sqlite:///var/ivr.db")
        return parsed
    if parsed.drivername in _POSTGRES:
        return parsed
    raise ValueError(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://"
    )


def is_sqlite(url: str | URL) -> bool:
    """True when the URL names an SQLite database."""
    return _parse(url).drivername in _SQLITE


def async_url(url: str | URL) -> URL:
    """The URL with the asyncio driver we ship (aiosqlite or psycopg 3)."""
    parsed = _parse(url)
    return parsed.set(drivername="sqlite+aiosqlite" if parsed.drivername in _SQLITE else "postgresql+psycopg")


def sync_url(url: str | URL) -> URL:
    """The URL with the blocking driver we ship (sqlite3 or psycopg 3), for migrations and tools."""
    parsed = _parse(url)
    return parsed.set(drivername="sqlite" if parsed.drivername in _SQLITE else "postgresql+psycopg")


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of an SQLite URL, None for other backends."""
    parsed = _parse(url)
    return Path(parsed.database) if parsed.drivername in _SQLITE and parsed.database else None


def redact(url: str | URL) -> str:
    """The URL as text with any password masked; never raises, so it is safe in log lines."""
    text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
    if text.count("@") > 1:
        # A raw "@" in the password: a parser may cut the password short and show the rest as host.
        return _CREDENTIALS.sub(r"\g<scheme>:***@", text)
    try:
        return make_url(text).render_as_string(hide_password=True)
    except Exception:
        return _CREDENTIALS.sub(r"\g<scheme>:***@", text)
