"""The queue YAML (config/queues.yaml) as strict, frozen models: skills, queues, agents, VIP, routing.

Field checks live here (names, ranges, patterns); checks that compare one part of the file with another
(an agent's skill must exist, overflow must not loop...) live in queues.loader, which knows the lines.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from ivr.yamlconf import StrictModel

# Queue, skill, rule and hours names end up as queues.conf sections and dialplan extensions.
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
AgentId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]
Text = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]{1,200}$")]  # one line: it is echoed in comments
# Written into `member =>` lines: no field separators, comment or section characters.
MemberName = Annotated[str, Field(pattern=r"^[^,;\[\]\r\n\"\\]{1,80}$")]
Interface = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9_.@+/:-]{1,80}$")]
SoundFile = Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_/-]{0,79}$")]
# A caller number, optionally ending in `*` to match every number with that prefix.
NumberPattern = Annotated[str, Field(pattern=r"^\+?[0-9]{1,20}\*?$")]
Priority = Annotated[int, Field(ge=0, le=100)]
Penalty = Annotated[int, Field(ge=0, le=9)]
Level = Annotated[int, Field(ge=1, le=10)]

STRATEGIES = ("ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "rrordered", "linear", "wrandom")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESERVED_QUEUE_NAMES = frozenset({"general"})
WARM_MODES = ("off", "briefing", "briefing+acceptance")
# Members of warm hand-off queues are Local channels into this generated context (config/QUEUES.md).
WARM_AGENT_CONTEXT = "ivr-agent"


def penalty_for_level(level: int) -> int:
    """Skill level 10 (expert) is penalty 0, level 1 is penalty 9: lower penalties ring first."""
    return 10 - level


def parse_days(spec: str) -> tuple[int, ...]:
    """`mon-fri`, `sat`, `daily`, `mon,wed` → weekday numbers (Monday 0); ValueError when malformed."""
    if spec == "daily":
        return tuple(range(7))
    days: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"{spec!r} is not a day, a day range or 'daily' (days: {', '.join(DAY_NAMES)})")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if end < start:
            raise ValueError(f"{part!r}: the range must run forward within one week (mon-sun)")
        days.extend(range(start, end + 1))
    if len(set(days)) != len(days):
        raise ValueError(f"{spec!r} names a day twice")
    return tuple(days)


def parse_time_range(text: str) -> tuple[int, int]:
    """`08:30-17:00` → minutes after midnight (510, 1020); `24:00` ends a day; ValueError when malformed."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} must look like '08:00-17:30'")
    first, last = _minutes(start.strip()), _minutes(end.strip())
    if last <= first:
        raise ValueError(f"{text!r}: the end must be after the start (split overnight hours over two days)")
    return first, last


def _minutes(text: str) -> int:
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(f"{text!r} is not a time like 08:00")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise ValueError(f"{text!r} is not a time between 00:00 and 24:00")
    return value


def _check_days(spec: str) -> str:
    parse_days(spec)
    return spec


def _check_range(text: str) -> str:
    parse_time_range(text)
    return text


def _check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like 'Asia/Shanghai')") from None
    return name


DaySpec = Annotated[str, AfterValidator(_check_days)]
TimeRange = Annotated[str, AfterValidator(_check_range)]


class Skill(StrictModel):
    """A topic agents are trained for; display_name is what the bot calls a specialist of it."""

    display_name: dict[Language, Text] = Field(default_factory=dict)
    description: Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f]{0,200}$")] = ""


class HoursProfile(StrictModel):
    """Opening hours: a weekly timetable in one time zone, and holidays when it stays closed."""

    timezone: Annotated[str, AfterValidator(_check_timezone)]
    weekly: dict[DaySpec, list[TimeRange]]
    holidays: list[date] = Field(default_factory=list)


class Widen(StrictModel):
    """After `after` seconds in the queue, agents with a penalty up to `max_penalty` may take the call."""

    after: Annotated[int, Field(ge=1, le=86400)]
    max_penalty: Penalty


