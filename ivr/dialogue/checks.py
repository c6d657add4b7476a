"""`ivr check` for the flow files: every error as `file:line: key.path: message`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ivr.dialogue.registry import load_flowset
from ivr.errors import ConfigError, format_errors
from ivr.yamlconf import ConfigErrors


def flow_errors(path: Path) -> list[ConfigError]:
    """Every error in the flow folder `path` (or a single flow file); empty when all is valid."""
    try:
        if path.is_file():
            from ivr.dialogue.loader import load_spec

            load_spec(path)
        else:
            load_flowset(path, version=1)
    except ConfigErrors as exc:
        return list(exc.errors)
    except ConfigError as exc:
        return [exc]
    return []


def check_flows(path: Path) -> list[str]:
    """Every error in the flow folder (or file) formatted `file:line: key.path: message`."""
    errors = flow_errors(path)
    return format_errors(errors).splitlines() if errors else []


def flow_checker(config_path: Path, config: Any) -> list[ConfigError]:
    """An ivr.checks.Checker: the flows of `config.paths.flows` (relative to the working directory).

    A folder without flow files is not an error: the service then runs the echo bot (ivr.wiring).
    """
    folder = Path(config.paths.flows)
    if not folder.is_dir() or not any(folder.glob("*.yaml")):
        return []
    return flow_errors(folder)
