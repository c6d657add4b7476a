"""The running service: Asterisk edges, shared engines and the live call sessions of this worker."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from asr.engine import AsrEngine
from ivr.admission import Admission, OverloadBot, check_busy_notice
from ivr.agi import AgiChannel
from ivr.agi.server import FastAgiServer
from ivr.audiosocket.server import AudioConnection, AudioSocketServer
from ivr.bot import Bot, CallInfo, EchoBot
from ivr.briefing import SCRIPT as BRIEFING_SCRIPT
from ivr.cluster.drain import drain_sessions
from ivr.cluster.link import KNOWLEDGE_CHANNEL
from ivr.cluster.pg import notify_async
from ivr.cluster.sqlite_claim import claim_sqlite
from ivr.cluster.wiring import make_link, worker_name
from ivr.config import ServiceConfig, parse_host_port
from ivr.errors import ConfigError
from ivr.health import readiness
from ivr.metrics import Metrics
from ivr.netguard import FdBudget, Limits, parse_allow
from ivr.prompts import CALL_RATE, make_synthesizer, static_prompts
from ivr.returning import return_request
from ivr.session import CallSession, SessionSettings
from ivr.storage.store import CallStore
from ivr.survey import SurveyBot, store_survey_score
from ivr.tasks import TaskRegistry
from ivr.wiring import (
    Acd,
    BotMaker,
    BotSource,
    load_configured_engine,
    load_flows,
    make_ami,
    make_briefings,
    speech_deps,
    start_desktop,
)

log = logging.getLogger(__name__)


@dataclass
class IvrService:
    """Owns the servers, the engines and the sessions; `start()` then `stop()`."""

    config: ServiceConfig
    # Where each call's bot comes from: the flows (default), or a fixed source given by tests and benchmarks.
    bot_source: BotSource | None = None
    sessions: dict[uuid.UUID, CallSession] = field(default_factory=dict)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    # Called with every finished session after the metrics (tests, benchmarks read its conversation stats).
    session_ended: list[Callable[[CallSession], None]] = field(default_factory=list)
    draining: bool = False  # set by drain() or stop(): /readyz fails and no new call is taken
    asr: AsrEngine | None = field(default=None, init=False)
    started: bool = field(default=False, init=False)
    # The stops of the started parts, in start order: stop() unwinds them in reverse.
    _parts: contextlib.AsyncExitStack = field(
        default_factory=contextlib.AsyncExitStack, init=False, repr=False
    )

    async def start(self) -> None:
        """Build every part after what it needs; a failure half-way stops what was started, in reverse."""
        async with contextlib.AsyncExitStack() as stack:
            await self._build(stack)
            self._parts = stack.pop_all()  # stop() unwinds these
        self.started = True
        log.info(
            "ivr listening: FastAGI %s:%d, AudioSocket %s:%d (advertised as %s)",
            self.config.listen.host,
            self.agi.port,
            self.config.listen.host,
            self.audio.port,
            self.audiosocket_address,
        )

    async def _build(self, stack: contextlib.AsyncExitStack) -> None:
        """The composition root: each part is started here and its stop pushed on `stack`."""
        cfg = self.config
        # Checked first: a bad IVR_WEB_SECRET is a clear start-up error, not a failure half-way.
        from ivr.web.auth import check_secret

        if cfg.web.enabled:
            check_secret()
        claim = claim_sqlite(cfg.database_url())  # SQLite: this worker alone, or a clear error
        if claim is not None:
            stack.callback(claim.release)
        self.store = await CallStore.open(
            cfg.database_url(), journal=Path(cfg.paths.journal), worker=worker_name(cfg)
        )
        stack.push_async_callback(self.store.close)
        await self.store.close_orphans(before=datetime.now(UTC))
        # Cached for the process (asr.loader): the next service of this process reuses the model.
        self.asr = await asyncio.to_thread(load_configured_engine, cfg)
        self.admission = Admission(
            self.asr.load, max_calls=cfg.bot.max_calls, max_backlog=cfg.asr.max_backlog
        )
        self.metrics = Metrics()
        self.metrics.track_decoders(self.asr.load.backlog_seconds, lambda: self.asr.load.pending)
        self.metrics.track_pending_writes(lambda: self.store.pending_writes)
        self.flows = load_flows(cfg) if self.bot_source is None else None
        self.bots = self.bot_source or BotMaker(self.flows, self._echo_bot)
        await self.bots.refresh_knowledge(self.store)
        self.tts = make_synthesizer(cfg)
        await self.tts.start()
        stack.push_async_callback(self.tts.close)
        await self.tts.warm(self._static_prompts(), rate=CALL_RATE, progress=False)
        notice = await self.tts.synthesize(cfg.bot.busy_notice, cfg.asr.language, CALL_RATE)
        check_busy_notice(notice, CALL_RATE)  # cached by warm(): no synthesis here
        self.speech = speech_deps(cfg, self.asr, self.tts)
        await self._listen(stack)
        self.ami = make_ami(cfg)
        self.acd = await Acd.build(cfg, self.store, self.ami, self.metrics)
        if self.acd.monitor is not None:
            stack.callback(self.acd.monitor.stop)
        self.tasks = TaskRegistry()  # every background task of the service, cancelled before what it uses
        stack.push_async_callback(self.tasks.close)
        if self.ami is not None:  # connect only now: the monitor's on_connect resync must see the 1st login
            stack.push_async_callback(self.ami.close)
            self.tasks.spawn(self.ami.run(), name="ami-client")
        if self.acd.monitor is not None:
            self.tasks.spawn(self.acd.monitor.run(), name="queues")
        self.cluster = make_link(self)  # PostgreSQL: the duty lease, worker registry, reload notices
        if self.cluster is not None:
            self.tasks.spawn(self.cluster.run(), name="cluster")
        self.briefings = make_briefings(self)
        self.web = await start_desktop(self, self.fd_budget) if cfg.web.enabled else None
        if self.web is not None:
            stack.push_async_callback(self.web.stop)
        self.idle.set()

    @staticmethod
    def freeze_startup_heap() -> None:
        """Keep what start-up loaded out of the collector's full passes (call once the service runs)."""
        # Models, flows, prompts and modules live as long as the process. Without this every full
        # collection walks them all: 50-80 ms measured with 24 calls, every call's frames held that long.
        gc.collect()
        gc.freeze()

    async def _listen(self, stack: contextlib.AsyncExitStack) -> None:
        """Open the FastAGI and AudioSocket listeners."""
        cfg = self.config
        self.fd_budget = FdBudget()
        call_limits = Limits(
            cfg.listen.max_connections, cfg.listen.max_per_peer, parse_allow(cfg.listen.allow), reserve_fds=32
        )
        self.agi = FastAgiServer(
            self._handle_agi,
            scripts=self._scripts(),
            header_timeout=cfg.agi.header_timeout,
            command_timeout=cfg.agi.command_timeout,
            limits=call_limits,
            budget=self.fd_budget,
        )
        await self.agi.start(cfg.listen.host, cfg.listen.fastagi_port)
        stack.push_async_callback(self.agi.close)
        self.audio = AudioSocketServer(
            self._handle_audio,
            is_expected=self._is_expected,
            limits=replace(call_limits, reserve_fds=8),  # a stream belongs to a call already admitted
            budget=self.fd_budget,
        )
        await self.audio.start(cfg.listen.host, cfg.listen.audiosocket_port)
        stack.push_async_callback(self.audio.close)
        advertised_host, advertised_port = parse_host_port(cfg.listen.audiosocket_advertise)
        if cfg.listen.audiosocket_port == 0:
            advertised_port = self.audio.port
        self.audiosocket_address = f"{advertised_host}:{advertised_port}"

    async def readiness(self) -> dict:
        """Whether this worker can take a call now, check by check (served on /readyz)."""
        return await readiness(self)

    async def drain(self, seconds: float) -> None:
        """Graceful stop, step 1: no new calls; calls in progress get `seconds`, then go to a person.

        The FastAGI listener closes at once, so Asterisk's connect fails and the dialplan tries the next
        worker. A call still running at the deadline hears the transfer notice after its current turn and
        goes to the queue it would be routed to (ivr.cluster.drain; a survey just ends). Returns when no
        call is left (or after a grace period for the notices); `stop()` then flushes storage.
        """
        self.draining = True
        await self.agi.stop_listening()
        if self.cluster is not None:  # another worker takes the cluster duties over within a period
            with contextlib.suppress(TimeoutError):
                await self.cluster.resign()
        log.info("draining: %d calls in progress, new calls go to the other workers", len(self.sessions))
        await drain_sessions(
            self.sessions, self.idle, self.acd.router, self.config.bot.fallback_queue, seconds
        )

    async def stop(self) -> None:
        """Hand the calls still running to a person, then stop every part in reverse order.

        Without a drain first, the calls get no grace: each hears the transfer notice after its current
        turn and goes to the queue it would be routed to (ivr.cluster.drain). A call still there after the
        notice grace loses its AGI connection; the dialplan then queues it to the fallback queue
        (AGISTATUS without IVR_ACTION), so a stop never drops anyone.
        """
        if self.started and not self.draining:
            self.draining = True
            await self.agi.stop_listening()
            await drain_sessions(self.sessions, self.idle, self.acd.router, self.config.bot.fallback_queue, 0)
        self.started = False
        await self._parts.aclose()

    # ----- edges -> sessions ----------------------------------------------------------------------

    async def reload(self) -> list[str]:
        """Load changed flow and queue YAML; a broken file is refused and the running version stays."""
        report: list[str] = []
        if self.flows is not None:
            result = self.flows.reload()
            if not result.ok:
                report += [f"flows not reloaded: {e}" for e in result.errors]
            elif result.changed_files:
                report.append(f"flows version {result.version}: {', '.join(result.changed_files)}")
                self.agi.set_scripts(self._scripts())
                await self.tts.warm(self._static_prompts(), rate=CALL_RATE, progress=False)
        try:
            self.acd.reload_queues(self.config)
            report.append("queues reloaded")
        except ConfigError as exc:
            report.append(f"queues not reloaded: {exc}")
        for line in report or ["nothing changed"]:
            (log.error if "not reloaded" in line else log.info)("reload: %s", line)
        return report

    def _scripts(self) -> list[str]:
        """FastAGI script names answered: the hotline, the survey, and every `hotlines:` name of the flows."""
        names = [self.config.agi.script, self.config.agi.survey_script, BRIEFING_SCRIPT]
        if self.flows is not None:
            names += [h for flow in self.flows.current().flows.values() for h in flow.spec.hotlines]
        return names

    def _static_prompts(self) -> list[tuple[str, str]]:
        """Every fixed sentence of the config and the current flows, for the prompt cache."""
        return static_prompts(self.config, self.flows.current() if self.flows is not None else None)

    def _echo_bot(self, call: CallInfo) -> Bot:
        """The bot without flow files: echo and hand over."""
        return EchoBot(greeting=self.config.bot.greeting, fallback_queue=self.config.bot.fallback_queue)

    def _make_bot(self, call: CallInfo, hotline: str | None = None) -> Bot:
        """A fresh bot for one call."""
        return self.bots.make(call, self.acd.router, hotline)

    async def _handle_agi(self, channel: AgiChannel) -> None:
        """One FastAGI request = one call session (the hotline, or the after-call survey)."""
        script = channel.env.script
        if script == BRIEFING_SCRIPT:  # a warm hand-off on an agent's phone, not a call of the bot
            return await self.briefings.run(channel)
        survey_for, refused, speech = None, None, self.speech
        back = return_request(channel.env.args)  # a caller sent back to the bot by an agent
        if back is not None and back.mode == "survey":
            survey_for, back = back.call_uuid, None
        if script == self.config.agi.survey_script:  # keypad only: never refused
            survey_for = channel.env.args[0] if channel.env.args else None
        if survey_for is not None:
            bot_factory = lambda call: SurveyBot(for_call=survey_for)  # noqa: E731
        else:
            refused = self.admission.admit()
            self.metrics.admission(refused)
            bot_factory = functools.partial(self._make_bot, hotline=script)
        if refused is not None:  # the notice, then the fallback queue; no recogniser (see ivr.admission)
            busy = OverloadBot(self.config.bot.busy_notice, self.config.bot.fallback_queue, refused)
            bot_factory, speech = (lambda call: busy), dataclasses.replace(speech, recognise=False)
        session = CallSession(
            channel,
            store=self.store,
            speech=speech,
            bot_factory=bot_factory,
            settings=SessionSettings(
                audiosocket_address=self.audiosocket_address,
                fallback_queue=self.config.bot.fallback_queue,
                max_call_seconds=self.config.bot.max_call_seconds,
                audio_stall_seconds=self.config.bot.audio_stall_seconds,
                uuid_variable="IVR_SURVEY_UUID" if survey_for is not None else "IVR_CALL_UUID",
            ),
            on_finished=self._forget,
            on_callback=self.acd.request_callback if self.acd.scheduler is not None else None,
            returning=back,
        )
        self.sessions[session.call_uuid] = session
        self.idle.clear()
        self.metrics.call_started()
        try:
            await session.run()
        finally:
            if survey_for is None and refused is None:
                self.admission.release()
        if survey_for is not None:
            await self._store_survey(session, survey_for)

    async def _store_survey(self, session: CallSession, call_uuid: str) -> None:
        """Keep the caller's keypad rating with the call that was rated."""
        score = session.outcome.survey_score if session.outcome else None
        self.metrics.survey(score)
        if score is not None:
            await store_survey_score(self.store, call_uuid, score)

    def active_calls(self) -> list[dict]:
        """The calls in the bot right now on every worker, for the supervisor view."""
        return self.own_calls() + (self.cluster.peer_calls() if self.cluster is not None else [])

    async def knowledge_published(self) -> None:
        """An admin published an entry here: reload it, and tell the other workers to (NOTIFY)."""
        await self.bots.refresh_knowledge(self.store)
        if self.cluster is not None:
            await notify_async(self.store.engine, KNOWLEDGE_CHANNEL)

    def own_calls(self) -> list[dict]:
        """The calls in the bot on this worker."""
        worker = self.cluster.name if self.cluster is not None else None
        return [
            {
                "worker": worker,
                "call_uuid": str(s.call_uuid),
                "caller_number": s.channel.env.caller_number,
                "caller_name": s.channel.env.caller_name,
                "language": getattr(s.bot, "language", None) or s.channel.env.language,
                "started_at": s.started_at.isoformat(),
                "intent": getattr(s.bot, "intent", None),
            }
            for s in list(self.sessions.values())
            if s.outcome is None and hasattr(s, "started_at")
        ]

    def _forget(self, session: CallSession) -> None:
        """Drop a finished session; `idle` is set when none is left."""
        self.sessions.pop(session.call_uuid, None)
        self._count_finished(session)
        for observer in self.session_ended:
            observer(session)
        if not self.sessions:
            self.idle.set()

    def _count_finished(self, session: CallSession) -> None:
        """Metrics of a finished call: outcome, transfer reason, turn latencies, barge-ins."""
        outcome = session.outcome
        self.metrics.call_ended(
            session.stored_outcome or "failed",
            outcome.reason if outcome else session.end_reason,
            outcome.queue if outcome else None,
        )
        if session.conversation is not None:
            stats = session.conversation.stats
            for latency in stats.turn_latencies:
                self.metrics.turn(latency)
            for _ in stats.barge_in_reactions:
                self.metrics.barge_in()

    def _is_expected(self, call_uuid: uuid.UUID) -> bool:
        """Whether an AudioSocket UUID belongs to a call of this worker."""
        return call_uuid in self.sessions or self.briefings.expects(call_uuid)

    async def _handle_audio(self, conn: AudioConnection) -> None:
        """Give Asterisk's audio connection to the session that announced its UUID."""
        if self.briefings.expects(conn.uuid):
            return await self.briefings.attach(conn)
        session = self.sessions.get(conn.uuid)
        if session is None:  # the call ended between the check and now
            return
        await session.attach_audio(conn)
