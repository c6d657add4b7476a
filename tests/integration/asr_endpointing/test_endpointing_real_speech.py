"""VoiceActivity + Endpointer ("normal") on real Asterisk prompts: each one found once, within 100 ms."""

from __future__ import annotations

import numpy as np
import pytest
import webrtcvad

from asr.endpointer import Endpointer, Event, NoInput, SpeechStarted, UtteranceEnded, params_for
from asr.vad import VoiceActivity, level_dbfs
from tests.integration.asr_endpointing.endpointing_wav import (
    SOUNDS,
    load_wav,
    longest_pause,
    samples,
    to_pcm,
    true_bounds,
    upsample2,
)

# Single-phrase prompts of 0.6-2.6 s of speech. Each was checked (and is re-checked below) to have no
# internal pause longer than 0.3 s, half the "normal" end_silence, so none may legitimately split in two.
# They mix voiced onsets ("hello"), plosives ("please", "cannot", "telephone"), a fricative ("sorry", whose
# file also starts with a soft breath) and long decaying tails ("agent-loggedoff", "call-waiting").
PROMPTS = [
    "hello-world",
    "one-moment-please",
    "please-try-call-later",
    "cannot-complete-as-dialed",
    "vm-nobodyavail",
    "conf-getpin",
    "queue-thankyou",
    "vm-reachoper",
    "sorry-youre-having-problems",
    "telephone-number",
    "vm-incorrect",
    "auth-thankyou",
    "goodbye",
    "vm-isunavail",
    "conf-enteringno",
    "vm-enter-num-to-call",
    "vm-intro",
    "vm-goodbye",
    "agent-loggedoff",
    "call-waiting",
]
GAPS = [1.0, 1.5, 2.0, 1.2, 1.8]  # digital silence between prompts, seconds
TOLERANCE = 0.1
RATE = 8000


def truth_threshold(noise_dbfs: float | None) -> float:
    """Level above which audio counts as speech: -50 dBFS, or 5 dB above added noise (it masks the rest)."""
    return -50.0 if noise_dbfs is None else max(-50.0, noise_dbfs + 5)


def build_stream(noise_dbfs: float | None = None) -> tuple[bytes, list[tuple[str, float, float]]]:
    """Join the prompts with silence (plus optional white noise); return 8 kHz slin and true bounds."""
    parts, truth, t = [np.zeros(RATE)], [], 1.0
    for i, name in enumerate(PROMPTS):
        pcm, rate = load_wav(SOUNDS / f"{name}.wav")
        assert rate == RATE
        first, last = true_bounds(pcm, rate, threshold_db=truth_threshold(noise_dbfs))
        truth.append((name, t + first, t + last))
        parts.append(samples(pcm))
        t += len(pcm) / 2 / rate
        gap = GAPS[i % len(GAPS)]
        parts.append(np.zeros(int(gap * RATE)))
        t += gap
    x = np.concatenate(parts)
    if noise_dbfs is not None:
        x = x + np.random.default_rng(7).normal(0, 10 ** (noise_dbfs / 20), len(x))
    return to_pcm(x), truth


def endpoint(pcm: bytes, rate: int, chunk: int = 333) -> list[Event]:
    """Run the stream through VoiceActivity + Endpointer in odd-sized chunks, as a socket delivers it."""
    vad = VoiceActivity(rate=rate)
    ep = Endpointer(params_for("normal"))
    ep.listen()
    events: list[Event] = []
    for pos in range(0, len(pcm), chunk):
        for frame in vad.frames(pcm[pos : pos + chunk]):
            events += ep.feed(frame, vad.is_speech(frame), vad.frame_seconds)
    return events


def assert_matches_truth(events: list[Event], truth: list[tuple[str, float, float]], pcm: bytes, rate: int):
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    ends = [e for e in events if isinstance(e, UtteranceEnded)]
    assert not [e for e in events if isinstance(e, NoInput)]
    assert len(starts) == len(ends) == len(truth), [round(e.start, 2) for e in ends]
    errors = []
    for (name, first, last), started, ended in zip(truth, starts, ends, strict=True):
        assert started.at == ended.start
        assert ended.reason == "silence"
        if abs(ended.start - first) > TOLERANCE or abs(ended.end - last) > TOLERANCE:
            errors.append(f"{name}: start {ended.start - first:+.3f} end {ended.end - last:+.3f}")
        # The audio is the exact slice of the stream from pre_roll before the start.
        offset = round((ended.start - 0.3) * rate) * 2
        assert ended.audio == pcm[offset : offset + len(ended.audio)]
        assert len(ended.audio) / 2 / rate >= ended.end - ended.start + 0.3 + 0.6 - 1e-6
    assert errors == []


def test_chosen_prompts_have_no_pause_that_could_split_them():
    for name in PROMPTS:
        pcm, rate = load_wav(SOUNDS / f"{name}.wav")
        assert longest_pause(pcm, rate, threshold_db=-50) <= 0.3, name


def test_every_prompt_is_found_once_within_100_ms_in_digital_silence():
    pcm, truth = build_stream()
    assert_matches_truth(endpoint(pcm, RATE), truth, pcm, RATE)


def test_every_prompt_is_found_once_within_100_ms_in_low_level_noise():
    pcm, truth = build_stream(noise_dbfs=-50)
    assert_matches_truth(endpoint(pcm, RATE), truth, pcm, RATE)


def test_every_prompt_is_found_once_within_100_ms_at_16_khz():
    pcm, truth = build_stream()
    wide = upsample2(pcm)
    assert_matches_truth(endpoint(wide, 16000, chunk=641), truth, wide, 16000)


@pytest.mark.parametrize("frame_ms", [10, 30])
def test_other_frame_sizes_find_the_same_utterances(frame_ms):
    pcm, truth = build_stream()
    vad, ep = VoiceActivity(frame_ms=frame_ms), Endpointer(params_for("normal"))
    ends = [e for f in vad.frames(pcm) for e in ep.feed(f, vad.is_speech(f), vad.frame_seconds)]
    ends = [e for e in ends if isinstance(e, UtteranceEnded)]
    assert len(ends) == len(truth)
    assert all(abs(e.start - t[1]) <= TOLERANCE for e, t in zip(ends, truth, strict=True))


def test_level_gate_drops_quiet_frames_and_off_means_plain_webrtcvad():
    pcm, _ = load_wav(SOUNDS / "hello-world.wav")
    quiet = to_pcm(samples(pcm) * 10 ** (-40 / 20))  # loudest frames just above -55 dBFS
    raw_vad = webrtcvad.Vad(2)
    raw = [raw_vad.is_speech(quiet[i : i + 320], RATE) for i in range(0, len(quiet) - 319, 320)]
    ungated, gated = VoiceActivity(min_dbfs=None), VoiceActivity()
    assert [ungated.is_speech(f) for f in ungated.frames(quiet)] == raw
    frames = list(gated.frames(quiet))
    kept = [gated.is_speech(f) for f in frames]
    assert 0 < sum(kept) < sum(raw)
    for frame, was_raw, was_kept in zip(frames, raw, kept, strict=True):
        assert was_kept == (was_raw and level_dbfs(frame) > -55)
