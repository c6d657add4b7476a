"""The parts of the service around the call path: engines, flows, ACD (queues, AMI monitor, callbacks,
presence), the agent desktop and metrics. IvrService (the composition root) builds them with these
functions and owns their lifetime; they see the service only through the `ServiceParts` Protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from asr.endpointer import params_for
from asr.engine import AsrEngine
from asr.loader import load_engine
from ivr.ami.client import AmiClient
from ivr.asterisk_check import watch_asterisk
from ivr.bot import Bot, Callback, CallInfo
from ivr.briefing import KEY_PROMPTS, BriefingDesk
from ivr.config import ServiceConfig
from ivr.conversation import SpeechDeps
from ivr.dialogue import catalog
from ivr.dialogue.engine import FlowBot
from ivr.dialogue.knowledge import KnowledgeEntry
from ivr.dialogue.registry import FlowRegistry
from ivr.metrics import Metrics
from ivr.netguard import FdBudget, Limits
from ivr.prompts import CALL_RATE, make_synthesizer, static_prompts
from ivr.routing import Router, StaticRouter
from ivr.storage.knowledge_store import KnowledgeStore
from ivr.storage.records import StorageUnavailable
from ivr.storage.store import CallStore
from ivr.storage.urls import is_sqlite
from ivr.tasks import TaskRegistry
from queues.ami_bridge import QueueMonitor
from queues.call_control import AmiCallControl
from queues.callbacks import CallbackPolicy, CallbackScheduler
from queues.events import AgentAnswered, CallerAbandoned, QueueEvent
from queues.live import LiveQueues
from queues.loader import load_queue_config
from queues.presence import AgentPresence, PresenceResult, identity_from_agent
from queues.routing import QueueRouter
from queues.schema import QueueConfig
from queues.transfer_timings import TransferTimings
from tts.service import Synthesizer, WarmReport

if TYPE_CHECKING:  # imported when the desktop starts: a service without it never loads aiohttp's app
    from ivr.web.app import WebServer

log = logging.getLogger(__name__)


class BotSource(Protocol):
    """Where each call's bot comes from (BotMaker from the flows; tests and benchmarks bring their own)."""

    def make(self, call: CallInfo, router: Router, hotline: str | None) -> Bot:
        """A fresh bot for one call."""
        ...

    async def refresh_knowledge(self, store: CallStore) -> None:
        """Reload what admins published on the desktop."""
        ...


class ServiceParts(Protocol):
    """What the builders below read from the service once its earlier parts are started."""

    config: ServiceConfig
    store: CallStore
    tts: Synthesizer
    metrics: Metrics
    acd: Acd
    flows: FlowRegistry | None
    audiosocket_address: str
    tasks: TaskRegistry

    def active_calls(self) -> list[dict]:
        """The calls in the bot right now on every worker."""
        ...

    async def knowledge_published(self) -> None:
        """An admin published a knowledge entry."""
        ...

    async def readiness(self) -> dict:
        """The /readyz checks."""
        ...


def load_configured_engine(config: ServiceConfig) -> AsrEngine:
    """The ASR engine of the `asr:` section (blocking: run it in a thread)."""
    asr = config.asr
    return load_engine(
        asr.engine,
        asr.model,
        language=asr.language,
        threads=asr.threads,
        workers=asr.workers,
        nice=asr.decoder_nice,
        beam_size=asr.beam_size,
        alternatives=asr.alternatives,
        beam_text=asr.beam_text,
        sounds_like=asr.sounds_like,
        models_dir=Path(config.paths.models),
    )


def speech_deps(config: ServiceConfig, asr: AsrEngine, tts: Synthesizer) -> SpeechDeps:
    """What every call's conversation hears and speaks with."""
    return SpeechDeps(
        asr=asr,
        tts=tts,
        endpointing=params_for(config.asr.endpointing, config.asr.endpointing_overrides),
        vad_aggressiveness=config.asr.vad_aggressiveness,
        barge_in=config.bot.barge_in,
        min_barge_in=config.bot.min_barge_in,
    )


def make_ami(config: ServiceConfig) -> AmiClient | None:
    """The AMI client (not connected yet), or None when AMI is off or has no secret."""
    secret = config.ami.secret()
    if config.ami.enabled and secret:
        ami = AmiClient(config.ami.host, config.ami.port, config.ami.username, secret, auth=config.ami.auth)
        watch_asterisk(ami)  # modules and dialplan contexts, checked at every AMI login
        return ami
    if config.ami.enabled:
        log.warning("AMI is enabled but IVR_AMI_SECRET is not set: queue events and screen-pops are off")
    return None


