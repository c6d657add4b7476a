"""`ivr asterisk-config`: write (or check) the Asterisk files generated from the queue YAML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr.errors import ConfigError
from ivr.yamlconf import ConfigErrors
from queues.asterisk_conf import ServiceHints, stale_files, write_all
from queues.loader import load_queue_config

DEFAULT_QUEUES = Path("config/queues.yaml")
# Asterisk resolves the dialplan's relative #include/#tryinclude against its config folder, so the
# generated files work only there (next to extensions_ivr.conf), not in a folder of their own.
DEFAULT_OUT = Path("/etc/asterisk")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `ivr asterisk-config` (the lead mounts this as a sub-command)."""
    parser.add_argument(
        "--queues", type=Path, default=None, help="queue YAML (default: paths.queues of ivr.yaml)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"Asterisk's config folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if files differ")
    parser.add_argument(
        "--ami-permit",
        action="append",
        default=None,
        metavar="ADDR/MASK",
        help="network the AMI user may log in from (repeatable; default: the worker's host)",
    )
    parser.add_argument(
        "--callback-dial",
        default=None,
        metavar="TECH/{number}@TRUNK",
        help="dial string for callbacks, e.g. PJSIP/{number}@my-trunk",
    )
    parser.add_argument("--no-survey", action="store_true", help="no after-call survey in the dialplan")


def main_asterisk_config(args: argparse.Namespace) -> int:
    """Generate the files into args.out (or check them with args.check); 0 ok, 1 stale, 2 bad input."""
    try:
        service = _service_config(args)
        queues_path = args.queues or (Path(service.paths.queues) if service else DEFAULT_QUEUES)
        config = load_queue_config(queues_path)
        hints = _hints(args, service, queues_path)
    except (ConfigErrors, ConfigError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.check:
            return _report_stale(stale_files(config, args.out, service=hints))
        written = write_all(config, args.out, service=hints)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # most often: /etc/asterisk is writable only by root
        print(f"error: {exc.filename or args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"{args.out}: up to date")
    return 0


def _report_stale(stale: list[Path]) -> int:
    for path in stale:
        print(
            f"{path}: differs from the queue YAML (run `ivr asterisk-config` to regenerate)", file=sys.stderr
        )
    return 1 if stale else 0


def _service_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """ivr.yaml when `-c` was given or config/ivr.yaml exists; None otherwise (defaults apply)."""
    from ivr.config import load_service_config

    path = getattr(args, "config", None)
    path = Path(path) if path else Path("config/ivr.yaml")
    return load_service_config(path) if path.exists() else None


def _hints(args: argparse.Namespace, service: object, queues_path: Path) -> ServiceHints:
    overrides: dict[str, object] = {"source": queues_path.name, "survey": not args.no_survey}
    if args.ami_permit:
        overrides["ami_permit"] = tuple(args.ami_permit)
    if args.callback_dial:
        overrides["callback_dial"] = args.callback_dial
    if service is None:
        return ServiceHints(**overrides)  # type: ignore[arg-type]
    return ServiceHints.from_service(service, **overrides)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: `python -m queues.cli [-c ivr.yaml] [--out DIR] [--check]`."""
    parser = argparse.ArgumentParser(prog="ivr asterisk-config", description=__doc__)
    parser.add_argument("-c", "--config", default=None, help="ivr.yaml (default: config/ivr.yaml if present)")
    add_arguments(parser)
    return main_asterisk_config(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
