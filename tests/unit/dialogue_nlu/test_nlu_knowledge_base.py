"""Knowledge base search: paraphrases find their entry, unrelated questions find none, no language leaks."""

import pytest

from ivr.dialogue.knowledge import KnowledgeBase, KnowledgeEntry, same_language

E = KnowledgeEntry
ENTRIES = [
    E("hours", "en", ("What are your opening hours?", "When are you open?"), "We are open 8 to 8."),
    E(
        "password",
        "en",
        ("How do I reset my password?", "I forgot my password"),
        "Reset link.",
        ("password",),
    ),
    E("balance", "en", ("How do I check my balance?", "What is my account balance?"), "Say balance."),
    E("roaming", "en", ("How do I turn on roaming?", "Does my plan work abroad?"), "Text ROAM to 100."),
    E("bill_due", "en", ("When is my bill due?", "What is the payment due date?"), "On the 15th."),
    E("pay", "en", ("How can I pay my bill?", "What payment methods do you accept?"), "Card or bank."),
    E("data", "en", ("How much data do I have left?", "Check my data usage"), "Dial star 100."),
    E("sim", "en", ("My SIM card is not working", "How do I replace a lost SIM?"), "Visit a shop."),
    E("address", "en", ("How do I change my address?", "Update my billing address"), "Online."),
    E("zh_hours", "zh", ("你们的营业时间是什么？", "几点开门？"), "早八点到晚八点。"),
    E("zh_password", "zh", ("怎么重置密码？", "我忘记密码了"), "用重置链接。", ("密码",)),
    E("zh_balance", "zh", ("怎么查询话费余额？", "我的余额还有多少？"), "请说余额。"),
    E("zh_roaming", "zh", ("怎么开通国际漫游？", "出国能用吗？"), "发短信开通。"),
    E("zh_pay", "zh", ("怎么交话费？", "可以用什么方式缴费？"), "微信或支付宝。"),
    E("zh_data", "zh", ("还剩多少流量？", "查一下流量使用情况"), "发短信查询。"),
    E("zh_sim", "zh", ("SIM卡坏了怎么办？", "手机卡丢了怎么补办？"), "去营业厅。"),
    E("zh_address", "zh", ("怎么修改地址？", "更新账单地址"), "网上修改。"),
    E("zh_bill_due", "zh", ("账单什么时候到期？", "最晚什么时候缴费？"), "每月15号。"),
]


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase(ENTRIES)


@pytest.mark.parametrize(
    ("text", "language", "entry_id"),
    [
        ("um i cant remember my password how can i change it", "en", "password"),
        ("what time do you open", "en", "hours"),
        ("how much data is left on my plan", "en", "data"),
        ("i lost my sim card", "en", "sim"),
        ("i need to update my address", "en", "address"),
        ("我的话费余额还剩多少", "zh", "zh_balance"),
        ("密码忘了怎么办", "zh-CN", "zh_password"),
        ("你们几点开门", "cmn", "zh_hours"),
        ("手机卡丢了", "zh", "zh_sim"),
        ("流量还有多少", "zh", "zh_data"),
        ("我想改一下地址", "zh", "zh_address"),
    ],
)
def test_paraphrase_finds_the_right_entry(kb, text, language, entry_id):
    hit = kb.best(text, language)
    assert hit is not None and hit.entry.id == entry_id
    assert 0.45 <= hit.score <= 1.0


def test_exact_question_scores_one(kb):
    hit = kb.best("How do I turn on roaming?", "en")
    assert hit is not None and (hit.entry.id, hit.score) == ("roaming", 1.0)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("what's the weather like tomorrow", "en"),
        ("今天天气怎么样", "zh"),
        ("tell me a joke", "en"),
        ("", "en"),
    ],
)
def test_unrelated_question_finds_nothing(kb, text, language):
    assert kb.best(text, language) is None


def test_languages_do_not_leak(kb):
    assert kb.search("check my balance", "zh") == []
    assert kb.search("查询话费余额", "en") == []
    assert all(h.entry.language == "en" for h in kb.search("how do i pay my bill", "en-GB"))
    assert kb.search("how do i pay my bill", "fr") == []


def test_search_is_ranked_and_limited(kb):
    hits = kb.search("i want to pay my bill when is it due", "en", limit=2)
    assert [h.entry.id for h in hits] == ["pay", "bill_due"] or [h.entry.id for h in hits] == [
        "bill_due",
        "pay",
    ]
    assert hits[0].score >= hits[1].score


def test_keyword_lifts_an_entry(kb):
    hit = kb.best("password", "en")
    assert hit is not None and hit.entry.id == "password"


def test_with_entries_adds_and_replaces_without_touching_the_original(kb):
    published = E("refund_time", "en", ("How long does a refund take?",), "Five working days.")
    updated = E("hours", "en", ("When are you open?",), "Now open 7 to 9.")
    bigger = kb.with_entries([published, updated])
    assert bigger.best("how long will my refund take", "en").entry.id == "refund_time"
    assert bigger.best("when are you open", "en").entry.answer == "Now open 7 to 9."
    assert kb.best("how long will my refund take", "en") is None
    assert bigger.min_score == kb.min_score and len(bigger.entries) == len(ENTRIES) + 1


def test_language_prefixes():
    assert same_language("zh", "zh-CN") and same_language("cmn", "zh") and same_language("en", "en-US")
    assert not same_language("en", "zh") and not same_language("zh", "zhx")
