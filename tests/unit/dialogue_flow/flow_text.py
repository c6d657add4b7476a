"""A small valid flow as YAML text, for tests that break it one rule at a time."""

from __future__ import annotations

from pathlib import Path

from ivr.dialogue.loader import load_spec
from ivr.dialogue.registry import Flow

MINI_FLOW = """\
name: mini
languages: [en, zh]
start: hello
policy:
  default_skill: support
  sensitive_intents: [refund]
skills:
  support: {en: an agent, zh: 人工客服}
  billing: {en: a billing specialist, zh: 账单专员}
intents:
  balance:
    title: {en: their balance, zh: 余额}
    examples: {en: [what is my balance, check my bill], zh: [查询余额, 查一下账单]}
    keywords: {en: [balance], zh: [余额]}
    skill: billing
    goto: account
  refund:
    title: {en: a refund, zh: 退款}
    examples: {en: [I want a refund], zh: [我要退款]}
    keywords: {en: [refund], zh: [退款]}
    skill: billing
knowledge:
  - id: hours
    title: opening hours
    questions: {en: [what are your opening hours, when are you open], zh: [你们几点上班, 营业时间]}
    answer: {en: We are open from 8 to 8., zh: 我们早8点到晚8点营业。}
steps:
  hello:
    type: say
    text: {en: Hello., zh: 您好。}
    next: main
  main:
    type: ask
    prompt: {en: "How can I help?", zh: 请问有什么可以帮您？}
    knowledge: true
  account:
    type: collect
    slot: account
    kind: digits
    min_digits: 6
    max_digits: 8
    prompt: {en: "Your account number?", zh: 您的账号？}
    confirm: {en: "I heard {value}. Right?", zh: "您的账号是{value}，对吗？"}
    next: told
  told:
    type: say
    text: {en: "Account {slots.account} has 5 dollars.", zh: "账号{slots.account}余额5元。"}
    next: main
"""


def write_flow(folder: Path, text: str = MINI_FLOW, name: str = "mini.yaml") -> Path:
    """Write a flow file into `folder`; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def mini_flow(tmp_path: Path, text: str = MINI_FLOW, version: int = 1) -> Flow:
    """The flow of `text`, validated, as a call would get it."""
    path = write_flow(tmp_path, text)
    return Flow(load_spec(path), str(path), version)


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")
