"""The lexicon files: every listed word is text (YAML reads a bare yes, no, on or off as a boolean)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

LEXICONS = sorted((Path(__file__).resolve().parents[3] / "ivr" / "dialogue" / "lexicons").glob("*.yaml"))


def not_text(node, where: str):
    """(where, value) of every list entry or key that YAML did not read as text."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, bool):
                yield where, key
            yield from not_text(value, f"{where}.{key}")
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, dict | list):
                yield from not_text(value, where)
            elif not isinstance(value, str):
                yield where, value


@pytest.mark.parametrize("path", LEXICONS, ids=lambda p: p.name)
def test_every_lexicon_word_is_text(path):
    assert LEXICONS
    assert list(not_text(yaml.safe_load(path.read_text("utf-8")), path.name)) == []
