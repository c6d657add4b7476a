"""One instrumented call of the call benchmark: where each turn's latency goes, stage by stage.

Used by `bench_calls.py` before its sweep (`--no-profile` skips it). The service's store, synthesiser and
`Conversation._understand` are wrapped for that one call only; the wrappers pass everything through.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from tests.bench.callers import SPEECH_DBFS


class _Timed:
    """Pass-through wrapper that notes the timing of one method into the current trace turn."""

    def __init__(self, inner, trace: list[dict]) -> None:
        self._inner, self._trace = inner, trace

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def _note(self, **values) -> None:
        if self._trace and not values.keys() & self._trace[-1].keys():
            self._trace[-1].update(values)


class TimedStore(_Timed):
    """Call store with the caller turn write timed (and the decode time the turn's meta carries)."""

    async def add_turn(self, call, **kwargs):
        """The real add_turn(), timed for caller turns."""
        started = time.monotonic()
        await self._inner.add_turn(call, **kwargs)
        if kwargs["speaker"] == "caller":
            decode = kwargs.get("meta", {}).get("decode_seconds", float("nan"))
            self._note(store_start=started, store_end=time.monotonic(), decode=decode)


class TimedTts(_Timed):
    """Synthesizer with the reply lookup timed."""

    async def synthesize(self, text, language, rate):
        """The real synthesize(), timed."""
        started = time.monotonic()
        pcm = await self._inner.synthesize(text, language, rate)
        self._note(tts_start=started, tts_end=time.monotonic())
        return pcm


async def profile(bench) -> None:
    """One instrumented call: where each turn's latency goes, stage by stage."""
    from ivr.conversation import Conversation

    service, trace = bench.service, []
    understand = Conversation._understand

    async def traced(self, heard):
        speculative = heard.speculation is not None
        trace.append({"heard_at": heard.ended_monotonic, "detected": time.monotonic(), "spec": speculative})
        return await understand(self, heard)

    speech, store = service.speech, service.store
    service.speech = dataclasses.replace(speech, tts=TimedTts(speech.tts, trace))
    service.store = TimedStore(store, trace)
    Conversation._understand = traced
    try:
        row = await bench.level(1, 1, stagger=False)
        call = row["raw"][0]
    finally:
        Conversation._understand = understand
        service.speech, service.store = speech, store
    silence = service.speech.endpointing.end_silence
    if not trace or not row["lat"] or len(call.get("turns", [])) < len(trace):
        details = {k: v for k, v in call.items() if k != "jitter"}
        print(f"\nProfile call failed: {row['problems']} {details}")
        return
    print(
        f"\nProfile of one call ({bench.args.engine}, preset {bench.args.preset}, end_silence "
        f"{silence * 1000:.0f} ms), ms per turn; caller end of speech = last frame > {SPEECH_DBFS} dBFS"
    )
    cols = ("vad_end", "endpoint", "asr", "(decode)", "spec", "store", "bot+tts", "pacing", "wire", "TOTAL")
    print("  turn " + "".join(f"{c:>10}" for c in cols))
    sums = []
    for i, (t, lat, c) in enumerate(zip(trace, row["lat"], call["turns"], strict=False)):
        first_frame = t["heard_at"] + lat
        parts = (
            t["heard_at"] - c["speech_end"],
            t["detected"] - t["heard_at"],
            t["store_start"] - t["detected"],
            t["decode"],
            float(t["spec"]) / 1000,  # printed as 1 or 0
            t["store_end"] - t["store_start"],
            t["tts_end"] - t["store_end"],
            first_frame - t["tts_end"],
            c["reply_at"] - first_frame,
            c["reply_at"] - c["speech_end"],
        )
        sums.append(parts)
        print(f"  {i + 1:>4} " + "".join(f"{p * 1000:10.1f}" for p in parts))
    means = np.mean(sums, axis=0)
    print("  mean " + "".join(f"{p * 1000:10.1f}" for p in means))
    print(
        "  vad_end: VAD end of speech minus the caller's; endpoint: until the utterance was handed to the "
        "dialogue\n  (end_silence + detection); asr: until the transcript was ready (decode: inside the"
        "\n  engine; spec 1: from the speculative decode started at speculate_after, overlapping endpoint);"
        "\n  store: caller turn written; bot+tts: bot + cached prompt lookup; pacing: to the first frame "
        "tick;\n  wire: service send → caller receive."
    )
