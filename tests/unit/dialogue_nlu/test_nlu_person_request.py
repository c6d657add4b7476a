"""A request for a person read at word level (ivr.dialogue.person), and what it does to a turn of the flow."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ivr.bot import CallInfo, Transfer
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.person import verdict
from ivr.dialogue.registry import FlowRegistry
from ivr.routing import StaticRouter

DIALPLAN = Path(__file__).resolve().parents[3] / "dialplan"


@pytest.mark.parametrize(
    "text",
    [
        "could you pass me to one of your colleagues",  # a request that needs no person word after it
        "transfer me please",
        "put a supervisor on the line",  # a request verb before a person
        "is there anybody real there",
        "I'd rather explain it to a technician",
        "agent agent agent",  # nothing but person words and fillers
        "a real person please",
        "I don't want to talk to a machine",  # refusing a machine is asking for a person
        "I'm not talking to a robot",
        "I don't know, can I speak to someone",  # the negator belongs to the first clause
        "I don't need my bill, I need to talk to someone",
        "I already spoke to an agent and I want a supervisor",  # the second person word asks
        "Why won't you let me talk to a person",  # a rhetorical negation is a demand
        "why can't I speak to a human",
        "I need someone to help me fix my internet",  # help from a person: the work is not right after
        "I want someone to look at my bill with me",
    ],
)
def test_english_requests_for_a_person(text):
    assert verdict(text, "en") is True


@pytest.mark.parametrize(
    "text",
    [
        "I don't need an agent",  # the request is taken back
        "no need to transfer me",
        "I don't want to speak to anybody",
        "are you a real person?",  # a question about the bot
        "who am I speaking to",
        "In this real person, I'm talking to...",  # the recogniser's "is this a real person I'm talking to"
        "I'm an agent for a property company and my internet is down",  # what the caller is
        "I work as an insurance agent, how do I set up voicemail",
        "last time I had to talk to an agent because I was locked out",  # once had to, not now
        "do I have to talk to someone to change my address",  # a question about a procedure
        "the agent I spoke to yesterday said I'd get a refund",  # a mention in the past
        "can you send somebody out to fix the line",  # somebody to do work, not to talk to
        "I need someone to repair my router",
    ],
)
def test_english_mentions_refusals_and_questions_are_not_requests(text):
    assert verdict(text, "en") is False


@pytest.mark.parametrize(
    "text", ["I want to check my bill", "can I pay in person", "someone stole my phone", "我要查话费"]
)
def test_no_opinion_without_a_request_pattern(text):
    assert verdict(text, "zh" if "查" in text else "en") is None


@pytest.mark.parametrize(
    "text",
    [
        "yes, actually, my mobile agent being touched",  # misheard "my mobile data's been patchy"
        "my brother said his agent sorted it",
    ],
)
def test_someone_s_person_without_a_request_verb_is_a_mention(text):
    assert verdict(text, "en") is False


@pytest.mark.parametrize(
    "text",
    [
        "operator for billing please",
        "is an agent available",
        "someone I can talk to please",
        "I'd like a representative",
        "yes agent",
        "customer service agent for my bill",
        "I'd like your supervisor please",
        "can one of your agents help me",
    ],
)
def test_requests_without_a_verb_before_the_person_keep_no_opinion(text):
    assert verdict(text, "en") is not False  # the intent matcher's keyword still hands over


@pytest.mark.parametrize(
    "text",
    ["can I be connected to a member of staff", "I'd like to be transferred to an agent", "agent, please"],
)
def test_requests_without_a_direct_phrase_still_ask(text):
    assert verdict(text, "en") is True


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("叫你们领导来接电话", True),  # 叫 before a person
        ("有没有真人可以接电话", True),
        ("找个人来", True),  # a request that needs no person word
        ("我不想跟机器说话", True),  # refusing a machine
        ("人工人工", True),
        ("为什么不让我找人工", True),  # a rhetorical negation is a demand
        ("不用转人工", False),  # negated
        ("我不需要人工", False),  # 要 inside 不需要 is not a request verb
        ("你是真人还是机器", False),  # a question about the bot
        ("上次那个客服人很好", False),  # a mention in the past
        ("找个人来修一下宽带", False),  # somebody to do work, not to talk to
        ("我是在跟机器人说话吗", False),  # a question about the bot
        ("我想查话费", None),
    ],
)
def test_chinese_requests_and_mentions(text, asks):
    assert verdict(text, "zh") is asks


@pytest.fixture(scope="module")
def flow():
    return FlowRegistry.load(DIALPLAN).current().flow_for("hotline")


def bot(flow, language="en"):
    b = FlowBot(flow, router=StaticRouter("support"), now=lambda: datetime(2024, 5, 6, 10, tzinfo=UTC))
    b.start(CallInfo("uuid-p", "5551234", None, language))
    return b


@pytest.mark.parametrize(
    ("language", "said", "intent"),
    [
        ("en", "I don't need an agent, just tell me my balance", "balance"),
        ("zh", "不用转人工，帮我查一下话费就行", "balance"),
    ],
)
def test_a_refused_person_leaves_the_request_it_came_with(flow, language, said, intent):
    b = bot(flow, language)
    actions = b.on_transcript(said, 0.9)
    assert not any(isinstance(a, Transfer) for a in actions)
    assert b.intent == intent and b.step_name == "balance"


@pytest.mark.parametrize(("language", "said"), [("en", "are you a real person?"), ("zh", "你是真人还是机器")])
def test_a_question_about_the_bot_is_not_handed_over(flow, language, said):
    actions = bot(flow, language).on_transcript(said, 0.9)
    assert not any(isinstance(a, Transfer) for a in actions)


@pytest.mark.parametrize(
    ("language", "said"), [("en", "can you just connect me to somebody"), ("zh", "叫你们领导来接电话")]
)
def test_a_request_without_the_keywords_is_handed_over(flow, language, said):
    actions = bot(flow, language).on_transcript(said, 0.9)
    assert isinstance(actions[-1], Transfer) and actions[-1].reason == "caller-request"


@pytest.mark.parametrize(
    "text",
    [
        "我现在是在跟真人说话吗",  # a question about the bot
        "你们人工几点下班",  # when the agents work: the opening hours
        "人工客服什么时候上班",
    ],
)
def test_chinese_questions_about_the_bot_or_the_agents_hours_are_not_requests(text):
    assert verdict(text, "zh") is False


def test_a_chinese_request_beside_an_hours_question_still_asks():
    assert verdict("我要转人工，你们几点下班", "zh") is True


def test_chinese_people_of_a_department_are_people_to_talk_to():
    assert verdict("我想跟你们技术部门的人聊一下", "zh") is True
    assert verdict("你们技术部门的人昨天来过了", "zh") is not True  # in the past: a mention


def test_being_put_through_before_is_a_mention():
    assert verdict("I was put through to the billing team and got cut off", "en") is not True


@pytest.mark.parametrize(
    "text",
    [
        "is this a real person or a machine?",
        "in this real person, or machine.",  # the question's "is this" misheard, a comma in the middle
        "a real person or a recording",
        "am I talking to a bot or a human",
    ],
)
def test_a_person_or_a_machine_is_a_question_about_the_bot(text):
    assert verdict(text, "en") is False


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("I'm not talking to a machine", True),
        ("not a robot please", True),
        ("I won't deal with a computer", True),
        ("I'm not answering questions from a machine", True),
        ("I want a real person, not a machine", True),
        ("I'm not very good with the machine, I just want to know my bill", None),  # no refusal
        ("agent, or anyone really", True),  # an alternative of people is still a request
    ],
)
def test_a_machine_is_refused_by_a_negator_with_a_verb_of_talking_or_wanting(text, asks):
    assert verdict(text, "en") is asks


@pytest.mark.parametrize(
    "text",
    [
        "the agent was rude to me",
        "the operator said I'd get a call back",
        "The Agent, I spoke to last week and my broadband would be fixed",  # a comma after the subject
        "the person on the phone hung up on me",
    ],
)
def test_the_person_opening_a_sentence_about_what_they_did_is_a_mention(text):
    assert verdict(text, "en") is False


@pytest.mark.parametrize(
    "text",
    [
        "the manager please",
        "the manager, now",
        "the supervisor, I want to speak to him",
        "the agent",
        "The operator, it's urgent",
        "The manager. This is taking forever",
    ],
)
def test_the_person_asked_for_with_the_is_still_a_request(text):
    assert verdict(text, "en") is True


def test_speaking_to_one_after_hearing_the_bot_is_a_machine_asks():
    assert verdict("ok then, I'd like to speak to one please", "en") is True


@pytest.mark.parametrize(
    "text",
    [
        "can I not just speak to someone?",  # a negated question that demands
        "can't you put me through to somebody",
        "Not give me a human.",  # the recogniser's "just give me a human"
        "can I get through to someone",
        "can you pop me through to an advisor",
        "can I not speak to a robot",  # a machine refused in a demand stays refused
    ],
)
def test_demands_and_british_requests_ask(text):
    assert verdict(text, "en") is True


@pytest.mark.parametrize(
    "text",
    [
        "I can't get through to my mum's phone",
        "how do I get through to my voicemail",
        "I don't want to speak to a person",
        "not an agent please",
        "can you not transfer me again",  # British for "please don't"
        "No no, not transfer me, I want to pay my bill",  # a "not" after "no" is meant
        "Not speak to a person, I just want my balance",
    ],
)
def test_getting_through_to_somebody_else_and_real_negations_do_not_ask(text):
    assert verdict(text, "en") is not True


TEAMS = ("technical people", "billing department", "sales team", "billing", "sales")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can I get through to billing", True),  # after "to": somebody to talk to
        ("I'd like to talk with sales", True),
        ("I need the sales team", True),  # a team right after a request verb
        ("billing department please", True),  # nothing but the team and fillers
        ("I need billing information", None),  # a topic word, not a team
        ("billing", None),  # said alone, the flow's intents answer it
        ("the billing department sent me a letter", None),
        ("I need to check whether the billing department got my payment", None),
        ("I need help with billing", None),  # "with" only after a verb of talking
        ("please send it to the billing address", None),  # the name does not end its phrase
    ],
)
def test_a_department_of_the_flow_is_somebody_to_talk_to_only_where_it_is_named_so(text, expected):
    assert verdict(text, "en", TEAMS) is expected


def test_without_the_flow_s_departments_a_team_is_no_person():
    assert verdict("can I get through to billing", "en") is None