def load_flows(config: ServiceConfig) -> FlowRegistry | None:
    """The flow registry of paths.flows; None (echo bot) when the folder has no flow file."""
    folder = Path(config.paths.flows)
    if not folder.is_dir() or not any(folder.glob("*.yaml")):
        log.warning(
            "no flow files in %s: the bot only echoes and hands over (see dialplan/README.md)", folder
        )
        return None
    return FlowRegistry.load(folder)  # ConfigErrors propagate: `ivr serve` refuses broken flows


async def warm_prompts(config: ServiceConfig, *, progress: bool = True) -> WarmReport:
    """Synthesise every static prompt of the config and the flows that is not cached yet."""
    synthesizer = make_synthesizer(config)
    await synthesizer.start()
    try:
        registry = load_flows(config)
        flows = registry.current() if registry is not None else None
        return await synthesizer.warm(static_prompts(config, flows), rate=CALL_RATE, progress=progress)
    finally:
        await synthesizer.close()


def load_queues(config: ServiceConfig) -> QueueConfig | None:
    """The queue configuration of paths.queues; None when the file does not exist."""
    path = Path(config.paths.queues)
    if not path.exists():
        log.warning("no %s: every transfer goes to a queue named after its skill", path)
        return None
    return load_queue_config(path)


def make_router(queues: QueueConfig | None, live: LiveQueues, fallback_queue: str) -> Router:
    """Skill routing with live state when queues are configured, else skill name = queue name."""
    if queues is None:
        return StaticRouter(fallback_queue)
    return QueueRouter(queues, status=live)


@dataclass
class DeskPresence:
    """The desktop's presence calls (agent id only) on top of queues' AgentPresence (agent + queues)."""

    presence: AgentPresence
    router: QueueRouter

    async def login(self, agent_id: str) -> PresenceResult:
        """Add the agent to every queue their skills give them, with the skill's penalty."""
        return await self.presence.login(agent_id, self.router.queues_for_agent(agent_id))

    async def logout(self, agent_id: str) -> PresenceResult:
        """Remove the agent from their queues."""
        return await self.presence.logout(agent_id)

    async def pause(self, agent_id: str, reason: str) -> PresenceResult:
        """Pause the agent in their queues."""
        return await self.presence.pause(agent_id, reason)

    async def resume(self, agent_id: str) -> PresenceResult:
        """Unpause the agent."""
        return await self.presence.resume(agent_id)


@dataclass
class Acd:
    """Queue routing and everything fed by AMI."""

    queues: QueueConfig | None
    live: LiveQueues
    router: Router
    ami: AmiClient | None = None
    monitor: QueueMonitor | None = None
    scheduler: CallbackScheduler | None = None
    presence: DeskPresence | None = None
    calls: AmiCallControl | None = None  # back to the bot (desktop, warm briefing)

    @classmethod
    async def build(
        cls, config: ServiceConfig, store: CallStore, ami: AmiClient | None, metrics: Metrics
    ) -> Acd:
        """Routing from the queue YAML; with AMI also the monitor, callbacks and agent presence."""
        queues = load_queues(config)
        live = LiveQueues()
        acd = cls(queues, live, make_router(queues, live, config.bot.fallback_queue), ami)
        if ami is None:
            return acd
        # On PostgreSQL only the holder of the cluster's duty lease dials (ivr.cluster takes it over).
        clustered = not is_sqlite(config.database_url())
        acd.scheduler = CallbackScheduler(ami, store, live, CallbackPolicy(), active=not clustered)
        try:
            restored = await acd.scheduler.restore()
            if restored:
                log.info("%d callback requests restored", restored)
        except StorageUnavailable:
            log.warning("callback requests could not be restored: the database is unavailable")
        acd.calls = AmiCallControl(ami)
        acd.monitor = QueueMonitor(ami, store, live, TransferTimings(), acd.scheduler)
        acd.monitor.subscribe(queue_metrics(metrics))
        acd.monitor.start()
        acd._build_presence()
        return acd

    def _build_presence(self) -> None:
        """Desktop login/pause for the agents of the queue YAML (needs AMI and a queue config)."""
        if self.ami is not None and self.queues is not None and isinstance(self.router, QueueRouter):
            presence = AgentPresence(self.ami, queue_directory(self.queues), self.live)
            if self.presence is None:
                self.presence = DeskPresence(presence, self.router)
            else:  # the desktop holds this object: update it in place
                self.presence.presence, self.presence.router = presence, self.router

    def reload_queues(self, config: ServiceConfig) -> None:
        """Swap in a changed queue YAML (ConfigErrors leave the running one); new calls route with it."""
        self.queues = load_queues(config)
        self.router = make_router(self.queues, self.live, config.bot.fallback_queue)
        self._build_presence()

    async def request_callback(self, action: Callback, call: CallInfo) -> None:
        """The Conversation's on_callback hook: store the request, which keeps the caller's place."""
        if self.scheduler is None:
            raise RuntimeError("callbacks need AMI")
        ticket = await self.scheduler.request(
            call.call_uuid,
            action.number,
            action.queue,
            action.priority,
            action.reason,
            action.summary,
            action.context,
        )
        log.info(
            "call %s: callback %s requested at position %s",
            call.call_uuid,
            ticket.callback_id,
            ticket.position,
        )


