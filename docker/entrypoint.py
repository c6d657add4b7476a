#!/opt/ivr/venv/bin/python
"""Container entrypoint: the image's ivr.yaml plus IVR__SECTION__KEY overrides from the environment.

How this works: the base config ($IVR_CONFIG, default /etc/ivr/ivr.yaml) is read, every environment
variable named IVR__<SECTION>__<KEY>[__<KEY>...] sets that key (lower-cased; the value is read as YAML,
so `false`, `2`, `[a:1, b:2]` and `null` keep their types; quote a value to force a string), and the
result is written to config/ivr.yaml under the working directory, the path every `ivr` command reads
by default. So `docker exec <worker> ivr reload` or `ivr users add` see the same config as the
service. Validation stays with `ivr serve` itself (strict: an unknown key names the override's key
path). Secrets are not config keys: IVR_AMI_SECRET, IVR_DATABASE_URL and IVR_WEB_SECRET (one
underscore) pass through untouched in the environment and are never written to disk.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

PREFIX = "IVR__"
BASE_CONFIG = Path(os.environ.get("IVR_CONFIG", "/etc/ivr/ivr.yaml"))
EFFECTIVE_CONFIG = Path("config/ivr.yaml")


def overrides(env: Mapping[str, str]) -> dict[tuple[str, ...], Any]:
    """Key path -> value for every IVR__A__B variable, sorted so the output is deterministic."""
    found: dict[tuple[str, ...], Any] = {}
    for name in sorted(env):
        if not name.startswith(PREFIX):
            continue
        path = tuple(part.lower() for part in name[len(PREFIX) :].split("__"))
        if not all(path):
            raise SystemExit(f"ivr-entrypoint: {name}: empty key (use IVR__SECTION__KEY)")
        try:
            found[path] = yaml.safe_load(env[name]) if env[name] != "" else ""
        except yaml.YAMLError as exc:
            raise SystemExit(f"ivr-entrypoint: {name}: not a YAML value: {exc}") from None
    return found


def apply(config: dict[str, Any], changes: Mapping[tuple[str, ...], Any]) -> dict[str, Any]:
    """Set each key path in a copy of config, creating the sections on the way."""
    result = yaml.safe_load(yaml.safe_dump(config))  # a deep copy of plain YAML data
    for path, value in changes.items():
        node = result
        for i, key in enumerate(path[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise SystemExit(f"ivr-entrypoint: {'.'.join(path[: i + 1])} is not a section")
            node = child
        node[path[-1]] = value
    return result


def write_effective_config(env: Mapping[str, str]) -> None:
    """Write config/ivr.yaml: the base file as it is, or re-rendered with the overrides."""
    changes = overrides(env)
    try:
        text = BASE_CONFIG.read_text("utf-8")
    except OSError as exc:
        raise SystemExit(f"ivr-entrypoint: cannot read the base config (IVR_CONFIG): {exc}") from None
    if changes:
        config = yaml.safe_load(text) or {}
        if not isinstance(config, dict):
            raise SystemExit(f"ivr-entrypoint: {BASE_CONFIG} is not a YAML mapping")
        header = "".join(f"# {PREFIX}{'__'.join(p).upper()} applied\n" for p in changes)
        text = f"# generated at start from {BASE_CONFIG}\n{header}" + yaml.safe_dump(
            apply(config, changes), sort_keys=False, allow_unicode=True
        )
    EFFECTIVE_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    tmp = EFFECTIVE_CONFIG.with_suffix(".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(EFFECTIVE_CONFIG)


def main(argv: list[str]) -> None:
    """Write the effective config, then exec the command (default: ivr serve)."""
    write_effective_config(os.environ)
    command = argv or ["ivr", "serve"]
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
