"""Chinese in one script: traditional characters (唔記得密碼, 網絡) read as the simplified ones the lexicons
and flows are compared in (OpenCC's t2s), so a Hong Kong or Taiwan caller's recogniser and a flow written in
either script meet the same words. Cantonese characters the lexicons spell as they are stay (係, 嗰: t2s
would make 係 the 系 of 系统)."""

from __future__ import annotations

import re
from functools import cache

import opencc

from ivr.dialogue.text import is_cjk

KEPT = "係嗰"
_AROUND_KEPT = re.compile(f"([{KEPT}])")


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` with traditional characters in simplified form, but for the Cantonese ones kept (KEPT)."""
    if not any(is_cjk(c) for c in text):
        return text
    return "".join(p if p in KEPT else _converter().convert(p) for p in _AROUND_KEPT.split(text))
