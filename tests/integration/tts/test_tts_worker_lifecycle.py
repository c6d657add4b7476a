"""TtsWorker process handling: crash, hang, missing engine, engine errors (real worker processes)."""

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tts.client import TtsWorker
from tts.errors import TtsError
from tts.worker import TEST_HOOKS_ENV


@pytest.fixture
async def worker() -> AsyncIterator[TtsWorker]:
    w = TtsWorker(request_timeout=20, env={TEST_HOOKS_ENV: "1"})
    try:
        yield w
    finally:
        await w.close()


async def test_synthesis_returns_22050_hz_speech(worker: TtsWorker) -> None:
    pcm, rate = await worker.synthesize("Testing one two three.", "en-us", 170)
    assert rate == 22050
    assert len(pcm) / 2 / rate > 0.8
    assert max(pcm[1::2]) > 0x10  # some high bytes: not silence


async def test_killed_worker_is_restarted_for_the_next_request(worker: TtsWorker) -> None:
    await worker.start()
    first_pid = worker.pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)
    pcm, _ = await asyncio.wait_for(worker.synthesize("Still here.", "en-us", 170), 30)
    assert pcm
    assert worker.pid not in (None, first_pid)
    assert worker.spawns == 2


async def test_hung_worker_times_out_and_is_replaced(worker: TtsWorker) -> None:
    await worker.start()
    hung_pid = worker.pid
    with pytest.raises(TtsError, match=r"no answer within 0\.3s"):
        await worker.sleep(60, limit=0.3)
    assert worker.pid is None  # killed, not left running
    with pytest.raises(ProcessLookupError):
        os.kill(hung_pid, 0)
    pcm, _ = await asyncio.wait_for(worker.synthesize("Back again.", "en-us", 170), 30)
    assert pcm and worker.pid not in (None, hung_pid)


async def test_sleep_hook_is_refused_without_the_env_flag() -> None:
    w = TtsWorker(env={TEST_HOOKS_ENV: "0"})
    try:
        with pytest.raises(TtsError, match="unsupported request Sleep"):
            await w.sleep(30, limit=10)
    finally:
        await w.close()


async def test_engine_error_keeps_the_worker(worker: TtsWorker) -> None:
    await worker.start()
    pid = worker.pid
    with pytest.raises(TtsError, match="unknown espeak-ng voice 'no-such-voice'"):
        await worker.synthesize("Hello", "no-such-voice", 170)
    with pytest.raises(TtsError, match="rate_wpm"):
        await worker.synthesize("Hello", "en-us", 5)
    assert (await worker.synthesize("Hello", "en-us", 170))[0]
    assert worker.pid == pid and worker.spawns == 1


async def test_voice_listing_has_english_korean_and_mandarin(worker: TtsWorker) -> None:
    ids = {v.id for v in await worker.voices()}
    assert {"gmw/en-us", "ko", "sit/cmn"} <= ids


async def test_missing_engine_is_a_clean_error_naming_the_package(tmp_path: Path) -> None:
    # a pyttsx3 that fails the way the real one does when libespeak-ng.so.1 cannot be loaded
    fake = tmp_path / "pyttsx3"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "raise RuntimeError('This means you probably do not have eSpeak or eSpeak-ng installed!')\n"
    )
    w = TtsWorker(env={"PYTHONPATH": str(tmp_path)})
    try:
        with pytest.raises(TtsError, match=r"Debian package espeak-ng") as info:
            await w.start()
        assert "do not have eSpeak" in str(info.value)
        assert w.pid is None
    finally:
        await w.close()


async def test_close_removes_the_scratch_folder(worker: TtsWorker) -> None:
    await worker.synthesize("Bye.", "en-us", 170)
    scratch = worker._scratch()
    assert scratch.is_dir() and list(scratch.iterdir()) == []  # WAVs are deleted once read
    await worker.close()
    assert not scratch.exists()
    assert worker.pid is None
