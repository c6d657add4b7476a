"""Listening to a call: one sans-IO Listener (VAD, endpointer, barge-in, speculation, recogniser session)
and the DecodeRunner that runs its decodes. See ivr/listening/listener.py."""

from ivr.listening.decoding import DecodeRunner
from ivr.listening.events import (
    BargeIn,
    DigitHeard,
    Instant,
    NoInput,
    PartialHeard,
    Prompt,
    SpeechStarted,
    Utterance,
    UtteranceReady,
)
from ivr.listening.listener import Listener
from ivr.listening.recognition import SpeculationStats, streams

__all__ = [
    "BargeIn",
    "DecodeRunner",
    "DigitHeard",
    "Instant",
    "Listener",
    "NoInput",
    "PartialHeard",
    "Prompt",
    "SpeculationStats",
    "SpeechStarted",
    "Utterance",
    "UtteranceReady",
    "streams",
]