def queue_directory(queues: QueueConfig | None):
    """Agent id -> AgentIdentity (interface, name) from the queue YAML."""

    def lookup(agent_id: str):
        agent = queues.agents.get(agent_id) if queues is not None else None
        if agent is None:
            return None
        warm = {q: queues.member_interface(agent_id, q) for q, _ in queues.queues_for_agent(agent_id)}
        return identity_from_agent(agent, {q: i for q, i in warm.items() if i != agent.interface})

    return lookup


def queue_metrics(metrics: Metrics):
    """An ACD event stream subscriber counting answered and abandoned queue calls with their waits."""

    def on_event(event: QueueEvent) -> None:
        queue = event.queue or "unknown"
        wait = _seconds(event.extra.get("HoldTime"))
        if isinstance(event, AgentAnswered):
            metrics.queue_answered(queue, wait)
        elif isinstance(event, CallerAbandoned):
            metrics.queue_abandoned(queue, wait)

    return on_event


def _seconds(value: str | None) -> float:
    """An AMI seconds field, 0 when missing or garbled."""
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


@dataclass
class BotMaker:
    """Builds the bot of each new call from the current flow version (pinned for the call's lifetime)."""

    flows: FlowRegistry | None
    fallback_bot: Callable[[CallInfo], Bot]  # used without flows
    published: list[KnowledgeEntry] = field(default_factory=list)

    def make(self, call: CallInfo, router: Router, hotline: str | None) -> Bot:
        """A FlowBot for the hotline's flow, with the published knowledge-base entries added."""
        if self.flows is None:
            return self.fallback_bot(call)
        flow = self.flows.current().flow_for(hotline)
        knowledge = flow.knowledge().with_entries(self.published) if self.published else None
        return FlowBot(flow, router=router, knowledge=knowledge, now=lambda: datetime.now(UTC))

    async def refresh_knowledge(self, store: CallStore) -> None:
        """Reload the entries admins published on the desktop; the next call uses them."""
        try:
            self.published = await KnowledgeStore(store.session_factory).published_entries()
        except Exception as exc:  # a database outage keeps the entries already loaded
            log.warning("published knowledge not refreshed: %s", type(exc).__name__)


def make_briefings(service: ServiceParts) -> BriefingDesk:
    """The warm hand-off briefings (FastAGI script `briefing`), with the flow's key prompt."""
    flows = service.flows

    def key_prompt(language: str) -> str:
        spec = flows.current().flow_for(None).spec if flows is not None else None
        found = catalog.message(spec, "briefing_keys", language) if spec is not None else None
        return found or KEY_PROMPTS.get(language, KEY_PROMPTS["en"])

    return BriefingDesk(
        store=service.store,
        tts=service.tts,
        audiosocket_address=service.audiosocket_address,
        calls=service.acd.calls,
        agent_of=lambda i: service.acd.queues.agent_of(i) if service.acd.queues else None,
        key_prompt=key_prompt,
        on_offer=service.metrics.warm_offer,
    )


async def start_desktop(service: ServiceParts, budget: FdBudget) -> WebServer:
    """The agent desktop on listen.desktop_port, wired to the service's store, AMI and queues."""
    from ivr.storage.desk import DeskStore
    from ivr.web.app import WebServer, make_app
    from ivr.web.auth import secret_from_env
    from ivr.web.deps import WebDeps

    cfg = service.config
    acd: Acd = service.acd
    deps = WebDeps(
        store=service.store,
        desk=DeskStore(service.store.session_factory),
        queue_events=acd.monitor,
        calls=service.acd.calls,
        presence=acd.presence,
        live=acd.live,
        active_calls=service.active_calls,
        interface_of=(lambda a: service.acd.queues.interface_of(a) if service.acd.queues else None),
        agent_of=(lambda i: service.acd.queues.agent_of(i) if service.acd.queues else None),
        on_knowledge_published=service.knowledge_published,
        metrics=service.metrics,
        readiness=service.readiness,
        tasks=service.tasks,
    )
    app = make_app(
        deps,
        secret=secret_from_env(),
        secure_cookies=cfg.web.secure_cookies,
        trusted_proxies=tuple(cfg.web.trusted_proxies),
    )
    # The desktop keeps a quarter of the descriptors free: idle browsers never crowd out a call.
    limits = Limits(cfg.web.max_connections, cfg.web.max_per_peer, reserve_fds=max(64, budget.limit // 4))
    server = WebServer(app, limits=limits, budget=budget)
    await server.start(cfg.listen.host, cfg.listen.desktop_port)
    log.info("agent desktop on http://%s:%d/", cfg.listen.host, server.port)
    return server
