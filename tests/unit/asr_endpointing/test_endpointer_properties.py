"""Property tests: any (is_speech, duration) sequence keeps the Endpointer's invariants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from asr.endpointer import (
    Endpointer,
    EndpointingParams,
    NoInput,
    PossibleEndOfTurn,
    SpeechResumed,
    SpeechStarted,
    UtteranceEnded,
)
from tests.unit.asr_endpointing.endpointer_script import frame

P = EndpointingParams(min_speech=0.1, end_silence=0.3, max_utterance=1.0, no_input=2.0, pre_roll=0.1)
MS = 1_000_000  # ns

runs = st.lists(
    st.tuples(st.booleans(), st.integers(1, 40), st.sampled_from([10, 20, 30])), min_size=1, max_size=40
)


def feed_all(run_list):
    """Feed the runs; return per-frame (voiced, begin_ns, end_ns) and (frame number, event) pairs."""
    ep = Endpointer(P)
    ep.listen()
    timeline, log, now = [], [], 0
    for voiced, count, ms in run_list:
        for _ in range(count):
            i = len(timeline)
            timeline.append((voiced, now, now + ms * MS))
            now += ms * MS
            log += [(i, e) for e in ep.feed(frame(i), voiced, ms / 1000)]
    return ep, timeline, log


def ns(seconds: float) -> int:
    return round(seconds * 1e9)


@settings(max_examples=300, deadline=None)
@given(runs)
def test_speech_events_alternate_and_times_are_consistent(run_list):
    ep, timeline, log = feed_all(run_list)
    speech = [(i, e) for i, e in log if isinstance(e, SpeechStarted | UtteranceEnded)]
    for k, (_, e) in enumerate(speech):
        assert isinstance(e, SpeechStarted if k % 2 == 0 else UtteranceEnded)
    assert ep.speaking == (len(speech) % 2 == 1)
    for (_, s), (ei, u) in zip(speech[::2], speech[1::2], strict=False):
        assert u.start == s.at
        assert u.start < u.end <= timeline[ei][2] / 1e9 + 1e-12
        # The cut lands on the first frame boundary at or past max_utterance: at most one frame over.
        assert ns(u.end) - ns(u.start) < ns(P.max_utterance) + 30 * MS
        assert len(u.audio) <= 4 * round((P.pre_roll + P.max_utterance) / 0.01 + 1)
        assert u.audio.endswith(frame(ei))
        if u.reason == "silence":
            after_end = [f for f in timeline[: ei + 1] if f[1] >= ns(u.end)]
            assert not any(v for v, _, _ in after_end)
            assert timeline[ei][2] - ns(u.end) >= ns(P.end_silence)
            assert timeline[ei][1] - ns(u.end) < ns(P.end_silence)


@settings(max_examples=300, deadline=None)
@given(runs)
def test_speech_starts_at_a_voiced_run_of_min_speech_and_no_long_run_is_missed(run_list):
    _, timeline, log = feed_all(run_list)
    starts = {ns(e.at): i for i, e in log if isinstance(e, SpeechStarted)}
    begins = {b: k for k, (_, b, _) in enumerate(timeline)}
    for at_ns, confirm_index in starts.items():
        k = begins[at_ns]
        assert all(v for v, _, _ in timeline[k : confirm_index + 1])
        assert timeline[confirm_index][2] - at_ns >= ns(P.min_speech)
        assert timeline[confirm_index][1] - at_ns < ns(P.min_speech)
    covered = covered_frames(timeline, log)
    run_ns = 0
    for k, (voiced, b, e) in enumerate(timeline):
        run_ns = run_ns + (e - b) if voiced and k not in covered else 0
        assert run_ns < ns(P.min_speech)


def covered_frames(timeline, log) -> set[int]:
    """Frame numbers inside [start, end] of an utterance, or after a start still open at the end."""
    spans, open_at = [], None
    for _, e in log:
        if isinstance(e, SpeechStarted):
            open_at = ns(e.at)
        elif isinstance(e, UtteranceEnded):
            spans.append((ns(e.start), ns(e.end)))
            open_at = None
    if open_at is not None:
        spans.append((open_at, timeline[-1][2]))
    return {k for k, (_, b, e) in enumerate(timeline) if any(s <= b and e <= t for s, t in spans)}


@settings(max_examples=200, deadline=None)
@given(runs)
def test_no_input_fires_at_most_once_and_only_without_speech_before_it(run_list):
    _, _, log = feed_all(run_list)
    fired = [(i, e) for i, e in log if isinstance(e, NoInput)]
    assert len(fired) <= 1
    if fired:
        index, event = fired[0]
        assert ns(event.at) >= ns(P.no_input)
        assert not any(isinstance(e, SpeechStarted) for i, e in log if i <= index)


@settings(max_examples=300, deadline=None)
@given(runs)
def test_speculation_happens_inside_speech_and_is_resumed_or_matched(run_list):
    _, timeline, log = feed_all(run_list)
    open_speculation: PossibleEndOfTurn | None = None
    speaking = False
    for i, e in log:
        if isinstance(e, SpeechStarted):
            speaking, open_speculation = True, None
        elif isinstance(e, PossibleEndOfTurn):
            assert speaking and open_speculation is None
            assert not timeline[i][0]  # announced on a silent frame
            assert timeline[i][2] - ns(e.end) >= ns(P.speculate_after)
            assert timeline[i][1] - ns(e.end) < ns(P.speculate_after)
            assert e.audio.endswith(frame(i))
            open_speculation = e
        elif isinstance(e, SpeechResumed):
            assert open_speculation is not None and timeline[i][0]
            open_speculation = None
        elif isinstance(e, UtteranceEnded):
            if open_speculation is not None:
                assert open_speculation.matches(e)
                assert e.audio.startswith(open_speculation.audio)
            speaking, open_speculation = False, None
