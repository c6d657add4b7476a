"""Caller memory: what the bot learned on one call is what the next call of that number starts from."""

from __future__ import annotations

from dataclasses import dataclass, field

from ivr.bot import CallInfo, Hangup
from ivr.fakepbx.audiosocket import until_the_bot_ends
from tests.support.calls import pbx_for


@dataclass
class RememberingBot:
    """Hangs up at once and reports a fixed intent and language as its call metadata."""

    intent: str
    language: str
    seen: list[CallInfo] = field(default_factory=list)

    def start(self, call: CallInfo):
        self.seen.append(call)
        return [Hangup("Goodbye.", language="en")]

    def on_transcript(self, text, confidence, alternatives=()):
        return []

    def on_dtmf(self, digit):
        return []

    def on_no_input(self):
        return []

    def grammar(self):
        return None

    def hints(self):
        return None

    def call_meta(self) -> dict:
        return {"intent": self.intent, "language": self.language}


async def test_second_call_sees_the_first_calls_intent_language_and_outcome(running_service):
    bots = [RememberingBot("refund", "zh"), RememberingBot("balance", "en")]
    made = iter(bots)
    async with running_service(bot_for_call=lambda call: next(made)) as service:
        pbx = pbx_for(service)
        first = await pbx.call([until_the_bot_ends()], caller_number="5550001")
        await service.store.wait_flushed()
        await pbx.call([until_the_bot_ends()], caller_number="5550001")

    assert bots[0].seen[0].history == ()
    history = bots[1].seen[0].history
    assert [h.call_uuid for h in history] == [first.variables["IVR_CALL_UUID"]]
    assert history[0].intent == "refund"
    assert history[0].language == "zh"
    assert history[0].outcome == "contained"
    assert history[0].open_issue is False


async def test_other_numbers_and_anonymous_callers_have_no_history(running_service):
    bots = [RememberingBot("refund", "en") for _ in range(3)]
    made = iter(bots)
    async with running_service(bot_for_call=lambda call: next(made)) as service:
        pbx = pbx_for(service)
        await pbx.call([until_the_bot_ends()], caller_number="5550001")
        await service.store.wait_flushed()
        await pbx.call([until_the_bot_ends()], caller_number="5550002")
        await pbx.call([until_the_bot_ends()], caller_number="anonymous")

    assert bots[1].seen[0].history == ()
    assert bots[2].seen[0].history == ()
