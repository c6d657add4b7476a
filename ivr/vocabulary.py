"""One vocabulary for how a call ends, as StrEnums: stored, counted and compared as their string values."""

from __future__ import annotations

from enum import StrEnum


class CallOutcome(StrEnum):
    """What became of a call (calls.outcome): figures and metrics count these."""

    CONTAINED = "contained"  # the bot finished the call
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"  # the caller hung up in the bot
    FAILED = "failed"  # the bot reached no outcome
    INTERRUPTED = "interrupted"  # its worker died; closed when the worker started again


class EndReason(StrEnum):
    """Why a call's session ended (calls.end_reason); a failure is stored as `error: …` or `agi: …`."""

    CALLER_HANGUP = "caller-hangup"
    TRANSFERRED = "transferred"
    BOT_HANGUP = "bot-hangup"
    NO_OUTCOME = "no-outcome"
    MAX_CALL_TIME = "max-call-time"
    AUDIO_TIMEOUT = "audio-timeout"  # Asterisk's AudioSocket never connected
    WORKER_RESTART = "worker-restart"  # left open by a worker that died (crash recovery)
