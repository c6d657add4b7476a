"""Database URL mapping and redaction (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import URL

from ivr.storage.urls import async_url, is_sqlite, redact, sqlite_file, sync_url


@pytest.mark.parametrize(
    ("given_url", "async_driver", "sync_driver"),
    [
        ("sqlite:///var/ivr.db", "sqlite+aiosqlite", "sqlite"),
        ("sqlite+aiosqlite:////abs/ivr.db", "sqlite+aiosqlite", "sqlite"),
        ("postgresql://ivr:pw@db/ivr", "postgresql+psycopg", "postgresql+psycopg"),
        ("postgres://ivr@db:5433/ivr", "postgresql+psycopg", "postgresql+psycopg"),
        ("postgresql+psycopg2://ivr@db/ivr", "postgresql+psycopg", "postgresql+psycopg"),
    ],
)
def test_plain_urls_map_to_the_shipped_drivers(given_url: str, async_driver: str, sync_driver: str) -> None:
    assert async_url(given_url).drivername == async_driver
    assert sync_url(given_url).drivername == sync_driver
    assert async_url(given_url).database == sync_url(given_url).database


def test_mapping_keeps_host_port_user_and_password() -> None:
    url = async_url("postgresql://ivr:p%40ss@db.local:6543/hotline")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "ivr", "p@ss", "db.local", 6543, "hotline",
    )  # fmt: skip


def test_sqlite_file_is_relative_as_written() -> None:
    assert sqlite_file("sqlite:///var/ivr.db") == Path("var/ivr.db")
    assert sqlite_file("sqlite:////srv/ivr.db") == Path("/srv/ivr.db")
    assert sqlite_file("postgresql://db/ivr") is None
    assert is_sqlite("sqlite:///x.db") and not is_sqlite("postgresql://db/ivr")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("mysql://root@db/ivr", "unsupported"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("not a url", "invalid"),
    ],
)
def test_unusable_urls_are_refused(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        async_url(bad)


def test_redact_masks_the_password_only() -> None:
    assert redact("postgresql://ivr:hunter2@db:5432/ivr") == "postgresql://ivr:***@db:5432/ivr"
    assert redact("sqlite:///var/ivr.db") == "sqlite:///var/ivr.db"


_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


@given(user=_part, host=_part, database=_part, secret=st.text(min_size=1, max_size=30))
def test_redact_never_shows_the_password(user: str, host: str, database: str, secret: str) -> None:
    password = "PW" + secret  # "PW" is in no other part: its absence proves the password is gone
    url = URL.create("postgresql", username=user, password=password, host=host, database=database)
    text = url.render_as_string(hide_password=False)

    shown = redact(text)

    assert "PW" not in shown
    assert user in shown and host in shown


@given(garbage=st.text(max_size=200))
def test_redact_never_raises_on_garbage(garbage: str) -> None:
    assert isinstance(redact(garbage), str)


@given(secret=st.text(alphabet=st.characters(blacklist_categories=["Cc", "Cs"]), max_size=20))
def test_redact_masks_raw_passwords_even_when_the_url_does_not_parse(secret: str) -> None:
    raw = f"postgresql://ivr:PW{secret}QX@db/ivr"  # not URL-encoded, so "@", "/" or ":" may confuse parsers
    shown = redact(raw)
    assert "PW" not in shown and "QX" not in shown
