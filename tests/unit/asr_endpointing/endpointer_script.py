"""Drive an Endpointer with synthetic (frame, is_speech) runs; frames are numbered so audio can be checked."""

from __future__ import annotations

from dataclasses import dataclass, field

from asr.endpointer import Endpointer, Event

F = 0.02  # seconds per frame in most tests


def frame(i: int) -> bytes:
    """Return the distinct 4-byte payload of frame number i."""
    return i.to_bytes(4, "big")


def frames(first: int, last: int) -> bytes:
    """Return the payloads of frames first..last inclusive, joined."""
    return b"".join(frame(i) for i in range(first, last + 1))


@dataclass
class Script:
    """Feeds runs of voiced/unvoiced frames and records each event with the number of its frame."""

    ep: Endpointer
    next_index: int = 0
    log: list[tuple[int, Event]] = field(default_factory=list)

    def run(self, voiced: bool, count: int, duration: float = F) -> list[Event]:
        """Feed count frames of one kind; return the events they caused."""
        out: list[Event] = []
        for _ in range(count):
            events = self.ep.feed(frame(self.next_index), voiced, duration)
            self.log += [(self.next_index, e) for e in events]
            out += events
            self.next_index += 1
        return out

    def speech(self, count: int, duration: float = F) -> list[Event]:
        """Feed count voiced frames."""
        return self.run(True, count, duration)

    def silence(self, count: int, duration: float = F) -> list[Event]:
        """Feed count unvoiced frames."""
        return self.run(False, count, duration)

    def of_type(self, kind: type) -> list[tuple[int, Event]]:
        """Return the logged (frame number, event) pairs of one event class."""
        return [(i, e) for i, e in self.log if isinstance(e, kind)]
