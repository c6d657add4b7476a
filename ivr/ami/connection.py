"""One AMI connection and the actions waiting on it for their replies (used by ivr.ami.client)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from ivr.ami.codec import AmiBanner, AmiDecoder, AmiMessage
from ivr.ami.errors import AmiProtocolError

log = logging.getLogger("ivr.ami.client")

MAX_LIST_EVENTS = 100_000
OK_RESPONSES = frozenset({"success", "goodbye", "follows"})
LIST_END = frozenset({"complete", "cancelled"})


class ConnectionLost(ConnectionError):
    """The AMI socket ended (EOF) or a ping went unanswered."""


@dataclass(frozen=True)
class AmiResponse:
    """The reply to one action: the `Response` message, plus the items of a list reply."""

    message: AmiMessage
    events: tuple[AmiMessage, ...] = ()
    complete: AmiMessage | None = None  # the `...Complete` event closing a list (has `ListItems`)

    @property
    def ok(self) -> bool:
        """True for `Response: Success` (and `Goodbye`/`Follows`), False for `Error`."""
        return (self.message.response or "").lower() in OK_RESPONSES

    @property
    def message_text(self) -> str:
        """Asterisk's `Message` header (e.g. `Added interface to queue`), or "" if absent."""
        return self.message.get("Message", "") or ""


@dataclass(eq=False)
class Pending:
    """An action sent (or to be sent again after a reconnect) whose reply is not complete yet."""

    action_id: str
    data: bytes
    future: asyncio.Future[AmiResponse]
    internal: bool  # login/ping: tied to one connection, never re-sent
    sent_on: Connection | None = None
    response: AmiMessage | None = None  # set while the items of a list reply are being collected
    events: list[AmiMessage] = field(default_factory=list)

    def on_response(self, message: AmiMessage) -> None:
        """The `Response` to the action: the whole reply, or the start of a list."""
        if message.event_list == "start":
            self.response = message
        else:
            self.future.set_result(AmiResponse(message))

    def on_list_item(self, message: AmiMessage) -> None:
        """One event of a list reply; the `...Complete` event finishes the reply."""
        assert self.response is not None
        if message.event_list in LIST_END:
            self.future.set_result(AmiResponse(self.response, tuple(self.events), message))
        elif len(self.events) >= MAX_LIST_EVENTS:
            self.future.set_exception(AmiProtocolError(f"AMI list reply over {MAX_LIST_EVENTS} items"))
        else:
            self.events.append(message)


class Connection:
    """One TCP connection to Asterisk and its decoder."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = AmiDecoder()
        self.banner: asyncio.Future[AmiBanner] = asyncio.get_running_loop().create_future()

    async def send(self, data: bytes) -> None:
        """Write and wait until the socket buffer drains."""
        self.writer.write(data)
        await self.writer.drain()

    async def close(self) -> None:
        """Close the socket; an error closing a dead one does not matter."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def send_quietly(conn: Connection, data: bytes) -> None:
    """Write; a dying socket is not the caller's problem: the action stays pending, re-sent after login."""
    try:
        await conn.send(data)
    except OSError as exc:
        log.debug("AMI write failed, will re-send after reconnect: %s", exc)
