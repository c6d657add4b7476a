"""TTS worker process: `python -m tts.worker [ENGINE]` runs a tts.registry engine (pyttsx3 by default)
and answers JSON lines on stdin/stdout.

How this works: the engine is blocking and not thread-safe, so it lives alone in this process. The
original stdout is kept as the private reply channel and fd 1 is pointed at /dev/null, because pyttsx3
prints chatter ("Audio saved to ...") that would otherwise corrupt the protocol. stdin EOF ends the
process. With IVR_TTS_TEST_HOOKS=1 the `sleep` request blocks, to let tests simulate a hung engine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from typing import BinaryIO

from tts.errors import TtsError, WorkerProtocolError
from tts.protocol import (
    Done,
    Failed,
    Hello,
    LineDecoder,
    ListVoices,
    Message,
    Sleep,
    Synthesize,
    Voices,
    encode,
)
from tts.registry import TtsEngine, engine_spec

TEST_HOOKS_ENV = "IVR_TTS_TEST_HOOKS"
DEFAULT_ENGINE = "pyttsx3"


def _private_stdout() -> BinaryIO:
    """Return a writer on the real stdout and send fd 1 (engine chatter) to /dev/null."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return out


def handle(engine: TtsEngine, msg: Message) -> Message:
    """Run one request against the engine and build its reply."""
    try:
        if isinstance(msg, Synthesize):
            engine.synthesize_to_file(msg.text, msg.voice, msg.rate_wpm, msg.path)
            return Done(msg.id, msg.path)
        if isinstance(msg, ListVoices):
            return Voices(msg.id, engine.voices())
        if isinstance(msg, Sleep) and os.environ.get(TEST_HOOKS_ENV) == "1":
            time.sleep(msg.seconds)
            return Failed(msg.id, "slept")
        return Failed(getattr(msg, "id", -1), f"unsupported request {type(msg).__name__}")
    except Exception as exc:  # one bad request must not kill the worker
        return Failed(getattr(msg, "id", -1), f"{type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> int:
    """Serve requests until stdin closes."""
    args = sys.argv[1:] if argv is None else argv
    out = _private_stdout()
    try:
        engine = engine_spec(args[0] if args else DEFAULT_ENGINE).create()
        engine.self_test(os.path.join(tempfile.gettempdir(), f"ivr-tts-selftest-{os.getpid()}.wav"))
    except TtsError as exc:
        out.write(encode(Hello(os.getpid(), False, str(exc))))
        return 1
    out.write(encode(Hello(os.getpid(), True)))
    decoder = LineDecoder()
    stdin = sys.stdin.buffer.raw  # type: ignore[attr-defined]
    while chunk := stdin.read(65536):
        try:
            requests = decoder.feed(chunk)
        except WorkerProtocolError as exc:
            print(f"tts.worker: bad request: {exc}", file=sys.stderr)
            return 2
        for msg in requests:
            out.write(encode(handle(engine, msg)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
