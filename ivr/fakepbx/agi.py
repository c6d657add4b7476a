"""Fake Asterisk, FastAGI client side: sends the captured environment and answers commands like res_agi.c.

How this works: `AsteriskAgiPeer` is the sans-IO part. It renders the environment in the exact
order and format of the captures, splits command lines with Asterisk's own quoting rules, and
builds each reply from a channel-variable dict. `hangup()` marks the channel dead. Asterisk writes
`HANGUP` as soon as it notices: right after the reply of a command that was running (EXEC
AudioSocket in caller-hangup), or, when idle, just before the reply to the next command. A server
that reads one line per command therefore sees exactly the capture: `HANGUP` in place of the next
reply and every later reply shifted by one.
Dead channels answer ANSWER, STREAM FILE, WAIT FOR DIGIT, GET DATA, CHANNEL STATUS with 511.
`FakeAgiClient` is the asyncio shell: it connects like Asterisk, awaits `exec_hook` for EXEC,
and ends when the server closes the socket.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ivr.agi.quoting import MAX_COMMAND_BYTES, split_command
from ivr.errors import RemoteProtocolError

ExecHook = Callable[[str, str], Awaitable[int]]

# Field order and defaults exactly as in tests/fixtures/asterisk-captures/*/fastagi.txt.
CAPTURED_ENV: dict[str, str] = {
    "network": "yes",
    "network_script": "hotline",
    "request": "agi://127.0.0.1:4573/hotline",
    "channel": "Local/100@hotline-00000000;2",
    "language": "en",
    "type": "Local",
    "uniqueid": "1795272894.1",
    "version": "GIT-master-f0c1c1a7b7",
    "callerid": "5551234",
    "calleridname": "Test Caller",
    "callingpres": "0",
    "callingani2": "0",
    "callington": "0",
    "callingtns": "0",
    "dnid": "unknown",
    "rdnis": "unknown",
    "context": "hotline",
    "extension": "100",
    "priority": "3",
    "enhanced": "0.0",
    "accountcode": "",
    "threadid": "140355646904000",
}

USAGE_HEAD = "520-Invalid command syntax.  Proper usage follows:"
USAGE_TAIL = "520 End of proper usage."
REPLY_510 = "510 Invalid or unknown command"
REPLY_511 = "511 Command Not Permitted on a dead channel or intercept routine"


@dataclass(frozen=True)
class _Spec:
    """One AGI command: its keywords, allowed word counts, whether it runs on a dead channel, syntax."""

    keywords: tuple[str, ...]
    min_words: int
    max_words: int
    dead_ok: bool
    syntax: str


_COMMANDS = (
    _Spec(("ANSWER",), 1, 1, False, "ANSWER"),
    _Spec(("CHANNEL", "STATUS"), 2, 3, False, "CHANNEL STATUS [channelname]"),
    _Spec(("EXEC",), 2, 3, True, "EXEC <application> <options>"),
    _Spec(("GET", "DATA"), 3, 5, False, "GET DATA <file to be streamed> [timeout] [maxdigits]"),
    _Spec(("GET", "VARIABLE"), 3, 3, True, "GET VARIABLE <variablename>"),
    _Spec(("HANGUP",), 1, 2, True, "HANGUP [channelname]"),
    _Spec(("NOOP",), 1, 64, True, "NOOP"),
    _Spec(("SET", "VARIABLE"), 4, 4, True, "SET VARIABLE <variablename> <value>"),
    _Spec(("STREAM", "FILE"), 4, 5, False, "STREAM FILE <filename> <escape_digits> [sample offset]"),
    _Spec(("VERBOSE",), 2, 3, True, "VERBOSE <message> <level>"),
    _Spec(("WAIT", "FOR", "DIGIT"), 4, 4, False, "WAIT FOR DIGIT <timeout>"),
)


def environment_fields(fields: Mapping[str, object] | None = None) -> dict[str, str]:
    """Captured defaults overlaid with `fields` (agi names without prefix; `script`, `args` accepted)."""
    given = dict(fields or {})
    script = str(given.pop("script", given.get("network_script", CAPTURED_ENV["network_script"])))
    args = [str(a) for a in given.pop("args", ())]  # type: ignore[attr-defined]
    env = dict(CAPTURED_ENV)
    env["network_script"] = script
    env["request"] = f"agi://127.0.0.1:4573/{script}"
    env.update({k: str(v) for k, v in given.items()})
    if not script:
        del env["network_script"]  # Asterisk omits the line when the URL has no script
    env.update({f"arg_{i}": a for i, a in enumerate(args, start=1)})
    return env


def channel_env(
    script: str, channel: str, uniqueid: str, caller: tuple[str, str], args: Sequence[str], **more: object
) -> dict[str, object]:
    """The fields of one channel's AGI() call: script, channel and its technology, ids, caller, args."""
    number, name = caller
    env: dict[str, object] = {"script": script, "channel": channel, "type": channel.split("/", 1)[0]}
    env.update(uniqueid=uniqueid, callerid=number, calleridname=name, **more)
    return {**env, "args": list(args)}


