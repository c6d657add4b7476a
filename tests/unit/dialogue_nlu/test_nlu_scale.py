"""Matching stays correct at realistic sizes: 50 intents and 200 knowledge entries."""

from ivr.dialogue.intents import IntentMatcher, IntentSpec
from ivr.dialogue.knowledge import KnowledgeBase, KnowledgeEntry

THINGS = (
    "router",
    "invoice",
    "parcel",
    "ticket",
    "meter",
    "contract",
    "voucher",
    "account",
    "laptop",
    "printer",
)
TOPICS = [f"{a} {b}" for a in THINGS for b in ("delivery", "refund", "upgrade", "repair", "cancellation")]
WORDS_ZH = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"


def test_fifty_intents_pick_the_right_one():
    specs = [
        IntentSpec(f"i{n}", (f"i have a question about my {t}", f"help with {t}"))
        for n, t in enumerate(TOPICS)
    ]
    matcher = IntentMatcher(specs, "en")
    assert len(specs) == 50
    for n, topic in enumerate(TOPICS):
        found = matcher.match(f"um hello i need help with the {topic} please")
        assert found is not None and found.intent == f"i{n}"


def test_two_hundred_entries_find_the_right_one():
    entries = []
    for n, topic in enumerate(TOPICS):
        for lang, template in (
            ("en", "how do i arrange a {t} for my order"),
            ("en", "what is the status of my {t}"),
        ):
            entries.append(KnowledgeEntry(f"{lang}{len(entries)}", lang, (template.format(t=topic),), topic))
        a, b = WORDS_ZH[n % 22], WORDS_ZH[(n * 7 + 3) % 22]
        entries.append(KnowledgeEntry(f"zh{n}a", "zh", (f"{a}{b}号码怎么办理",), "办理"))
        entries.append(KnowledgeEntry(f"zh{n}b", "zh", (f"{b}{a}{n}的进度怎么查",), "查询"))
    kb = KnowledgeBase(entries)
    assert len(entries) == 200
    for topic in TOPICS:
        hit = kb.best(f"can you tell me the status of my {topic}", "en")
        assert hit is not None and hit.entry.questions == (f"what is the status of my {topic}",)
    assert kb.best("我想查一下甲丁0的进度", "zh").entry.id == "zh0b"
