"""Built-in sentences (English and Chinese) and the list of every fixed prompt for warming the TTS cache.

A flow may override any message or reason phrase per language; for a language other than en/zh the
flow must give them all (the loader reports each one missing). Templates use `{name}` placeholders that
ivr.dialogue.templates fills; a sentence with a placeholder is dynamic and is not pre-synthesised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr.dialogue.registry import FlowSet
    from ivr.dialogue.schema import FlowSpec

BUILTIN_MESSAGES: dict[str, dict[str, str]] = {
    "no_match": {"en": "Sorry, I didn't understand that.", "zh": "抱歉，我没有听懂。"},
    "no_input": {"en": "Sorry, I didn't hear anything.", "zh": "抱歉，我没有听到您的声音。"},
    "help": {
        "en": "You can tell me in a few words what you are calling about, or press 0 for an agent.",
        "zh": "您可以简单说一下您来电的原因，或者按0转人工服务。",
    },
    "goodbye": {"en": "Thank you for calling. Goodbye.", "zh": "感谢您的来电，再见。"},
    "anything_else": {"en": "Is there anything else I can help you with?", "zh": "还有什么可以帮您的吗？"},
    "say_yes_or_no": {
        "en": "Please say yes or no, or press 1 for yes and 2 for no.",
        "zh": "请说是或不是，或者按1确认，按2否认。",
    },
    "transfer_notice": {
        "en": "{reason} I'm connecting you to {skill}.",
        "zh": "{reason}我现在为您转接{skill}。",
    },
    "wait_position": {"en": "You are number {position} in line.", "zh": "您前面还有{ahead}位客户。"},
    "wait_time": {"en": "The expected wait is about {wait}.", "zh": "预计等待时间约为{wait}。"},
    "wait_short": {"en": "Someone will be with you in a moment.", "zh": "马上为您接通。"},
    "callback_offer": {
        "en": "Press 1 to be called back, or stay on the line.",
        "zh": "如需回电请按1，或者请继续等待。",
    },
    "callback_accepted": {
        "en": "Thank you. We will call you back as soon as possible. Goodbye.",
        "zh": "谢谢，我们会尽快给您回电。再见。",
    },
    "hold": {"en": "Please hold.", "zh": "请稍候。"},
    "closed": {"en": "Our agents are not available at the moment.", "zh": "我们的人工客服现在不在服务时间。"},
    "closed_callback_offer": {
        "en": "Press 1 and we will call you back when we open, or call again during opening hours.",
        "zh": "请按1，我们会在上班后给您回电，或者请在服务时间内再来电。",
    },
    "closed_goodbye": {
        "en": "Please call again during our opening hours. Goodbye.",
        "zh": "请在服务时间内再来电。再见。",
    },
    # Warm hand-off: spoken to the agent only (ivr.dialogue.briefing fills it, at most ~6 s).
    "briefing": {
        "en": "{skill}, {language_name}{vip}. {topic}{details}. {mood}",
        "zh": "{skill}，{language_name}{vip}。{topic}{details}。{mood}",
    },
    "briefing_keys": {
        "en": "Press 1 to take the call, 2 to send it back to the bot, 3 to pass it on.",
        "zh": "接听请按1，退回机器人请按2，转给其他同事请按3。",
    },
    # Back from the agent: the first thing the caller hears when the bot takes them up again.
    "back_from_agent": {
        "en": "Our agent asked me to help you finish with {topic}.",
        "zh": "我们的客服请我继续帮您办理{topic}。",
    },
    "back_declined": {
        "en": "The agent could not take your call; let me try to help you myself.",
        "zh": "客服暂时无法接听您的电话，我先来帮您处理。",
    },
    "no_match_again": {"en": "I'm still not sure what you need.", "zh": "抱歉，我还是没能明白。"},
    "examples": {"en": "For example, you can say {examples}.", "zh": "例如您可以说：{examples}。"},
    "keypad_digits": {
        "en": "You can also key it in on your phone's keypad, then press hash.",
        "zh": "您也可以用电话按键输入，然后按井号键。",
    },
    "confirm_intent": {
        "en": "You'd like help with {label}, is that right?",
        "zh": "您是要办理{label}，对吗？",
    },
    "choose_intent": {"en": "Is this about {first}, or {second}?", "zh": "请问是关于{first}，还是{second}？"},
    "not_that": {"en": "Sorry about that.", "zh": "不好意思。"},
    "earlier_topic": {"en": "the issue you called about before", "zh": "上次的问题"},  # {caller.last_topic}
    "not_what_asked": {  # "no, that's not what I asked" at "anything else?"
        "en": "Sorry about that. Please ask me in other words, or say agent to talk to a person.",
        "zh": "不好意思。请您换个说法再问一次，或者说“人工”转接人工客服。",
    },
    "welcome": {"en": "You're welcome.", "zh": "不客气。"},  # to thanks alone, before the question again
    "hello": {"en": "Hello.", "zh": "您好。"},  # to a greeting alone, before the question again
    "go_on_digits": {"en": "Go on.", "zh": "请继续。"},  # to the first digits of a number said in pieces
    # to a number longer than the collect step takes, before its help
    "too_many_digits": {
        "en": "I heard {count} digits, that is too many.",
        "zh": "我听到了{count}位数字，位数太多了。",
    },
    # to a mild complaint that names nothing to do, before the question again
    "sorry_to_hear": {"en": "I'm sorry to hear that.", "zh": "很抱歉给您带来不便。"},
    "wait": {"en": "Sure, take your time.", "zh": "好的，您慢慢来，不着急。"},  # "hang on" at a collect step
    "go_on": {  # "one more thing" or "yes" at a question that can end the call ("anything else?")
        "en": "Of course. What else can I help you with?",
        "zh": "好的，请问还有什么可以帮您？",
    },
    "missing": {  # "I don't have my account number" at a collect step
        "en": "No problem. Say it when you have found it, or say agent to talk to a person.",
        "zh": "没关系。您可以找到后再告诉我，也可以说“人工”转接人工客服。",
    },
}

_OF_COURSE = {"en": "Of course.", "zh": "好的，"}
_TO_HELP_BETTER = {"en": "To help you better,", "zh": "为了更好地帮助您，"}
BUILTIN_REASONS: dict[str, dict[str, str]] = {
    **dict.fromkeys(("caller-request", "keypad-0"), _OF_COURSE),
    **dict.fromkeys(("no-match", "no-input", "repeated-request", "sensitive", "flow"), _TO_HELP_BETTER),
    "sentiment": {
        "en": "I'm sorry about this. Let me get you to someone who can help right away.",
        "zh": "非常抱歉给您带来不便，我马上为您找能帮您解决的同事。",
    },
    "vip": {"en": "Welcome, valued customer.", "zh": "尊贵的客户您好，"},
    "flow-error": {"en": "Sorry, something went wrong.", "zh": "抱歉，系统出现问题，"},
}

# Phrases of the intents that work in every step (a flow's own examples are added to these).
BUILTIN_GLOBAL_INTENTS: dict[str, dict[str, list[str]]] = {
    "agent": {
        "en": [
            "I want to talk to an agent",
            "let me speak to a human",
            "operator",
            "a real person please",
            "customer service representative",
            "can I speak to someone",
            "put me through to somebody",
            "I need to talk to a human being",
            "connect me to customer service",
            "I need to speak to a member of staff",
            "let me speak to a supervisor",
        ],
        "zh": ["人工", "转人工", "人工服务", "我要找客服", "我要和真人说话", "请帮我接工作人员"],
    },
    "repeat": {
        "en": [
            "repeat that",
            "say that again",
            "pardon",
            "can you repeat",
            "what did you say",
            "come again",
            "sorry I didn't catch that",
            "what was that again",
            "what was the number again",
            "can you say the last part again",
        ],
        "zh": ["再说一遍", "重复一下", "没听清", "你说什么", "刚才说的什么"],
    },
    "help": {
        "en": [
            "help",
            "what can I say",
            "what are my options",
            "what am I supposed to say",
            "what should I say",
        ],
        "zh": ["帮助", "我能说什么", "有什么选项", "我该说什么", "我应该说什么"],
    },
    "goodbye": {
        "en": ["goodbye", "bye", "that's all thank you", "nothing else"],
        "zh": ["再见", "拜拜", "没有了谢谢", "就这样吧"],
    },
}
GLOBAL_KEYWORDS: dict[str, dict[str, list[str]]] = {
    "agent": {
        "en": [
            *("agent", "human", "operator", "representative", "person", "real person", "live agent"),
            *("speak to someone", "talk to someone", "speak to somebody", "talk to somebody"),
            *("customer service", "customer services"),
        ],
        "zh": ["人工", "转人工", "客服", "真人"],
    },
    "repeat": {
        "zh": ["再说一遍", "再说一次", "没听清"]
    },  # (English: by its examples; "say it again" is in requests)
    "goodbye": {
        "en": [
            *("goodbye", "bye", "cheerio", "see ya", "ta ra", "ill let you go", "better let you go"),
            *("best let you go", "better get going", "best get going", "better be going", "best be going"),
        ],
        "zh": ["再见", "拜拜", "回头见"],
    },
}

# A request to hear the bot again by meaning alone needs one of these: "the same problem again" and "oh
# sorry, hang on" are near "say that again" and "sorry I didn't catch that" by meaning, and ask nothing.
REPEAT_CUES: dict[str, list[str]] = {
    "en": [
        *("repeat", "say", "said", "saying", "pardon", "catch", "caught", "hear", "heard", "missed"),
        *("what was", "come again", "once more", "one more time", "what", "whats", "get that", "didnt get"),
        *("follow", "understand", "go over", "run that", "huh", "excuse me"),
    ],
    "zh": ["再", "重复", "没听", "什么", "啥", "清楚", "重新", "重说", "重讲"],
}
# "spot on" as a hint too: without it tiny.en heard "spot on" to a read-back as "fuck on", a strongly
# negative turn (dev end to end at the collect, network and returning-caller steps: false transfers 8 -> 5)
YES_NO_WORDS: dict[str, list[str]] = {
    "en": ["yes", "yeah", "correct", "that's right", "spot on", "no", "nope", "wrong"],
    "zh": ["是", "对", "是的", "没错", "不是", "不对", "错了"],
}
DIGIT_WORDS: dict[str, list[str]] = {
    "en": ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "zh": ["零", "一", "幺", "二", "两", "三", "四", "五", "六", "七", "八", "九"],
}


def message(spec: FlowSpec, key: str, language: str) -> str | None:
    """The flow's message for `key` in `language`, or the built-in one; None when neither exists."""
    own = spec.messages.get(key, {})
    return own.get(language) or BUILTIN_MESSAGES.get(key, {}).get(language)