class PenaltyRule(StrictModel):
    """Experts first: callers start at `start_max_penalty`; each step widens the range (queuerules.conf)."""

    start_max_penalty: Penalty = 0
    widen: Annotated[list[Widen], Field(min_length=1, max_length=20)]


class Announcements(StrictModel):
    """What app_queue plays while the caller waits (the bot already announced the expected wait)."""

    position: bool = False
    holdtime: bool | Literal["once"] = False
    frequency: Annotated[int, Field(ge=0, le=3600)] = 0
    periodic: Annotated[list[SoundFile], Field(max_length=10)] = Field(default_factory=list)
    periodic_frequency: Annotated[int, Field(ge=0, le=3600)] = 60
    music_class: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = "default"
    to_agent: SoundFile | None = None  # played to the agent on answer, to tell the queues apart


class Queue(StrictModel):
    """One Asterisk queue: a skill in a language, with its timing, overflow, hours and wait limits."""

    name: Name
    skill: Name
    language: Language
    display_name: dict[Language, Text] = Field(default_factory=dict)  # filled from the skill when left out
    strategy: Literal[STRATEGIES] = "leastrecent"  # type: ignore[valid-type]
    ring_timeout: Annotated[int, Field(ge=5, le=300)] = 15
    retry: Annotated[int, Field(ge=0, le=60)] = 5
    wrapup: Annotated[int, Field(ge=0, le=3600)] = 0
    max_wait: Annotated[int, Field(ge=10, le=86400)] = 600
    max_callers: Annotated[int, Field(ge=0, le=10000)] = 0  # 0 = no limit
    overflow: Name | None = None
    when_empty: Literal["overflow", "wait"] = "overflow"
    hours: Name | None = None  # a profile under `hours:`; none = always open
    penalty_rule: Name | None = None
    # Seconds of expected wait above which the bot offers a callback; None = never offer.
    callback_threshold: Annotated[int, Field(ge=0, le=86400)] | None = None
    weight: Annotated[int, Field(ge=0, le=100)] = 0
    service_level: Annotated[int, Field(ge=0, le=3600)] = 60
    announce: Announcements = Field(default_factory=Announcements)
    # Warm hand-off: the answering agent hears a spoken briefing before the caller is connected and, with
    # acceptance, presses 1 (take), 2 (back to the bot) or 3 (pass); `accept_seconds` to decide.
    warm_handoff: Literal[WARM_MODES] = "off"  # type: ignore[valid-type]
    accept_seconds: Annotated[int, Field(ge=2, le=30)] = 5

    @property
    def warm(self) -> bool:
        """True when the agent is briefed before the caller is connected."""
        return self.warm_handoff != "off"


class Agent(StrictModel):
    """A person who takes calls: the phone Asterisk rings, their skills (level 1-10) and languages."""

    id: AgentId
    name: MemberName
    interface: Interface
    state_interface: Interface | None = None  # device whose state app_queue watches; default: interface
    skills: Annotated[dict[Name, Level], Field(min_length=1)]
    languages: Annotated[list[Language], Field(min_length=1)]
    login: Literal["static", "desktop"] = "desktop"

    @property
    def device(self) -> str:
        """The interface whose device state tells whether this agent is free."""
        return self.state_interface or self.interface


class VipTier(StrictModel):
    """A caller tier and the priority it adds."""

    priority: Priority


class VipCallers(StrictModel):
    """Caller numbers (exact, or prefixes ending in `*`) that belong to a tier."""

    numbers: Annotated[list[NumberPattern], Field(min_length=1)]
    tier: Name


class VipConfig(StrictModel):
    """Tiers with their priority, and which caller numbers are in which tier."""

    tiers: dict[Name, VipTier] = Field(default_factory=dict)
    callers: list[VipCallers] = Field(default_factory=list)


