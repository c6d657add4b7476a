"""Every rule of the flow schema: a broken file is refused with the file, the line and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.dialogue.loader import load_spec
from ivr.yamlconf import ConfigErrors
from tests.unit.dialogue_flow.flow_text import MINI_FLOW, line_of, write_flow

# (what to replace, replacement, line marker in the broken text, key path, message fragment)
BROKEN = [
    ("start: hello", "start: helo", "start: helo", "start", "no step named 'helo'; did you mean 'hello'?"),
    (
        "    next: main\n  main:",
        "    next: mian\n  main:",
        "next: mian",
        "steps.hello.next",
        "no step named 'mian'",
    ),
    (
        "    goto: account",
        "    goto: acount",
        "goto: acount",
        "intents.balance.goto",
        "no step named 'acount'",
    ),
    (
        "    skill: billing\n    goto",
        "    skill: biling\n    goto",
        "skill: biling",
        "intents.balance.skill",
        "unknown skill 'biling'",
    ),
    (
        "default_skill: support",
        "default_skill: helpdesk",
        "default_skill",
        "policy.default_skill",
        "unknown skill 'helpdesk'",
    ),
    (
        "sensitive_intents: [refund]",
        "sensitive_intents: [refnd]",
        "sensitive_intents",
        "policy.sensitive_intents[0]",
        "no intent named 'refnd'",
    ),
    (
        '    prompt: {en: "How can I help?", zh: 请问有什么可以帮您？}',
        '    prompt: {en: "How can I help?"}',
        'prompt: {en: "How can I help?"}',
        "steps.main.prompt",
        "missing the 'zh' text",
    ),
    (
        "  support: {en: an agent, zh: 人工客服}",
        "  support: {en: an agent, fr: un agent}",
        "fr: un agent",
        "skills.support.fr",
        "language 'fr' is not in `languages`",
    ),
    (
        "    text: {en: Hello., zh: 您好。}",
        "    text: {en: Hello., zh: 您好。}\n    colour: red",
        "colour: red",
        "steps.hello.colour",
        "unknown key 'colour'",
    ),
    (
        "    type: say\n    text: {en: Hello.",
        "    type: shout\n    text: {en: Hello.",
        "type: shout",
        "steps.hello.type",
        "unknown type 'shout' (one of: say, ask, menu, collect,",
    ),
    ("    kind: digits", "    kind: digit", "kind: digit", "steps.account.kind", "did you mean 'digits'?"),
    (
        "    min_digits: 6",
        "    min_digits: 9",
        "  account:",
        "steps.account",
        "min_digits (9) is above max_digits",
    ),
    (
        "  billing: {en: a billing specialist, zh: 账单专员}\n",
        "  billing: {en: a billing specialist, zh: 账单专员}\ndepartments:\n  biling: {en: [billing]}\n",
        "biling: {en: [billing]}",
        "departments.biling",
        "unknown skill 'biling'",
    ),
    (
        "  billing: {en: a billing specialist, zh: 账单专员}\n",
        "  billing: {en: a billing specialist, zh: 账单专员}\ndepartments:\n  billing: {fr: [facturation]}\n",
        "fr: [facturation]",
        "departments.billing.fr",
        "language 'fr' is not in `languages`",
    ),
    (
        "    title: opening hours\n",
        "    title: opening hours\n    intent: refnd\n",
        "intent: refnd",
        "knowledge[0].intent",
        "no intent named 'refnd'",
    ),
    ("languages: [en, zh]", "languages: [en, zh, en]", "languages", "languages", "list each language once"),
    (
        "languages: [en, zh]",
        "languages: [en, zh, de]",
        "languages",
        "messages.no_match",
        "no_match: no built-in 'de' text",
    ),
    (
        "    examples: {en: [I want a refund], zh: [我要退款]}\n    keywords: {en: [refund], zh: [退款]}",
        "    examples: {en: [I want a refund]}",
        "  refund:",
        "intents.refund",
        "no 'zh' examples or keywords",
    ),
    ("  - id: hours", "  - id: Hours", "id: Hours", "knowledge[0].id", "String should match pattern"),
    (
        "    answer: {en: We are open from 8 to 8., zh: 我们早8点到晚8点营业。}",
        "    answer: {en: We are open from 8 to 8.}",
        "answer: {en: We",
        "knowledge[0].answer",
        "questions in 'zh' but no 'zh' answer",
    ),
    (
        "    next: main\n",
        "    next: hello\n",
        "  hello:",
        "steps.hello",
        "steps loop without waiting for the caller",
    ),
    (
        "policy:\n  default_skill: support",
        "policy:\n  default_skill: support\n  repeat_limit: -1",
        "repeat_limit",
        "policy.repeat_limit",
        "greater than or equal to 0",
    ),
    ("skills:", "hotline: x\nskills:", "hotline: x", "hotline", "did you mean 'hotlines'?"),
    (
        "    kind: digits",
        '    kind: digits\n    answers: {"yes": {en: [all]}}',
        "  account:",
        "steps.account",
        "answers are for yes_no steps, not digits",
    ),
    (
        "    kind: digits",
        "    kind: digits\n    about: caller.last_intent",
        "  account:",
        "steps.account",
        "about is for yes_no steps, not digits",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "marker", "key_path", "message"), BROKEN, ids=[b[3] + ":" + b[4][:20] for b in BROKEN]
)
def test_a_broken_flow_is_refused_at_the_right_line(tmp_path: Path, old, new, marker, key_path, message):
    assert old in MINI_FLOW
    text = MINI_FLOW.replace(old, new, 1)
    path = write_flow(tmp_path, text)
    with pytest.raises(ConfigErrors) as info:
        load_spec(path)
    expected_prefix = f"{path}:{line_of(text, marker)}: {key_path}: "
    lines = str(info.value).splitlines()
    assert any(line.startswith(expected_prefix) and message in line for line in lines), lines


def test_the_mini_flow_itself_is_valid(tmp_path: Path):
    spec = load_spec(write_flow(tmp_path))
    assert spec.name == "mini" and spec.default_language == "en"


def test_every_error_of_a_file_is_reported_at_once(tmp_path: Path):
    text = MINI_FLOW.replace("start: hello", "start: nowhere").replace("    goto: account", "    goto: void")
    with pytest.raises(ConfigErrors) as info:
        load_spec(write_flow(tmp_path, text))
    assert len(info.value.errors) == 2
    assert [e.key_path for e in info.value.errors] == ["start", "intents.balance.goto"]


@pytest.mark.parametrize(
    ("step_yaml", "marker", "key_path", "message"),
    [
        ("type: goto\n    goto: nowhere", "goto: nowhere", "steps.extra.goto", "no step named 'nowhere'"),
        (
            "type: answer\n    entry: hourz\n    next: main",
            "entry: hourz",
            "steps.extra.entry",
            "no knowledge entry with id 'hourz'",
        ),
        ("type: transfer\n    skill: sales", "skill: sales", "steps.extra.skill", "unknown skill 'sales'"),
        (
            'type: ask\n    prompt: {en: "Q?", zh: 问？}\n    routes: {balanse: main}',
            "routes:",
            "steps.extra.routes.balanse",
            "no intent named 'balanse'",
        ),
        (
            "type: ask\n    prompt: {en: \"Q?\", zh: 问？}\n    keypad: {'1': nowhere}",
            "keypad:",
            "steps.extra.keypad.1",
            "no step named 'nowhere'",
        ),
        (
            'type: menu\n    prompt: {en: "Q?", zh: 问？}\n    options:\n'
            "      - {key: '1', goto: main, language: fr}",
            "language: fr",
            "steps.extra.options[0].language",
            "language 'fr' is not in `languages`",
        ),
        (
            "type: menu\n    prompt: {en: \"Q?\", zh: 问？}\n    options:\n      - {key: '1', goto: main}\n"
            "      - {key: '1', goto: hello}",
            "  extra:",
            "steps.extra",
            "menu keys must be unique",
        ),
        (
            'type: collect\n    slot: ok\n    kind: yes_no\n    prompt: {en: "Q?", zh: 问？}\n'
            '    confirm: {en: "Sure?", zh: 确定？}\n    next: main',
            'confirm: {en: "Sure',
            "steps.extra.confirm",
            "a yes/no answer needs no confirmation",
        ),
        (
            "type: branch\n    cases:\n      - if: {var: slots.x}\n        goto: main\n    else: main",
            "if: {var",
            "steps.extra.cases[0].if",
            "give exactly one of `equals` or `is_set`",
        ),
        (
            "type: branch\n    cases:\n      - if: {var: slot.x, equals: 1}\n"
            "        goto: main\n    else: main",
            "if: {var",
            "steps.extra.cases[0].if.var",
            "String should match pattern",
        ),
        ("type: set\n    values: {}\n    next: main", "values: {}", "steps.extra.values", "at least 1 item"),
        (
            "type: transfer\n    skill: support\n    reason: angry",
            "reason: angry",
            "steps.extra.reason",
            "Input should be",
        ),
    ],
)
def test_each_step_type_checks_its_references(tmp_path: Path, step_yaml, marker, key_path, message):
    text = MINI_FLOW + "  extra:\n    " + step_yaml + "\n"
    path = write_flow(tmp_path, text)
    with pytest.raises(ConfigErrors) as info:
        load_spec(path)
    expected_prefix = f"{path}:{line_of(text, marker)}: {key_path}: "
    lines = str(info.value).splitlines()
    assert any(line.startswith(expected_prefix) and message in line for line in lines), lines
