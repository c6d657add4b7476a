"""Prompt cache: disk + LRU, atomic writes, corrupt files ignored."""

import logging
import os
from pathlib import Path

import pytest

from tts.cache import PromptCache

PCM = bytes(range(256)) * 40


def key(text: str = "hello", rate: int = 8000) -> str:
    return PromptCache.key("pyttsx3-espeak", "en-us", 160, rate, text)


def test_key_depends_on_every_input() -> None:
    keys = {
        key(),
        key(text="hello!"),
        key(rate=16000),
        PromptCache.key("other", "en-us", 160, 8000, "hello"),
        PromptCache.key("pyttsx3-espeak", "ko", 160, 8000, "hello"),
        PromptCache.key("pyttsx3-espeak", "en-us", 170, 8000, "hello"),
    }
    assert len(keys) == 6
    assert key() == key()  # stable across calls (and processes: no salted hash)


def test_put_get_and_survive_a_new_instance(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    assert cache.get(key()) is None
    cache.put(key(), PCM, 8000)
    assert cache.get(key()) == PCM
    fresh = PromptCache(tmp_path)
    assert fresh.peek(key()) is None  # nothing in memory yet
    assert fresh.get(key()) == PCM  # read back from disk
    assert fresh.peek(key()) == PCM  # and now remembered
    assert [p.name for p in tmp_path.iterdir()] == [f"{key()}.wav"]  # no temp files left over


def test_memory_lru_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path, memory_items=2)
    a, b, c = key("a"), key("b"), key("c")
    cache.put(a, b"aa")
    cache.put(b, b"bb")
    assert cache.peek(a) == b"aa"  # a is now the most recent
    cache.put(c, b"cc")
    assert cache.peek(b) is None
    assert cache.peek(a) == b"aa" and cache.peek(c) == b"cc"
    assert cache.get(b) == b"bb"  # evicted from memory only


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"garbage" * 20,
        lambda data: data + b"\x00\x01",  # trailing junk after the frames
        lambda data: data[:22] + b"\x02" + data[23:],  # header says stereo
    ],
)
def test_corrupt_file_is_a_miss_and_gets_overwritten(tmp_path: Path, damage, caplog) -> None:
    PromptCache(tmp_path).put(key(), PCM)
    path = tmp_path / f"{key()}.wav"
    path.write_bytes(damage(path.read_bytes()))
    cache = PromptCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="tts.cache"):
        assert cache.get(key()) is None
    assert "TTS cache file" in caplog.text
    cache.put(key(), PCM)
    assert PromptCache(tmp_path).get(key()) == PCM


def test_failed_write_leaves_no_file(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    with pytest.raises(ValueError):
        cache.put(key(), b"\x00")  # odd length
    assert list(tmp_path.iterdir()) == []


def test_stored_file_is_a_playable_wav_at_the_given_rate(tmp_path: Path) -> None:
    import wave

    PromptCache(tmp_path).put(key(rate=16000), PCM, 16000)
    with wave.open(str(tmp_path / f"{key(rate=16000)}.wav")) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        assert wav.readframes(wav.getnframes()) == PCM


def test_keys_are_checked_before_touching_paths(tmp_path: Path) -> None:
    cache = PromptCache(tmp_path)
    with pytest.raises(ValueError):
        cache.get("../../etc/passwd")
    assert not os.path.exists(tmp_path / "etc")
