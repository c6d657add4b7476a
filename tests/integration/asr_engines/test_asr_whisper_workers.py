"""Whisper in worker processes: sized windows, hints in the prompt, a bounded queue, a worker that dies."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from faster_whisper import WhisperModel

from asr.models import bundled_whisper_model
from asr.wer import word_error_rate
from asr.whisper_decode import HINT_TOKEN_BUDGET, WindowDecoder
from asr.whisper_engine import WhisperEngine
from tests.support.corpus import SOUNDS_DIR, load_wav

PASSWORD = "Please enter your password followed by the pound key."


@pytest.fixture(scope="module")
def engine():
    """One worker process, so requests queue behind each other."""
    loaded = WhisperEngine(workers=1)
    yield loaded
    loaded.close()


async def transcribe(engine: WhisperEngine, name: str, **options):
    pcm, rate = load_wav(SOUNDS_DIR / f"{name}.wav")
    stream = engine.new_stream(rate, **options)
    try:
        await stream.feed(pcm)
        return await stream.finish()
    finally:
        stream.close()


async def test_the_decode_runs_in_a_worker_process_and_reports_its_cost(engine: WhisperEngine) -> None:
    transcript = await transcribe(engine, "agent-pass")
    assert word_error_rate(PASSWORD, transcript.text) == 0.0
    assert engine.pool is not None and os.getpid() not in engine.pool.worker_pids()
    assert transcript.cpu_seconds > 0 and transcript.decode_seconds > 0
    assert 0.5 < transcript.confidence <= 1.0
    # Word times are spread over the voiced part of the audio, in order.
    assert [w.text for w in transcript.words][:2] == ["Please", "enter"]
    assert 0 <= transcript.words[0].start < transcript.words[-1].end <= transcript.audio_seconds


async def test_requests_queue_for_the_worker_and_every_one_is_counted(engine: WhisperEngine) -> None:
    load = engine.load
    waits_before = len(load.waits)
    names = ["agent-pass", "hello-world", "vm-goodbye", "agent-pass"]
    transcripts = await asyncio.gather(*(transcribe(engine, n) for n in names))
    assert word_error_rate("hello world", transcripts[1].text) == 0.0
    assert transcripts[0].text == transcripts[3].text
    # One worker: the last one taken waited at least for whole decodes ahead of it.
    assert max(t.queue_seconds for t in transcripts) >= min(t.decode_seconds for t in transcripts)
    assert load.pending == 0 and len(load.waits) == waits_before + 4
    assert load.decode_average > 0


async def test_a_request_cancelled_while_queued_leaves_the_counts_straight(engine: WhisperEngine) -> None:
    first = asyncio.ensure_future(transcribe(engine, "agent-pass"))
    queued = asyncio.ensure_future(transcribe(engine, "agent-pass"))
    await asyncio.sleep(0)  # both submitted
    assert engine.load.pending == 2
    queued.cancel()  # a discarded speculation
    assert word_error_rate(PASSWORD, (await first).text) == 0.0
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert engine.load.pending == 0


async def test_hints_prompt_the_decoder_within_the_budget(engine: WhisperEngine) -> None:
    model = WhisperModel(str(bundled_whisper_model()), device="cpu", compute_type="int8", cpu_threads=1)
    decoder = WindowDecoder(model)
    plain, hinted = decoder.prompt(), decoder.prompt(["password", "pound key"])
    tok = decoder._tokenizer
    assert plain == [*tok.sot_sequence, tok.no_timestamps]
    assert hinted[0] == tok.sot_prev and hinted[-len(plain) :] == plain
    assert tok.decode(hinted[1 : -len(plain)]) == " Password, pound key."  # one sentence
    flood = decoder.prompt([f"product name number {i}" for i in range(500)])
    assert len(flood) - len(plain) - 1 <= HINT_TOKEN_BUDGET
    # The prompt goes to the worker too, and the expected words still come out right.
    transcript = await transcribe(engine, "agent-pass", hints=["password", "pound key"])
    assert word_error_rate(PASSWORD, transcript.text) == 0.0


async def test_a_dead_worker_fails_its_request_and_the_pool_comes_back() -> None:
    engine = WhisperEngine(workers=1)
    try:
        [pid] = engine.pool.worker_pids()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            await transcribe(engine, "hello-world")
        transcript = await transcribe(engine, "hello-world")
        assert word_error_rate("hello world", transcript.text) == 0.0
        assert pid not in engine.pool.worker_pids()
        assert engine.load.pending == 0
    finally:
        engine.close()


async def test_a_backlog_of_real_decodes_refuses_new_calls_until_it_drains(engine: WhisperEngine) -> None:
    from ivr.admission import Admission

    now = [0.0]
    admission = Admission(engine.load, relax_seconds=2.0, clock=lambda: now[0])
    assert admission.admit() is None
    decodes = [asyncio.ensure_future(transcribe(engine, "agent-pass")) for _ in range(6)]
    await decodes[0]  # one worker: five more are queued or running behind it, each as long
    # The bound in decode times, so the test means the same on a fast or a slow machine.
    admission.max_backlog = 1.5 * engine.load.decode_average
    assert engine.load.pending >= 4 and engine.load.backlog_seconds() > admission.max_backlog
    assert admission.admit() == "backlog"
    await asyncio.gather(*decodes)
    assert engine.load.backlog_seconds() == 0.0
    assert admission.admit() == "backlog"  # the automatic limit holds until the relax time passed
    now[0] += 2.0
    assert admission.admit() is None


KILLED_SERVICE = """
import os
from asr.whisper_engine import WhisperEngine
if __name__ == "__main__":
    engine = WhisperEngine(workers=1)
    print(*engine.pool.worker_pids(), flush=True)
    os.kill(os.getpid(), 9)
"""


def test_decoders_end_when_their_service_is_killed(tmp_path) -> None:
    script = tmp_path / "service.py"
    script.write_text(KILLED_SERVICE)
    repo = str(Path(__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": repo}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    [pid] = [int(p) for p in done.stdout.split()]
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    try:
        readable, _, _ = select.select([fd], [], [], 30)  # readable once the process has exited
        assert readable, f"decoder {pid} outlived its killed service"
    finally:
        os.close(fd)


async def test_alternatives_are_given_while_a_decoder_is_free_and_skipped_under_a_backlog(
    engine: WhisperEngine,
) -> None:
    from tests.support.corpus import espeak_pcm

    pcm = espeak_pcm("I'm so angry right now", "en-gb+f3", 8000, 140)  # its beam has alternatives

    async def recognise():
        stream = engine.new_stream(8000)
        try:
            await stream.feed(pcm)
            return await stream.finish()
        finally:
            stream.close()

    alone = await recognise()
    assert alone.alternatives, alone
    # With one worker, the second and third request find it busy: their text comes without the extra pass.
    crowded = await asyncio.gather(recognise(), recognise(), recognise())
    assert crowded[0].alternatives and not crowded[1].alternatives and not crowded[2].alternatives
    # the same words: without the extra pass the text is the greedy pass's, whose punctuation may differ
    assert {_words(t.text) for t in crowded} == {_words(alone.text)}


def _words(text: str) -> str:
    """The text's words, lower case, without punctuation."""
    return " ".join(re.findall(r"[\w']+", text.lower()))
