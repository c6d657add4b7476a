"""One accepted AudioSocket stream: a reader task into a bounded inbound queue, and paced-by-caller writes.

How this works: a reader task feeds socket bytes to the sans-IO decoder and appends Audio/Dtmf messages
to a bounded deque. When the deque is full the OLDEST audio frame is dropped and counted, because late
audio is worth less than fresh audio; DTMF is never dropped (if the queue is full of digits only, the
reader waits for the consumer, which is plain TCP backpressure). The connection ends exactly once, with
a `close_reason`: "peer-closed" (EOF, reset, or a 0x00 from the peer), "protocol-error: ..." or
"local-hangup". `receive()` still hands out what was queued before a peer close, then returns None.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import uuid
from collections.abc import Sequence

from ivr.audiosocket.codec import (
    Audio,
    AudioSocketDecoder,
    AudioSocketProtocolError,
    Dtmf,
    ErrorMessage,
    Hangup,
    Message,
    encode,
)

log = logging.getLogger("ivr.audiosocket")

READ_SIZE = 16384
PEER_CLOSED = "peer-closed"
LOCAL_HANGUP = "local-hangup"
HANGUP_DRAIN_TIMEOUT = 1.0

Inbound = Audio | Dtmf


def set_nodelay(writer: asyncio.StreamWriter) -> None:
    """Disable Nagle so each 20 ms frame leaves at once (Asterisk allows 5 ms for a payload)."""
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class AudioConnection:
    """The call's audio stream: `receive()` caller audio/DTMF, `send_audio()` one frame at a time."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        call_uuid: uuid.UUID,
        decoder: AudioSocketDecoder,
        *,
        inbound_queue_frames: int = 50,
    ) -> None:
        self.uuid = call_uuid
        self.peer = writer.get_extra_info("peername")
        self.inbound_rate = 8000
        self.dropped_frames = 0
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._reader = reader
        self._writer = writer
        self._decoder = decoder
        self._capacity = max(1, inbound_queue_frames)
        self._queue: collections.deque[Inbound] = collections.deque()
        self._readable = asyncio.Event()
        self._space = asyncio.Event()
        self._reader_task: asyncio.Task[None] | None = None

    def start(self, early: Sequence[Message] = ()) -> None:
        """Queue messages that arrived with the UUID, then start the reader task."""
        for msg in early:
            if not self._accept(msg):
                return
        # Owned by this connection and cancelled in _finish(): the task cannot outlive the socket.
        self._reader_task = asyncio.get_running_loop().create_task(
            self._read_loop(), name=f"audiosocket-reader-{self.uuid}"
        )

    @property
    def queued(self) -> int:
        """Inbound messages waiting for `receive()`."""
        return len(self._queue)

    async def receive(self) -> Inbound | None:
        """Next caller Audio or Dtmf; None once the stream has ended (see `close_reason`)."""
        while True:
            if self._queue:
                self._space.set()
                return self._queue.popleft()
            if self.closed.is_set():
                return None
            self._readable.clear()
            await self._readable.wait()

    async def send_audio(self, pcm: bytes, rate: int) -> bool:
        """Send one audio message in a single write, then drain; False if the stream is already over."""
        data = encode(Audio(pcm, rate))
        if self.closed.is_set():
            return False
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, OSError):
            self._finish(PEER_CLOSED)
            return False
        return True

    async def hangup(self) -> None:
        """Send kind 0x00 (Asterisk's AudioSocket() then returns 0) and close."""
        if self.closed.is_set():
            return
        try:
            self._writer.write(encode(Hangup()))
            await asyncio.wait_for(self._writer.drain(), HANGUP_DRAIN_TIMEOUT)
        except (ConnectionError, OSError, TimeoutError):
            log.info("AudioSocket %s: hangup could not be flushed", self.uuid)
        self._finish(LOCAL_HANGUP)

    def close(self) -> None:
        """Close the socket without a 0x00 (Asterisk also returns 0 for that)."""
        self._finish(LOCAL_HANGUP)

    async def wait_closed(self) -> None:
        """Wait until the transport is closed after `close()`/`hangup()`/peer close."""
        await self.closed.wait()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await self._reader.read(READ_SIZE)
                if not data:
                    self._finish(PEER_CLOSED)
                    return
                for msg in self._decoder.feed(data):
                    if not self._accept(msg):
                        return
                    await self._wait_for_space()
        except AudioSocketProtocolError as exc:
            log.warning("AudioSocket %s from %s: protocol error: %s", self.uuid, self.peer, exc)
            self._finish(f"protocol-error: {exc}")
        except (ConnectionError, OSError):
            self._finish(PEER_CLOSED)
        except Exception as exc:
            # A bug here must end this call's stream visibly, not leave the session waiting forever.
            log.exception("AudioSocket %s: reader failed", self.uuid)
            self._finish(f"internal-error: {exc!r}")

    def _accept(self, msg: Message) -> bool:
        """Route one decoded message; False when it ended the stream."""
        if isinstance(msg, Audio):
            self.inbound_rate = msg.rate
            self._enqueue(msg)
        elif isinstance(msg, Dtmf):
            self._enqueue(msg)
        elif isinstance(msg, Hangup):
            self._finish(PEER_CLOSED)
        else:
            what = "an error message" if isinstance(msg, ErrorMessage) else "a second UUID"
            log.warning("AudioSocket %s from %s: peer sent %s", self.uuid, self.peer, what)
            self._finish(f"protocol-error: peer sent {what}")
        return not self.closed.is_set()

    def _enqueue(self, msg: Inbound) -> None:
        if len(self._queue) >= self._capacity:
            oldest_audio = next((m for m in self._queue if isinstance(m, Audio)), None)
            if oldest_audio is not None:
                self._queue.remove(oldest_audio)
                self.dropped_frames += 1
            elif isinstance(msg, Audio):
                self.dropped_frames += 1
                return
        self._queue.append(msg)
        self._readable.set()

    async def _wait_for_space(self) -> None:
        # Only a queue full of DTMF can stay over capacity; audio is dropped instead of waited for.
        while len(self._queue) > self._capacity and not self.closed.is_set():
            self._space.clear()
            await self._space.wait()

    def _finish(self, reason: str) -> None:
        if self.closed.is_set():
            return
        self.close_reason = reason
        if reason == LOCAL_HANGUP:
            self._queue.clear()
        self.closed.set()
        self._readable.set()
        self._space.set()
        self._writer.close()
        task = self._reader_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
