"""Chinese in one script: traditional characters (唔記得密碼, 網絡) read as the simplified ones the lexicons
and flows are compared in (OpenCC's t2s), so a Hong Kong or Taiwan caller's recogniser and a flow written in
either script meet the same words. Some characters stay as they are (KEPT: t2s would make Cantonese's 係
the 系 of 系统 and the measure word 隻 the 只 of "only"), and a few come out in the form the lexicons use
(AS_LEXICONS: t2s gives 帐号 for 帳號, 甚么 for 甚麼)."""

from __future__ import annotations

import re
from functools import cache

import opencc

from ivr.dialogue.text import is_chinese, is_cjk

KEPT = "係嗰搵隻"
_AROUND_KEPT = re.compile(f"([{KEPT}])")
# the 係 of 關係 and the like, where t2s's 系 is right
NOT_THE_COPULA = ("关系", "联系", "维系", "系数", "系统", "系列")
AS_LEXICONS = {"帐": "账", "甚么": "什么"}
_LEXICON_FORMS = re.compile("|".join(AS_LEXICONS))


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` with traditional characters in simplified form, but for the Cantonese ones kept (KEPT)."""
    if not any(is_cjk(c) for c in text):
        return text
    converted = _converter().convert(text)
    if len(converted) == len(text):  # converted as a whole (沒關係 as 没关系), the kept ones put back
        converted = "".join(
            old if old in KEPT and not _in_a_word_of_its_own(converted, i) else new
            for i, (old, new) in enumerate(zip(text, converted, strict=True))
        )
    else:  # a phrase changed length: convert around the kept characters instead
        converted = "".join(p if p in KEPT else _converter().convert(p) for p in _AROUND_KEPT.split(text))
    return _LEXICON_FORMS.sub(lambda m: AS_LEXICONS[m.group(0)], converted)


def as_read(text: str, language: str) -> str:
    """`text` as callers' words are compared: in simplified characters when Chinese, else as it is."""
    return simplified(text) if is_chinese(language) else text


def _in_a_word_of_its_own(converted: str, at: int) -> bool:
    """The 系 at `at` is part of a word such as 关系 (relation), not Cantonese's copula 係."""
    return any(converted.startswith(w, start) for w in NOT_THE_COPULA for start in (at - 1, at))