class PriorityConfig(StrictModel):
    """Base priority by transfer reason (e.g. sensitive: 1); VIP tiers add to it."""

    default: Priority = 0
    reasons: dict[Annotated[str, Field(min_length=1, max_length=40)], Priority] = Field(default_factory=dict)


class RoutingConfig(StrictModel):
    """From the dialogue's intent and language to a skill, and the queue of last resort."""

    default_skill: Name = "support"
    default_language: Language = "en"
    default_queue: Name
    intents: dict[Annotated[str, Field(min_length=1, max_length=60)], Name] = Field(default_factory=dict)
    languages: dict[Language, Language] = Field(
        default_factory=dict
    )  # caller language → queue language (e.g. yue: zh)
    priorities: PriorityConfig = Field(default_factory=PriorityConfig)


class QueueConfig(StrictModel):
    """The whole queue YAML."""

    skills: Annotated[dict[Name, Skill], Field(min_length=1)]
    hours: dict[Name, HoursProfile] = Field(default_factory=dict)
    penalty_rules: dict[Name, PenaltyRule] = Field(default_factory=dict)
    queues: Annotated[dict[Name, Queue], Field(min_length=1)]
    agents: dict[AgentId, Agent] = Field(default_factory=dict)
    vip: VipConfig = Field(default_factory=VipConfig)
    routing: RoutingConfig

    @model_validator(mode="before")
    @classmethod
    def _names_from_keys(cls, data: Any) -> Any:
        """Queues and agents are keyed by name/id in YAML; copy the key into the model."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section, field in (("queues", "name"), ("agents", "id")):
            items = data.get(section)
            if isinstance(items, dict):
                data[section] = {
                    key: ({field: key, **value} if isinstance(value, dict) and field not in value else value)
                    for key, value in items.items()
                }
        return data

    def queue_for(self, skill: str, language: str) -> Queue | None:
        """The queue serving this skill in this language, if there is one."""
        for queue in self.queues.values():
            if queue.skill == skill and queue.language == language:
                return queue
        return None

    def members(self, queue_name: str) -> list[tuple[Agent, int]]:
        """Agents qualified for a queue (its skill and language) with their penalty, by penalty then id."""
        queue = self.queues[queue_name]
        found = [
            (agent, penalty_for_level(agent.skills[queue.skill]))
            for agent in self.agents.values()
            if queue.skill in agent.skills and queue.language in agent.languages
        ]
        return sorted(found, key=lambda pair: (pair[1], pair[0].id))

    def queues_for_agent(self, agent_id: str) -> list[tuple[str, int]]:
        """(queue, penalty) for every queue the agent is qualified for, by queue name."""
        agent = self.agents[agent_id]
        return [
            (queue.name, penalty_for_level(agent.skills[queue.skill]))
            for queue in sorted(self.queues.values(), key=lambda q: q.name)
            if queue.skill in agent.skills and queue.language in agent.languages
        ]

    def interface_of(self, agent_id: str) -> str | None:
        """The Asterisk interface of an agent (for QueueAdd and the desktop), None if unknown."""
        agent = self.agents.get(agent_id)
        return agent.interface if agent else None

    def member_interface(self, agent_id: str, queue_name: str) -> str:
        """The interface app_queue rings for this agent in this queue: a Local channel in warm queues."""
        queue = self.queues.get(queue_name)
        if queue is not None and queue.warm:
            return f"Local/{agent_id}@{WARM_AGENT_CONTEXT}/n"
        return self.agents[agent_id].interface

    def agent_of(self, interface: str) -> str | None:
        """The agent id ringing on an interface (AgentCalled's Interface or StateInterface)."""
        local = re.fullmatch(rf"Local/([^@]+)@{WARM_AGENT_CONTEXT}(/n)?", interface)
        if local is not None and local.group(1) in self.agents:
            return local.group(1)
        for agent in self.agents.values():
            if interface in (agent.interface, agent.state_interface):
                return agent.id
        return None
