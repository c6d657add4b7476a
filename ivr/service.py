"""The running service: Asterisk edges, shared engines and the live call sessions of this worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from asr.endpointer import params_for
from asr.engine import AsrEngine, load_engine
from ivr.agi import AgiChannel
from ivr.agi.server import FastAgiServer
from ivr.ami.client import AmiClient
from ivr.audiosocket.server import AudioConnection, AudioSocketServer
from ivr.bot import Bot, CallInfo, EchoBot
from ivr.config import ServiceConfig, parse_host_port
from ivr.conversation import SpeechDeps
from ivr.prompts import CALL_RATE, make_synthesizer, static_prompts
from ivr.session import CallSession, SessionSettings
from ivr.storage.store import CallStore

log = logging.getLogger(__name__)


@dataclass
class IvrService:
    """Owns the servers, the engines and the sessions; `start()` then `stop()`."""

    config: ServiceConfig
    bot_factory: Callable[[], Bot] | None = None  # a fixed bot for every call (tests, benchmarks)
    bot_for_call: Callable[[CallInfo], Bot] | None = None  # a bot chosen per call (caller memory tests)
    asr: AsrEngine | None = None
    sessions: dict[uuid.UUID, CallSession] = field(default_factory=dict)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    # Called with every finished session (metrics, tests, benchmarks read its conversation stats).
    on_session_end: Callable[[CallSession], None] | None = None

    async def start(self) -> None:
        """Open storage, load the models, warm the prompts and start listening."""
        cfg = self.config
        self.store = await CallStore.open(cfg.database_url())
        if self.asr is None:
            self.asr = await asyncio.to_thread(
                load_engine,
                cfg.asr.engine,
                cfg.asr.model,
                language=cfg.asr.language,
                threads=cfg.asr.threads,
                models_dir=Path(cfg.paths.models),
            )
        self.tts = make_synthesizer(cfg)
        await self.tts.start()
        await self.tts.warm(static_prompts(cfg), rate=CALL_RATE, progress=False)
        self.speech = SpeechDeps(
            asr=self.asr,
            tts=self.tts,
            endpointing=params_for(cfg.asr.endpointing, cfg.asr.endpointing_overrides),
            vad_aggressiveness=cfg.asr.vad_aggressiveness,
            barge_in=cfg.bot.barge_in,
            min_barge_in=cfg.bot.min_barge_in,
        )
        self.agi = FastAgiServer(
            self._handle_agi,
            scripts=[cfg.agi.script],
            header_timeout=cfg.agi.header_timeout,
            command_timeout=cfg.agi.command_timeout,
        )
        await self.agi.start(cfg.listen.host, cfg.listen.fastagi_port)
        self.audio = AudioSocketServer(self._handle_audio, is_expected=self._is_expected)
        await self.audio.start(cfg.listen.host, cfg.listen.audiosocket_port)
        advertised_host, advertised_port = parse_host_port(cfg.listen.audiosocket_advertise)
        if cfg.listen.audiosocket_port == 0:
            advertised_port = self.audio.port
        self.audiosocket_address = f"{advertised_host}:{advertised_port}"
        self.ami: AmiClient | None = None
        self._ami_task: asyncio.Task | None = None
        secret = cfg.ami.secret()
        if cfg.ami.enabled and secret:
            self.ami = AmiClient(cfg.ami.host, cfg.ami.port, cfg.ami.username, secret, auth=cfg.ami.auth)
            self._ami_task = asyncio.get_running_loop().create_task(self.ami.run(), name="ami-client")
        elif cfg.ami.enabled:
            log.warning("AMI is enabled but IVR_AMI_SECRET is not set: queue events and screen-pops are off")
        self.idle.set()
        log.info(
            "ivr listening: FastAGI %s:%d, AudioSocket %s:%d (advertised as %s)",
            cfg.listen.host,
            self.agi.port,
            cfg.listen.host,
            self.audio.port,
            self.audiosocket_address,
        )

    async def stop(self) -> None:
        """Stop accepting calls and close everything.

        Calls still in progress lose their AGI connection; the dialplan then queues those callers to the
        fallback queue (AGISTATUS without IVR_ACTION), so a restart never drops anyone.
        """
        await self.agi.close()
        await self.audio.close()
        if self.ami is not None:
            await self.ami.close()
        if self._ami_task is not None:
            self._ami_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ami_task
        await self.tts.close()
        await self.store.close()

    # ----- edges -> sessions ----------------------------------------------------------------------

    def _make_bot(self, call: CallInfo) -> Bot:
        """A fresh bot for one call."""
        if self.bot_for_call is not None:
            return self.bot_for_call(call)
        if self.bot_factory is not None:
            return self.bot_factory()
        return EchoBot(greeting=self.config.bot.greeting, fallback_queue=self.config.bot.fallback_queue)

    async def _handle_agi(self, channel: AgiChannel) -> None:
        """One FastAGI request = one call session."""
        session = CallSession(
            channel,
            store=self.store,
            speech=self.speech,
            bot_factory=self._make_bot,
            settings=SessionSettings(
                audiosocket_address=self.audiosocket_address,
                fallback_queue=self.config.bot.fallback_queue,
                max_call_seconds=self.config.bot.max_call_seconds,
            ),
            on_finished=self._forget,
        )
        self.sessions[session.call_uuid] = session
        self.idle.clear()
        await session.run()

    def _forget(self, session: CallSession) -> None:
        """Drop a finished session; `idle` is set when none is left."""
        self.sessions.pop(session.call_uuid, None)
        if self.on_session_end is not None:
            self.on_session_end(session)
        if not self.sessions:
            self.idle.set()

    def _is_expected(self, call_uuid: uuid.UUID) -> bool:
        """Whether an AudioSocket UUID belongs to a call of this worker."""
        return call_uuid in self.sessions

    async def _handle_audio(self, conn: AudioConnection) -> None:
        """Give Asterisk's audio connection to the session that announced its UUID."""
        session = self.sessions.get(conn.uuid)
        if session is None:  # the call ended between the check and now
            return
        await session.attach_audio(conn)
