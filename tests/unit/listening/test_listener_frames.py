"""The Listener as a pure object: 20 ms frames in, events and decode requests out; no socket, no clock,
no event loop (decode results are handed back by the test)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from asr.endpointer import NoInput, SpeechStarted
from asr.engine import Partial, Transcript
from ivr.fakepbx.audiosocket import load_wav_as_slin
from ivr.listening import BargeIn, Listener, PartialHeard, Prompt, Utterance, UtteranceReady
from ivr.listening.events import Cancel, Decode, Transcribed
from tests.support.calls import ALLISON
from tests.unit.listening.engines import AT, PARAMS, CountingEngine, Expecting, listener

VOICED, SILENT = b"v" * 320, b"s" * 320  # 20 ms at 8 kHz; the fake engine's text is the audio it heard


class Caller:
    """Feeds runs of frames to a Listener, with the prompt the bot is playing; stops it on BargeIn."""

    def __init__(self, ear: Listener, prompt: Prompt = Prompt.SILENT):
        self.ear, self.prompt = ear, prompt
        self.out: list = []

    def say(self, count: int, voiced: bool = True) -> list:
        """`count` frames of speech (or silence); returns what the listener answered to them."""
        out = []
        for _ in range(count):
            out += self.ear.feed(VOICED if voiced else SILENT, voiced, at=AT, prompt=self.prompt)
            if any(isinstance(e, BargeIn) for e in out):
                self.prompt = Prompt.SILENT  # what the conversation does: the player stops the prompt
        self.out += out
        return out

    def pause(self, count: int) -> list:
        return self.say(count, voiced=False)

    def of(self, kind: type) -> list:
        return [e for e in self.out if isinstance(e, kind)]


def transcript(text: str) -> Transcript:
    return Transcript(text, 0.9, (), "fake", 1.0, 0.1)


# ----- barge-in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prompt_after", "reaction"), [(0, 0.0), (50, 0.02)])
def test_barge_in_reaction_counts_from_the_later_of_speech_and_prompt_start(prompt_after, reaction):
    caller = Caller(listener(CountingEngine()))
    if prompt_after == 0:
        caller.prompt = Prompt.INTERRUPTIBLE
    caller.say(max(prompt_after, 1))
    if prompt_after:
        assert caller.of(BargeIn) == []  # nothing to interrupt yet
        caller.prompt = Prompt.INTERRUPTIBLE  # a reply starts 1 s into the caller's speech
    caller.say(20)
    [barge_in] = caller.of(BargeIn)
    # Before: a late prompt counted the whole second of speech before it (0.8 s beyond min_barge_in).
    assert barge_in.reaction == pytest.approx(reaction, abs=1e-6)
    assert caller.prompt is Prompt.SILENT


def test_barge_in_comes_on_the_frame_that_completes_min_barge_in_of_speech():
    caller = Caller(listener(CountingEngine(), min_barge_in=0.3), Prompt.INTERRUPTIBLE)
    caller.pause(10)
    assert caller.say(14) and caller.of(BargeIn) == []  # 0.28 s of speech
    [barge_in] = caller.say(1)
    assert barge_in == BargeIn(at=pytest.approx(0.5), reaction=0.0)
    caller.prompt = Prompt.INTERRUPTIBLE  # the next sentence: the same utterance does not barge in twice
    assert caller.say(50) == []


def test_a_fixed_prompt_or_barge_in_off_is_never_interrupted():
    caller = Caller(listener(CountingEngine()), Prompt.FIXED)  # a transfer notice
    caller.say(50)
    assert caller.of(SpeechStarted) and caller.of(BargeIn) == []
    off = Caller(listener(CountingEngine(), barge_in=False), Prompt.INTERRUPTIBLE)
    off.say(50)
    assert off.of(SpeechStarted) and off.of(BargeIn) == []


# ----- no input --------------------------------------------------------------------------------------


def test_no_input_fires_once_after_listen_and_not_while_the_bot_speaks():
    ear = listener(CountingEngine())
    caller = Caller(ear)
    ear.pause_no_input()
    assert caller.pause(400) == []  # 8 s of silence while the bot talks
    ear.listen()
    caller.pause(299)
    assert caller.of(NoInput) == []
    [no_input] = caller.pause(1)
    assert no_input == NoInput(at=pytest.approx(14.0))
    assert caller.pause(400) == []  # once per listen()


def test_speech_in_time_satisfies_the_no_input_timer():
    ear = listener(CountingEngine())
    caller = Caller(ear)
    ear.listen()
    caller.pause(200)
    caller.say(20)
    caller.pause(400)
    assert caller.of(NoInput) == [] and len(caller.of(UtteranceReady)) == 1


# ----- a batch engine (Whisper): speculation ------------------------------------------------------------


def speculated(engine: CountingEngine) -> tuple[Caller, Decode]:
    """0.3 s of speech after 0.1 s of silence, then the 0.2 s pause that announces a possible end."""
    caller = Caller(listener(engine))
    caller.pause(5)
    caller.say(15)
    assert caller.pause(9) == []
    [decode] = caller.pause(1)
    assert isinstance(decode, Decode) and decode.finish and decode.close
    # The utterance so far: pre-roll, speech and the pause, on a fresh recogniser of its own.
    assert decode.audio == SILENT * 5 + VOICED * 15 + SILENT * 10 and decode.stream is engine.streams[-1]
    return caller, decode


def test_a_speculation_that_finished_before_the_turn_ended_is_the_transcript():
    engine = CountingEngine()
    caller, decode = speculated(engine)
    assert caller.ear.decoded(decode, transcript("hello")) == []  # kept until the dialogue asks
    [ready] = caller.pause(20)
    assert isinstance(ready, UtteranceReady) and ready.utterance.speculation is not None
    [answer] = caller.ear.transcribe(ready.utterance, None, None)
    assert answer == Transcribed(ready.utterance, transcript("hello"))
    stats = caller.ear.speculation
    assert (stats.started, stats.used, stats.discarded) == (1, 1, 0)


def test_a_speculation_still_running_answers_when_it_finishes():
    caller, decode = speculated(CountingEngine())
    [ready] = caller.pause(20)
    assert caller.ear.transcribe(ready.utterance, None, None) == []  # nothing to start: it runs already
    assert caller.ear.decoded(decode, transcript("hello")) == [
        Transcribed(ready.utterance, transcript("hello"))
    ]


def test_speech_after_the_pause_cancels_the_speculation_and_a_changed_grammar_drops_the_next():
    engine = CountingEngine()
    caller, decode = speculated(engine)
    assert caller.say(1)[0] == Cancel(decode)
    caller.say(9)
    [again, ready] = caller.pause(30)  # the next pause speculates again, and the turn ends where it guessed
    utterance: Utterance = ready.utterance
    assert utterance.speculation is not None and utterance.speculation.decode is again
    assert utterance.duration == pytest.approx(0.7)  # 0.3 s, the 0.2 s pause, 0.2 s
    assert caller.ear.decoded(decode, transcript("late")) == []  # a result that came anyway is dropped
    # The bot moved on to a closed question before hearing it: decoded anew, with that grammar.
    [cancel, final] = caller.ear.transcribe(utterance, ["yes"], ["yes"])
    assert cancel == Cancel(again) and final.finish and final.close
    # Only the first 0.3 s of the 0.6 s trailing silence is decoded.
    assert final.audio == SILENT * 5 + VOICED * 15 + SILENT * 10 + VOICED * 10 + SILENT * 15
    assert (final.stream.grammar, final.stream.hints) == (["yes"], ["yes"])
    assert caller.ear.decoded(final, transcript("yes")) == [Transcribed(utterance, transcript("yes"))]
    stats = caller.ear.speculation
    assert (stats.started, stats.used, stats.discarded) == (2, 0, 2)


def test_the_speculation_uses_the_grammar_and_hints_of_its_moment():
    expecting = Expecting()
    expecting.grammar, expecting.hints = ["yes", "no"], ["yes"]
    caller = Caller(listener(CountingEngine(), expecting))
    caller.say(15)
    [decode] = caller.pause(10)
    assert (decode.stream.grammar, decode.stream.hints) == (["yes", "no"], ("yes",))
    [ready] = caller.pause(20)
    # The bot still expects the same: the speculation stands.
    assert caller.ear.transcribe(ready.utterance, ["yes", "no"], ["yes"]) == []


def test_no_recogniser_no_speculation():
    caller = Caller(listener(CountingEngine(), recognise=False))
    caller.say(15)
    caller.pause(30)
    assert [type(e) for e in caller.out] == [SpeechStarted, UtteranceReady]
    assert caller.ear.speculation.started == 0


# ----- a streaming engine (Vosk): fed while the caller speaks -------------------------------------------


def test_a_streaming_recogniser_is_fed_in_batches_one_at_a_time_and_kept_for_the_next_turn():
    engine = CountingEngine(streaming=True)
    caller = Caller(listener(engine))
    caller.pause(5)
    [started, feed] = caller.say(5)  # min_speech: the recogniser opens, and pre-roll + speech make a batch
    [stream] = engine.streams
    assert isinstance(started, SpeechStarted) and feed.stream is stream
    assert feed.audio == SILENT * 5 + VOICED * 5 and not feed.finish and not feed.close
    assert caller.say(20) == []  # one feed in flight per call
    [partial, more] = caller.ear.decoded(feed, Partial("hel"))
    assert partial == PartialHeard("hel") and more.audio == VOICED * 20 and more.stream is stream
    assert caller.pause(20) == []
    # The caller paused: a short batch goes now, and only 0.3 s of the pause (all Kaldi needs to settle).
    [last] = caller.ear.decoded(more, None)
    assert last.audio == SILENT * 15
    [ready] = caller.pause(10)
    assert caller.ear.decoded(last, Partial("")) == []  # the turn is over: nothing more to feed
    utterance = ready.utterance
    assert utterance.stream is stream and utterance.fed == len(SILENT * 5 + VOICED * 25 + SILENT * 15)
    [final] = caller.ear.transcribe(utterance, None, None)
    assert final.stream is stream and final.finish and not final.close
    assert final.audio == b""  # everything was fed while the caller spoke
    assert caller.ear.decoded(final, transcript("hello")) == [Transcribed(utterance, transcript("hello"))]
    caller.say(5)
    assert engine.streams == [stream] and not stream.closed  # the next utterance reuses it
    caller.ear.close()
    assert stream.closed


def test_a_failed_final_decode_fails_that_transcription_and_drops_the_recogniser():
    engine = CountingEngine(streaming=True)
    caller = Caller(listener(engine))
    caller.say(5)
    caller.ear.decoded(caller.say(3)[0], None)
    [ready] = [e for e in caller.pause(30) if isinstance(e, UtteranceReady)]
    [final] = caller.ear.transcribe(ready.utterance, None, None)
    [failed] = caller.ear.decoded(final, RuntimeError("kaldi"))
    assert failed.utterance is ready.utterance and str(failed.error) == "kaldi"
    assert engine.streams[0].closed


# ----- real caller audio through the VAD ----------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000])
def test_real_speech_through_the_vad_starts_ends_and_barges_in(rate):
    speech = load_wav_as_slin(ALLISON / "hello-world.wav", rate)
    ear = listener(CountingEngine(), endpointing=replace(PARAMS, speculate_after=0))
    silence = bytes(rate // 50 * 2)
    out: list = []
    prompt = Prompt.INTERRUPTIBLE
    audio = silence * 25 + speech + silence * 50
    for i in range(0, len(audio), len(silence)):  # AudioSocket's 20 ms messages, at the call's rate
        out += ear.hear(audio[i : i + len(silence)], rate, at=AT, prompt=prompt)
        prompt = Prompt.SILENT if any(isinstance(e, BargeIn) for e in out) else prompt
    kinds = [type(e) for e in out]
    assert kinds == [SpeechStarted, BargeIn, UtteranceReady], kinds
    started, barge_in, ready = out
    assert 0.5 <= started.at < 0.5 + 0.3  # the recording starts with a short silence
    assert barge_in.at == pytest.approx(started.at + 0.2) and barge_in.reaction == 0.0
    assert 0.5 < ready.utterance.duration < len(speech) / rate / 2
