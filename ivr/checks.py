"""Logic of `ivr check`: load ivr.yaml and every other admin YAML the service would load.

The flow and queue loaders plug in later by appending to EXTRA_CHECKERS; each checker gets the path
of ivr.yaml and the loaded ServiceConfig (whose `paths` say where the other files are) and returns
the errors it found. Only config errors are collected; a checker that crashes is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ivr.config import ServiceConfig, load_service_config
from ivr.errors import ConfigError
from ivr.yamlconf import ConfigErrors

Checker = Callable[[Path, ServiceConfig], list[ConfigError]]

# Extra checkers (tests, plug-ins) run after the built-in flow and queue checkers.
EXTRA_CHECKERS: list[Checker] = []


def builtin_checkers() -> list[Checker]:
    """The flow (dialplan/*.yaml) and queue (config/queues.yaml) checkers; imported late (they import us)."""
    from ivr.dialogue.checks import flow_checker
    from queues.loader import service_checker

    return [flow_checker, service_checker]


def check_all(config_path: Path, checkers: Iterable[Checker] | None = None) -> list[ConfigError]:
    """Every error in ivr.yaml, then in each file a checker loads; an empty list means all is valid."""
    try:
        config = load_service_config(config_path)
    except ConfigErrors as exc:
        return list(exc.errors)
    except ConfigError as exc:
        return [exc]
    errors: list[ConfigError] = []
    for checker in [*builtin_checkers(), *EXTRA_CHECKERS] if checkers is None else checkers:
        errors.extend(_run(checker, config_path, config))
    return errors


def _run(checker: Checker, config_path: Path, config: ServiceConfig) -> list[ConfigError]:
    """One checker's errors, whether it returns them or raises them."""
    try:
        return list(checker(config_path, config))
    except ConfigErrors as exc:
        return list(exc.errors)
    except ConfigError as exc:
        return [exc]


def format_errors(errors: Iterable[ConfigError]) -> str:
    """One `file:line: key.path: message` line per error (no trailing newline)."""
    return "\n".join(_format_one(e) for e in errors)


def _format_one(error: ConfigError) -> str:
    """`file:line: key.path: message`, leaving out the line or path when unknown."""
    where = f"{error.file}:{error.line}" if error.line is not None else error.file
    return f"{where}: {error.key_path or '<root>'}: {error.message}"
