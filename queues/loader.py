"""Load config/queues.yaml: field validation by the models, then the checks across the file, with lines.

How this works: ivr.yamlconf validates the file into queues.schema.QueueConfig (types, ranges, unknown
keys). Then `cross_checks` compares the parts with each other (every reference names something that
exists, overflow has no loop, no interface is used twice...) and yields (key path, message) pairs; the
key paths are mapped to lines with the same line map the YAML loader builds. Every error is reported
at once. Queues that leave out display_name get their skill's.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.errors import ConfigError
from ivr.yamlconf import ConfigErrors, KeyPath, format_path, parse_with_lines, read_admin_text
from ivr.yamlsalvage import validate_salvaging
from queues.hours import weekly_ranges
from queues.schema import RESERVED_QUEUE_NAMES, QueueConfig, parse_days

if TYPE_CHECKING:
    from ivr.config import ServiceConfig

Problem = tuple[KeyPath, str]


def load_queue_config(path: Path) -> QueueConfig:
    """Read and validate the queue YAML; raises ConfigErrors (each `file:line: key.path: message`).

    A key with a schema error is left out (its default applies) for the checks across the file, so
    both kinds of error are reported in one run; with a required key broken only the first kind is.
    """
    data, lines = parse_with_lines(read_admin_text(path), str(path))
    checked = validate_salvaging(data, QueueConfig, lines, str(path))
    errors = checked.errors
    if checked.model is not None:
        errors = errors + checked.keep(
            [_error(path, problem, lines) for problem in cross_checks(checked.model)]
        )
    if errors:
        raise ConfigErrors(sorted(errors, key=lambda e: e.line or 0))
    return _with_display_names(checked.model)


def check_queues(path: Path) -> list[str]:
    """Every error in the queue YAML, formatted for `ivr check`; an empty list means the file is valid."""
    return [str(error) for error in queue_errors(path)]


def queue_errors(path: Path) -> list[ConfigError]:
    """Every error in the queue YAML as ConfigError objects."""
    try:
        load_queue_config(path)
    except ConfigErrors as exc:
        return list(exc.errors)
    except ConfigError as exc:
        return [exc]
    return []


def service_checker(config_path: Path, service: ServiceConfig) -> list[ConfigError]:
    """An `ivr.checks.EXTRA_CHECKERS` entry: the queue file named by ivr.yaml, and the fallback queue."""
    path = Path(service.paths.queues)
    if not path.exists():
        return []  # no queue file: the service runs with StaticRouter
    errors = queue_errors(path)
    if errors:
        return errors
    queues = load_queue_config(path)
    fallback = service.bot.fallback_queue
    if fallback not in queues.queues:
        message = f"fallback queue {fallback!r} is not a queue in {path} ({_known(queues.queues)})"
        return [ConfigError(str(config_path), "bot.fallback_queue", None, message)]
    return []


def cross_checks(config: QueueConfig) -> Iterator[Problem]:
    """Every inconsistency between parts of the file, as (key path, message)."""
    yield from _check_skills_and_queues(config)
    yield from _check_overflow(config)
    yield from _check_agents(config)
    yield from _check_vip(config)
    yield from _check_routing(config)
    yield from _check_penalty_rules(config)
    yield from _check_hours(config)


def _check_skills_and_queues(config: QueueConfig) -> Iterator[Problem]:
    seen: dict[tuple[str, str], str] = {}
    for name, queue in config.queues.items():
        where = ("queues", name)
        if name in RESERVED_QUEUE_NAMES:
            yield where, f"{name!r} is reserved by Asterisk's queues.conf; choose another name"
        if queue.name != name:
            yield (*where, "name"), f"the name is the key ({name!r}); leave 'name' out"
        if queue.skill not in config.skills:
            yield (*where, "skill"), f"unknown skill {queue.skill!r} ({_known(config.skills)})"
        pair = (queue.skill, queue.language)
        if pair in seen:
            yield where, f"queue {seen[pair]!r} already serves skill {pair[0]!r} in language {pair[1]!r}"
        seen.setdefault(pair, name)
        if queue.hours is not None and queue.hours not in config.hours:
            yield (*where, "hours"), f"unknown hours profile {queue.hours!r} ({_known(config.hours)})"
        if queue.penalty_rule is not None and queue.penalty_rule not in config.penalty_rules:
            known = _known(config.penalty_rules)
            yield (*where, "penalty_rule"), f"unknown penalty rule {queue.penalty_rule!r} ({known})"


def _check_overflow(config: QueueConfig) -> Iterator[Problem]:
    reported: set[str] = set()
    for name, queue in config.queues.items():
        if queue.overflow is None:
            continue
        where = ("queues", name, "overflow")
        if queue.overflow not in config.queues:
            yield where, f"unknown queue {queue.overflow!r} ({_known(config.queues)})"
        elif queue.overflow == name:
            yield where, "a queue cannot overflow to itself"
        else:
            cycle = _overflow_cycle(config, name)
            if cycle and name not in reported:
                reported.update(cycle)
                yield where, "overflow loops: " + " -> ".join([*cycle, cycle[0]])


def _overflow_cycle(config: QueueConfig, start: str) -> list[str] | None:
    """The queues of the overflow loop that `start` is part of, or None."""
    chain, current = [start], config.queues[start].overflow
    while current is not None and current in config.queues:
        if current == start:
            return chain
        if current in chain:
            return None  # a loop further down the chain, reported from one of its own queues
        chain.append(current)
        current = config.queues[current].overflow
    return None


def _check_agents(config: QueueConfig) -> Iterator[Problem]:
    interfaces: dict[str, str] = {}
    for agent_id, agent in config.agents.items():
        where = ("agents", agent_id)
        if agent.id != agent_id:
            yield (*where, "id"), f"the id is the key ({agent_id!r}); leave 'id' out"
        for skill in agent.skills:
            if skill not in config.skills:
                yield (*where, "skills", skill), f"unknown skill {skill!r} ({_known(config.skills)})"
        owner = interfaces.get(agent.interface)
        if owner is not None:
            yield (*where, "interface"), f"interface {agent.interface!r} is already agent {owner!r}'s"
        interfaces.setdefault(agent.interface, agent_id)
        if not config.queues_for_agent(agent_id):
            yield (*where, "skills"), "this agent qualifies for no queue (none has their skill and language)"


def _check_vip(config: QueueConfig) -> Iterator[Problem]:
    numbers: dict[str, int] = {}
    for index, rule in enumerate(config.vip.callers):
        where = ("vip", "callers", index)
        if rule.tier not in config.vip.tiers:
            yield (*where, "tier"), f"unknown tier {rule.tier!r} ({_known(config.vip.tiers)})"
        for position, number in enumerate(rule.numbers):
            if number in numbers and numbers[number] != index:
                yield (
                    (*where, "numbers", position),
                    f"{number!r} is already in vip.callers[{numbers[number]}]",
                )
            numbers.setdefault(number, index)


def _check_routing(config: QueueConfig) -> Iterator[Problem]:
    routing = config.routing
    for intent, skill in routing.intents.items():
        if skill not in config.skills:
            yield ("routing", "intents", intent), f"unknown skill {skill!r} ({_known(config.skills)})"
    if routing.default_skill not in config.skills:
        yield (
            ("routing", "default_skill"),
            f"unknown skill {routing.default_skill!r} ({_known(config.skills)})",
        )
    if routing.default_queue not in config.queues:
        yield (
            ("routing", "default_queue"),
            f"unknown queue {routing.default_queue!r} ({_known(config.queues)})",
        )
    languages = {queue.language for queue in config.queues.values()}
    if routing.default_language not in languages:
        yield ("routing", "default_language"), f"no queue serves language {routing.default_language!r}"
    for caller_language, queue_language in routing.languages.items():
        if queue_language not in languages:
            yield ("routing", "languages", caller_language), f"no queue serves language {queue_language!r}"
    for reason in routing.priorities.reasons:
        if not reason.replace("-", "").replace("_", "").isalnum():
            yield ("routing", "priorities", "reasons", reason), "a reason is a word like 'sensitive'"


def _check_penalty_rules(config: QueueConfig) -> Iterator[Problem]:
    for name, rule in config.penalty_rules.items():
        previous_after, previous_max = 0, rule.start_max_penalty
        for index, step in enumerate(rule.widen):
            where = ("penalty_rules", name, "widen", index)
            if step.after <= previous_after:
                yield (*where, "after"), f"must be later than the step before ({previous_after} s)"
            if step.max_penalty <= previous_max:
                yield (*where, "max_penalty"), f"must be above {previous_max}: each step widens the range"
            previous_after, previous_max = step.after, step.max_penalty


def _check_hours(config: QueueConfig) -> Iterator[Problem]:
    for name, profile in config.hours.items():
        owner: dict[int, str] = {}
        for spec in profile.weekly:
            for day in parse_days(spec):
                if day in owner:
                    yield ("hours", name, "weekly", spec), f"this day is already set by {owner[day]!r}"
                owner.setdefault(day, spec)
        overlapping = {
            owner[day]
            for day, ranges in enumerate(weekly_ranges(profile))
            if any(a[1] > b[0] for a, b in pairwise(ranges))
        }
        for spec in sorted(overlapping):
            yield ("hours", name, "weekly", spec), "opening ranges overlap"


def _with_display_names(config: QueueConfig) -> QueueConfig:
    """Queues without display_name take their skill's; a skill without one is named by its key."""
    queues = {}
    for name, queue in config.queues.items():
        names = queue.display_name or config.skills[queue.skill].display_name
        queues[name] = queue.model_copy(update={"display_name": names or {queue.language: queue.skill}})
    return config.model_copy(update={"queues": queues})


def _error(path: Path, problem: Problem, lines: dict[KeyPath, int]) -> ConfigError:
    key_path, message = problem
    line = next((lines[key_path[:end]] for end in range(len(key_path), -1, -1) if key_path[:end] in lines), 1)
    return ConfigError(str(path), format_path(key_path), line, message)


def _known(names: object) -> str:
    listed = ", ".join(sorted(names)) if names else "none defined"  # type: ignore[call-overload]
    return f"known: {listed}"