@dataclass
class AgiOutcome:
    """What one AGI session left on its channel: AGISTATUS, the variables set and the commands sent."""

    agi_status: str
    variables: dict[str, str]
    commands: list[str]


def audiosocket_target(args: str, override: tuple[str, int] | None) -> tuple[str, str, int]:
    """(uuid text, host, port) of `EXEC AudioSocket <uuid>,<host:port>`; `override` replaces the address."""
    call_uuid, _, address = args.partition(",")
    host, _, port = address.rpartition(":")
    if override is not None:
        host, port = override
    return call_uuid.strip(), host.strip("[]"), int(port)


def render_environment(env: Mapping[str, str]) -> bytes:
    """The environment block as Asterisk writes it: `agi_name: value` lines and an empty line."""
    return b"".join(f"agi_{k}: {v}\n".encode() for k, v in env.items()) + b"\n"


class AsteriskAgiPeer:
    """Asterisk's half of one AGI session, sans-IO: command bytes in, reply bytes out."""

    def __init__(
        self, env: Mapping[str, object] | None = None, *, variables: Mapping[str, str] | None = None
    ):
        self.env = environment_fields(env)
        self.variables: dict[str, str] = {
            "CHANNEL": self.env["channel"],
            "UNIQUEID": self.env["uniqueid"],
            "CALLERID(num)": self.env["callerid"],
            "CALLERID(name)": self.env["calleridname"],
            **(variables or {}),
        }
        self.commands: list[str] = []
        self.sent: list[bytes] = []
        self.dead = False
        self._in_flight = 0  # commands handed out by feed() and not answered yet
        self._hangup_before = self._hangup_after = False
        self._buf = bytearray()

    def environment(self) -> bytes:
        """The opening environment block (recorded in `sent`)."""
        data = render_environment(self.env)
        self.sent.extend(data.splitlines(keepends=True))
        return data

    def feed(self, data: bytes) -> list[list[str]]:
        """Take bytes from the server and return each complete command split into words."""
        self._buf += data
        out: list[list[str]] = []
        while (end := self._buf.find(b"\n")) != -1:
            line = bytes(self._buf[:end]).decode("utf-8", errors="replace")
            del self._buf[: end + 1]
            self.commands.append(line)
            out.append(split_command(line))
            self._in_flight += 1
        if len(self._buf) > MAX_COMMAND_BYTES:
            raise RemoteProtocolError(f"AGI command longer than {MAX_COMMAND_BYTES} bytes")
        return out

    def hangup(self) -> None:
        """The caller hangs up: the channel goes dead and a HANGUP line precedes the next reply."""
        if not self.dead:
            self.dead = True
            if self._in_flight:
                self._hangup_after = True
            else:
                self._hangup_before = True

    @staticmethod
    def exec_request(words: Sequence[str]) -> tuple[str, str] | None:
        """(app, args) when `words` is an EXEC that will run the application, else None."""
        if len(words) in (2, 3) and words[0].upper() == "EXEC":
            return words[1], words[2] if len(words) == 3 else ""
        return None

    def respond(self, words: Sequence[str], exec_result: int | None = None) -> bytes:
        """Reply bytes for one command; `exec_result` is what the EXEC hook returned (None: no such app)."""
        text = self._reply(list(words), exec_result)
        if words and words[0].upper() == "HANGUP" and text.startswith("200"):
            self.hangup()
        data = b"HANGUP\n" if self._hangup_before else b""
        data += f"{text}\n".encode() + (b"HANGUP\n" if self._hangup_after else b"")
        self._hangup_before = self._hangup_after = False
        self._in_flight = max(0, self._in_flight - 1)
        self.sent.extend(data.splitlines(keepends=True))
        return data

    def _reply(self, words: list[str], exec_result: int | None) -> str:
        """The reply text, checked in Asterisk's order: unknown (510), dead (511), arity (520)."""
        spec = _find(words)
        if spec is None:
            return REPLY_510
        if self.dead and not spec.dead_ok:
            return REPLY_511
        if not spec.min_words <= len(words) <= spec.max_words:
            return f"{USAGE_HEAD}\n Usage: {spec.syntax}\n Check the syntax and try again.\n{USAGE_TAIL}"
        return self._run(spec.keywords, words, exec_result)

    def _run(self, keywords: tuple[str, ...], words: list[str], exec_result: int | None) -> str:
        """Run a well-formed command against the channel state."""
        match keywords:
            case ("GET", "VARIABLE"):
                value = self.variables.get(words[2])
                return "200 result=0" if value is None else f"200 result=1 ({value})"
            case ("SET", "VARIABLE"):
                self.variables[words[2]] = words[3]
                return "200 result=1"
            case ("EXEC",):
                return f"200 result={-2 if exec_result is None else exec_result}"
            case ("ANSWER",) | ("WAIT", "FOR", "DIGIT") | ("NOOP",):
                return "200 result=0"
            case ("STREAM", "FILE"):
                return "200 result=0 endpos=0"
            case ("GET", "DATA"):
                return "200 result= (timeout)"
            case ("CHANNEL", "STATUS"):
                return "200 result=6"
        return "200 result=1"  # VERBOSE, HANGUP


