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


class TransferReason(StrEnum):
    """Why a caller was handed to a person (transfers.reason, IVR_REASON); a detail may follow `: `."""

    # Set by the flows (dialplan/*.yaml `reason:`; ivr.dialogue.schema.REASONS lists these)
    CALLER_REQUEST = "caller-request"
    KEYPAD_0 = "keypad-0"
    NO_MATCH = "no-match"
    NO_INPUT = "no-input"
    REPEATED_REQUEST = "repeated-request"
    SENTIMENT = "sentiment"
    SENSITIVE = "sensitive"
    VIP = "vip"
    FLOW = "flow"
    FLOW_ERROR = "flow-error"
    # Set by the service when the bot cannot go on
    OVERLOAD = "overload"  # refused at admission: the busy notice, then a person
    WORKER_DRAINING = "worker-draining"
    BOT_ERROR = "bot-error"  # stored as "bot-error: <exception type>"
    AUDIO_TIMEOUT = "audio-timeout"
    AUDIO_STALLED = "audio-stalled"
    MAX_CALL_TIME = "max-call-time"
    NO_OUTCOME = "no-outcome"
    CALLBACK_UNAVAILABLE = "callback-unavailable"

    def with_detail(self, detail: str) -> str:
        """The stored form with a detail: `bot-error: KeyError`."""
        return f"{self.value}: {detail}"


def reason_key(stored: str | None) -> str:
    """The reason of a stored reason, without its detail ('bot-error: KeyError' -> 'bot-error')."""
    return (stored or "").split(":", 1)[0].strip()


# Caller IDs. Asterisk writes a placeholder when it has none; a network withholds a number as one of
# the WITHHELD words. Both mean: nobody to look up, remember or count as a repeat caller.
NO_CALLER_ID = frozenset({"", "unknown", "<unknown>"})
WITHHELD = frozenset({"anonymous", "restricted", "private"})


def known_caller(value: str | None) -> str | None:
    """None for Asterisk's placeholders of a missing caller ID, else the value as sent."""
    return None if value is None or value.strip().lower() in NO_CALLER_ID else value


def identified_caller(number: str | None) -> str | None:
    """The number when it identifies a caller (history, repeat calls); None when missing or withheld."""
    known = known_caller(number)
    return None if known is None or known.strip().lower() in WITHHELD else known
