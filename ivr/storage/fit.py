"""Make values fit the schema before they reach the database: caller-controlled text is clipped and cleaned.

Why: PostgreSQL refuses a string longer than its column (`StringDataRightTruncation`) and any NUL
character (in text and in JSON), while SQLite accepts both; one unusual caller ID name must never cost
the call's record. Every string bound for a column is cleaned of NUL and other control characters
(tab and newline stay in free text) and clipped to the column's length, read from the models, so the
limits always match the schema. JSON values are cleaned the same way, recursively.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase

# C0 and C1 controls and DEL; bidirectional overrides (they make a name display as something else on
# the desktop); lone surrogates, which cannot be encoded to UTF-8 for the driver either.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROLS_KEEP_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
MAX_JSON_DEPTH = 20


def clean_text(value: str, limit: int | None = None, *, multiline: bool = False) -> str:
    """`value` without NUL/control characters (keeping \\t and \\n when multiline), clipped to `limit`."""
    pattern = _CONTROLS_KEEP_LINES if multiline else _CONTROLS
    cleaned = pattern.sub("", unicodedata.normalize("NFC", value))
    return cleaned[:limit] if limit is not None else cleaned


def clean_json(value: Any, depth: int = 0) -> Any:
    """A JSON value with every string (keys included) cleaned of NUL and control characters."""
    if depth > MAX_JSON_DEPTH:
        return None
    if isinstance(value, str):
        return clean_text(value, multiline=True)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v, depth + 1) for v in value]
    return value


def fit(model: type[DeclarativeBase], values: dict[str, Any]) -> dict[str, Any]:
    """Values for `model`'s columns with strings cleaned and clipped to each column's length."""
    columns = model.__table__.columns  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    for name, value in values.items():
        column = columns.get(name)
        if column is None or value is None:
            out[name] = value
        elif isinstance(value, str) and isinstance(column.type, String):
            multiline = isinstance(column.type, Text)
            out[name] = clean_text(value, None if multiline else column.type.length, multiline=multiline)
        elif isinstance(value, dict | list):
            out[name] = clean_json(value)
        else:
            out[name] = value
    return out


def ascii_only(value: str | None) -> str | None:
    """A last-resort form of a string for a write the database refused: printable ASCII only."""
    if value is None:
        return None
    return "".join(ch for ch in value if " " <= ch <= "~")
