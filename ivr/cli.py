"""The `ivr` command: serve, check, call, models, prompts, db."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from ivr.errors import ConfigError, StartupError
from ivr.pidfile import pidfile, read_pid

DEFAULT_CONFIG = Path("config/ivr.yaml")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ivr` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["models", "download"]:  # its own parser, so `--help` and options reach it whole
        from asr.models import main_download

        return main_download(argv[2:])
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    from ivr.logthrottle import RepeatFilter

    # Repeated lines are counted, not written: no input can fill the disk with the log. The filter sits on
    # our own handler only, never on handlers someone else installed (a test runner's capture, say).
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RepeatFilter())
    logging.basicConfig(level=args.log_level or "INFO", handlers=[handler])
    # Alembic logs every migration step at INFO on every start; only its warnings matter to an admin.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from asr.engine import ModelLoadError
    from tts.errors import TtsError

    try:
        return args.handler(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (ModelLoadError, TtsError, StartupError) as exc:  # start-up failures an admin fixes: no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    """All subcommands and their options."""
    parser = argparse.ArgumentParser(prog="ivr", description="Hotline voicebot for Asterisk")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING... (default INFO)")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the FastAGI and AudioSocket servers (the bot)")
    _config_option(serve)
    serve.set_defaults(handler=_cmd_serve)

    reload = sub.add_parser("reload", help="validate the flow and queue YAML, then make `ivr serve` load it")
    _config_option(reload)
    reload.set_defaults(handler=_cmd_reload)

    check = sub.add_parser("check", help="validate every YAML file the service would load")
    _config_option(check)
    check.set_defaults(handler=_cmd_check)

    call = sub.add_parser("call", help="place a test call through the built-in fake PBX")
    call.add_argument("wavs", nargs="*", type=Path, help="what the caller says, one WAV per utterance")
    call.add_argument("--host", default="127.0.0.1", help="where `ivr serve` runs (default 127.0.0.1)")
    call.add_argument("--agi-port", type=int, default=4573)
    call.add_argument("--digits", default="", help="keypad digits pressed after the last utterance")
    call.add_argument("--pause", type=float, default=4.0, help="seconds of silence after each utterance")
    call.add_argument("--speed", type=float, default=1.0, help="1 = real time, 0 = as fast as possible")
    call.add_argument(
        "--max-seconds", type=float, default=120.0, help="the caller hangs up if the bot has not by then"
    )
    call.add_argument("--caller", default="5551234", help="caller number")
    call.add_argument("--caller-name", default="Test Caller")
    _config_option(call)
    call.set_defaults(handler=_cmd_call)

    models = sub.add_parser("models", help="speech model management")
    models_sub = models.add_subparsers(dest="models_command")
    # `ivr models download ...` is dispatched in main() to asr.models.main_download (its own options).
    models_sub.add_parser("download", help="download, check and unpack a Vosk model (NAME --help)")
    listing = models_sub.add_parser("list", help="known Vosk models")
    listing.set_defaults(handler=_cmd_models_list)

    prompts = sub.add_parser("prompts", help="prompt cache")
    prompts_sub = prompts.add_subparsers(dest="prompts_command")
    warm = prompts_sub.add_parser("warm", help="synthesise every static prompt into the cache")
    _config_option(warm)
    warm.set_defaults(handler=_cmd_prompts_warm)

    asterisk = sub.add_parser(
        "asterisk-config", help="write queues.conf, queuerules.conf, dialplan and AMI user"
    )
    _config_option(asterisk)
    from queues.cli import add_arguments as asterisk_arguments

    asterisk_arguments(asterisk)
    asterisk.set_defaults(handler=_cmd_asterisk_config)

    users = sub.add_parser("users", help="agent desktop users: add, list, passwd, disable")
    _config_option(users)
    from ivr.web.users_cli import add_arguments as users_arguments

    users_arguments(users)
    users.set_defaults(handler=_cmd_users)

    db = sub.add_parser("db", help="database")
    db_sub = db.add_subparsers(dest="db_command")
    upgrade = db_sub.add_parser("upgrade", help="apply the schema migrations")
    _config_option(upgrade)
    upgrade.set_defaults(handler=_cmd_db_upgrade)
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    """The --config option every service command shares."""
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help=f"service config (default {DEFAULT_CONFIG}; built-in defaults if missing)",
    )


def _load_config(path: Path):
    """The service config, or the embedded defaults when the default file is absent."""
    from ivr.config import ServiceConfig, load_service_config

    if not path.exists() and path == DEFAULT_CONFIG:
        logging.getLogger(__name__).info("no %s: using the built-in defaults", path)
        return ServiceConfig()
    return load_service_config(path)


def _refused(path: Path, consequence: str) -> bool:
    """Check every YAML the config names; on errors print them and `consequence` and return True."""
    from ivr.checks import check_all, format_errors

    errors = check_all(path, defaults_if_missing=path == DEFAULT_CONFIG)
    if errors:
        print(format_errors(errors), file=sys.stderr)
        print(consequence, file=sys.stderr)
    return bool(errors)


def _cmd_serve(args: argparse.Namespace) -> int:
    """Run the service until SIGINT/SIGTERM."""
    from ivr.service import IvrService

    if _refused(args.config, "refusing to start: fix the errors above (`ivr check` shows them)"):
        return 2
    config = _load_config(args.config)
    if args.log_level is None:
        logging.getLogger().setLevel(config.log_level)

    async def run() -> None:
        service = IvrService(config)
        await service.start()
        service.freeze_startup_heap()
        stop, force = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_stop_signal() -> None:  # the first signal drains, a second one stops at once
            (force if stop.is_set() else stop).set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_stop_signal)

        def on_sighup() -> None:
            service.tasks.spawn(service.reload(), name="ivr-reload")

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        with pidfile(config.paths.pidfile):
            print("ivr is running; Ctrl-C stops it, `ivr reload` (SIGHUP) reloads the YAML", flush=True)
            await stop.wait()
            await _drain(service, config.cluster.drain_timeout, force)
            await service.stop()

    asyncio.run(run())
    return 0


async def _drain(service, seconds: float, force: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    """Drain the service unless a second signal asks to stop now (the dialplan then queues the callers)."""
    draining = asyncio.ensure_future(service.drain(seconds))
    forced = asyncio.ensure_future(force.wait())
    try:
        await asyncio.wait({draining, forced}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (draining, forced):
            task.cancel()
        await asyncio.gather(draining, forced, return_exceptions=True)


def _cmd_reload(args: argparse.Namespace) -> int:
    """Refuse broken YAML here (with file:line: key), else SIGHUP the running service."""
    if _refused(args.config, "not reloaded: the running service keeps its current version"):
        return 1
    config = _load_config(args.config)
    from ivr.cluster.pg import is_postgres

    if is_postgres(config.database_url()):
        return _notify_reload(config.database_url())
    try:
        pid = read_pid(config.paths.pidfile)
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        print(f"error: cannot signal the service ({config.paths.pidfile}): {exc}", file=sys.stderr)
        return 2
    print(f"reload sent to ivr (pid {pid}); its log says what changed")
    return 0


def _notify_reload(url: str) -> int:
    """PostgreSQL: NOTIFY every worker of the cluster (each reloads the YAML on its own disk)."""
    import psycopg

    from ivr.cluster.link import RELOAD_CHANNEL
    from ivr.cluster.pg import notify
    from ivr.storage.urls import redact

    try:
        workers = notify(url, RELOAD_CHANNEL)
    except psycopg.Error as exc:
        print(f"error: cannot reach the database {redact(url)} to notify the workers: {exc}", file=sys.stderr)
        return 2
    print(f"reload sent to every worker ({workers} running); their logs say what changed")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    """Validate all admin YAML; non-zero exit with file:line: key: message lines on errors."""
    from ivr.checks import check_all, format_errors

    missing = args.config == DEFAULT_CONFIG and not args.config.exists()
    errors = check_all(args.config, defaults_if_missing=missing)
    if errors:
        print(format_errors(errors), file=sys.stderr)
        return 1
    print(f"{args.config}: not found, the built-in defaults: ok" if missing else f"{args.config}: ok")
    return 0


def _cmd_call(args: argparse.Namespace) -> int:
    """Place one call through the fake PBX and print the conversation."""
    from ivr.fakepbx.cli_call import run_call

    return asyncio.run(run_call(args, _load_config(args.config)))


def _cmd_models_list(args: argparse.Namespace) -> int:
    """Print the catalogue of known Vosk models."""
    from asr.models import main_download

    return main_download(["--list"])


def _cmd_prompts_warm(args: argparse.Namespace) -> int:
    """Synthesise every static prompt into the cache, with a progress bar."""
    from ivr.wiring import warm_prompts

    report = asyncio.run(warm_prompts(_load_config(args.config), progress=True))
    print(f"{report.synthesised} synthesised, {report.cached} already cached, {len(report.failed)} failed")
    for text, language, error in report.failed:
        print(f"  failed [{language}] {text!r}: {error}", file=sys.stderr)
    return 1 if report.failed else 0


def _cmd_asterisk_config(args: argparse.Namespace) -> int:
    """Generate the Asterisk side from config/queues.yaml (deterministic; --check for drift)."""
    from queues.cli import main_asterisk_config

    return main_asterisk_config(args)


def _cmd_users(args: argparse.Namespace) -> int:
    """Manage the desktop's users in the configured database."""
    from ivr.web.users_cli import main_users
    from queues.loader import load_queue_config

    config = _load_config(args.config)
    queues = Path(config.paths.queues)
    agents = set(load_queue_config(queues).agents) if queues.exists() else None
    return main_users(args, database_url=config.database_url(), agents=agents, agents_source=str(queues))


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the Alembic migrations to the configured database."""
    from ivr.storage import upgrade_database

    config = _load_config(args.config)
    upgrade_database(config.database_url())
    print("database schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
