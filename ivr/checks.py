"""Logic of `ivr check`: load ivr.yaml and every other admin YAML the service would load.

Each checker gets the path of ivr.yaml and the loaded ServiceConfig (whose `paths` say where the other
files are) and returns the errors it found: the flows, the queues, the speech model. Errors in ivr.yaml
do not stop the others: they run with the valid rest of it (broken keys at their defaults), so one run
lists every error of every file. Only config errors are collected; a checker that crashes is a bug.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ivr.config import ServiceConfig
from ivr.errors import ConfigError, format_errors  # noqa: F401  (format_errors: re-exported)
from ivr.yamlconf import ConfigErrors, KeyPath, parse_with_lines, read_admin_text
from ivr.yamlsalvage import validate_salvaging

Checker = Callable[[Path, ServiceConfig], list[ConfigError]]

# Extra checkers (tests, plug-ins) run after the built-in flow, queue and model checkers.
EXTRA_CHECKERS: list[Checker] = []


def builtin_checkers() -> list[Checker]:
    """The flows (dialplan/*.yaml), the queue YAML and the ASR model; imported late (they import us)."""
    from ivr.dialogue.checks import flow_checker
    from queues.loader import service_checker

    return [flow_checker, service_checker, model_checker]


def check_all(
    config_path: Path, checkers: Iterable[Checker] | None = None, *, defaults_if_missing: bool = False
) -> list[ConfigError]:
    """Every error in ivr.yaml, then in each file a checker loads; an empty list means all is valid.

    With `defaults_if_missing`, an absent ivr.yaml means the embedded defaults (as `ivr serve` does).
    """
    errors: list[ConfigError] = []
    if defaults_if_missing and not config_path.exists():
        config: ServiceConfig | None = ServiceConfig()
    else:
        try:
            data, lines = parse_with_lines(read_admin_text(config_path), str(config_path))
        except ConfigErrors as exc:
            return list(exc.errors)
        checked = validate_salvaging(data, ServiceConfig, lines, str(config_path))
        config, errors = checked.model, list(checked.errors)
    if config is None:
        return errors
    for checker in [*builtin_checkers(), *EXTRA_CHECKERS] if checkers is None else checkers:
        errors.extend(_run(checker, config_path, config))
    return errors


def model_checker(config_path: Path, config: ServiceConfig) -> list[ConfigError]:
    """The ASR model `ivr serve` would load exists and is valid (it is looked up, not loaded)."""
    from asr.engine import ModelLoadError
    from asr.registry import resolve_model
    from asr.sounds_like import near_misses

    def at(key: KeyPath, exc: ModelLoadError) -> list[ConfigError]:
        return [ConfigError(str(config_path), ".".join(key), _line_of(config_path, key), str(exc))]

    asr = config.asr
    try:
        models = Path(config.paths.models)
        model = resolve_model(asr.engine, asr.model, language=asr.language, models_dir=models)
    except ModelLoadError as exc:
        return at(("asr", "model") if asr.model is not None else ("asr", "engine"), exc)
    if asr.engine == "whisper":
        try:  # the near-miss table ("auto", "off" or a file) loads as the engine would load it
            near_misses(asr.sounds_like, model, asr.language)
        except ModelLoadError as exc:
            return at(("asr", "sounds_like"), exc)
    return []


def _line_of(path: Path, key: KeyPath) -> int | None:
    """The line of `key` (or of its nearest parent) in a YAML file; None when the file does not exist."""
    try:
        _, lines = parse_with_lines(read_admin_text(path), str(path))
    except ConfigErrors:
        return None
    return next((lines[key[:n]] for n in range(len(key), 0, -1) if key[:n] in lines), None)


def _run(checker: Checker, config_path: Path, config: ServiceConfig) -> list[ConfigError]:
    """One checker's errors, whether it returns them or raises them."""
    try:
        return list(checker(config_path, config))
    except ConfigErrors as exc:
        return list(exc.errors)
    except ConfigError as exc:
        return [exc]