def reason_phrase(spec: FlowSpec, reason: str, language: str) -> str | None:
    """The spoken phrase for a transfer reason, or None when the language has none."""
    own = spec.reasons.get(reason, {})
    return own.get(language) or BUILTIN_REASONS.get(reason, {}).get(language)


def static_prompts(flowset: FlowSet) -> list[tuple[str, str]]:
    """Every fixed (text, language) sentence of every flow, for `ivr prompts warm`; no duplicates."""
    seen: dict[tuple[str, str], None] = {}
    for flow in flowset.flows.values():
        for pair in _flow_sentences(flow.spec):
            if "{" not in pair[0]:
                seen.setdefault(pair, None)
    return list(seen)


def _flow_sentences(spec: FlowSpec) -> list[tuple[str, str]]:
    """(text, language) of every prompt, message and answer of one flow."""
    out: list[tuple[str, str]] = []

    def add(texts: dict[str, str] | None) -> None:
        for language, text in (texts or {}).items():
            if language in spec.languages:
                out.append((text, language))

    for step in spec.steps.values():
        for attr in ("text", "prompt", "reprompt", "help", "choices"):
            add(getattr(step, attr, None))
    for entry in spec.knowledge:
        add(entry.answer)
    for key in BUILTIN_MESSAGES.keys() | spec.messages.keys():
        add({lang: m for lang in spec.languages if (m := message(spec, key, lang))})
    return out