def _find(words: Sequence[str]) -> _Spec | None:
    """The command whose keywords start `words` (case-insensitive), longest match first."""
    upper = [w.upper() for w in words]
    for spec in sorted(_COMMANDS, key=lambda s: -len(s.keywords)):
        if tuple(upper[: len(spec.keywords)]) == spec.keywords:
            return spec
    return None


async def _no_such_app(app: str, args: str) -> int:
    """Default EXEC hook: Asterisk's answer for an application it does not have."""
    return -2


class FakeAgiClient:
    """Connects to a FastAGI server like Asterisk does and answers its commands until it hangs up."""

    def __init__(
        self,
        env: Mapping[str, object] | None = None,
        *,
        variables: Mapping[str, str] | None = None,
        exec_hook: ExecHook | None = None,
    ):
        self.peer = AsteriskAgiPeer(env, variables=variables)
        self._exec_hook = exec_hook or _no_such_app

    @property
    def commands(self) -> list[str]:
        """Every command line received, in order, without its LF."""
        return self.peer.commands

    @property
    def variables(self) -> dict[str, str]:
        """The channel variables as they are now (after the session: as the dialplan will see them)."""
        return self.peer.variables

    @property
    def ivr_variables(self) -> dict[str, str]:
        """Only the `IVR_*` channel variables, the hand-off the bot leaves for the dialplan."""
        return {k: v for k, v in self.peer.variables.items() if k.startswith("IVR_")}

    @property
    def sent(self) -> list[bytes]:
        """Every line written to the server (environment included), each with its LF."""
        return self.peer.sent

    def hangup(self) -> None:
        """The caller hangs up now (see AsteriskAgiPeer.hangup)."""
        self.peer.hangup()

    async def run(self, host: str, port: int) -> None:
        """Connect, send the environment, answer commands until the server closes the connection."""
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await self._write(writer, self.peer.environment())
            await self._serve(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer commands one at a time, as Asterisk does, until EOF."""
        while True:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                return
            if not data:
                return
            for words in self.peer.feed(data):
                exec_result = None
                if (request := self.peer.exec_request(words)) is not None:
                    exec_result = await self._exec_hook(*request)
                await self._write(writer, self.peer.respond(words, exec_result))

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
        """Write, ignoring a server that already went away (the read loop then sees EOF)."""
        with contextlib.suppress(ConnectionError):
            writer.write(data)
            await writer.drain()


def replay_capture(path: str | Path) -> list[tuple[str, bytes]]:
    """Parse a capture's fastagi.txt into ("in", bytes from Asterisk) / ("out", bytes sent, LF included)."""
    out: list[tuple[str, bytes]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        mark, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if mark == "<<<" and isinstance(value, bytes):
            out.append(("in", value))
        elif mark == ">>>" and isinstance(value, str):
            out.append(("out", value.encode() + b"\n"))
        else:
            raise ValueError(f"{path}: unexpected capture line {line!r}")
    return out


def capture_env_fields(pairs: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """The environment of a parsed capture as `environment_fields` input (names without `agi_`)."""
    env: dict[str, str] = {}
    for direction, data in pairs:
        if direction != "in" or data == b"\n":
            break
        name, _, value = data.decode().rstrip("\n").partition(": ")
        env[name.removeprefix("agi_")] = value
    return env
