"""`ivr call`: place a call through the fake PBX against a running `ivr serve` and print the conversation."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ivr.config import ServiceConfig
from ivr.fakepbx.audiosocket import Digit, ScriptItem, Silence, Speech, load_wav_as_slin
from ivr.fakepbx.pbx import FakePbx
from ivr.storage.records import CallRecord
from ivr.storage.store import CallStore, StorageUnavailable

DEFAULT_MAX_SECONDS = 120.0  # the caller hangs up if the bot has not ended the call by then


def caller_script(args: argparse.Namespace) -> list[ScriptItem]:
    """The caller's side: listen to the greeting, say each WAV, press the digits, then stay on the line.

    The caller does not hang up on a timer: the bot ends the call (goodbye, transfer), however long its
    reply takes on a busy machine; `--max-seconds` bounds a call the bot never ends.
    """
    script: list[ScriptItem] = [Silence(args.pause)]
    for wav in args.wavs:
        script += [Speech(load_wav_as_slin(wav)), Silence(args.pause)]
    for digit in args.digits:
        script += [Digit(digit), Silence(args.pause)]
    return script


async def run_call(args: argparse.Namespace, config: ServiceConfig) -> int:
    """Place the call, then print the turns the service stored for it."""
    pbx = FakePbx(args.host, args.agi_port, fallback_queue=config.bot.fallback_queue)
    print(f"calling agi://{args.host}:{args.agi_port}/hotline as {args.caller_name} <{args.caller}> ...")
    result = await pbx.call(
        caller_script(args),
        caller_number=args.caller,
        caller_name=args.caller_name,
        speed=args.speed,
        max_seconds=getattr(args, "max_seconds", DEFAULT_MAX_SECONDS),
    )
    for note in result.notes:
        print(f"  ! {note}", file=sys.stderr)
    heard = len(result.bot_audio) / 16000
    print(
        f"AGISTATUS={result.agi_status} AudioSocket result={result.audiosocket_result} "
        f"bot audio={heard:.1f}s -> dialplan: {result.next_step}"
    )
    for name, value in sorted(result.variables.items()):
        if name.startswith("IVR_"):
            print(f"  {name}={value}")
    if result.call_uuid is None:
        print("(the bot left no IVR_CALL_UUID: see the service log)")
        return 1 if result.agi_status == "FAILURE" else 0
    try:
        store = await CallStore.open(config.database_url(), migrate=False)
        try:
            record = await _stored_call(store, result.call_uuid)
        finally:
            await store.close()
    except (StorageUnavailable, OSError) as exc:
        print(f"(cannot read the conversation from the database: {exc})", file=sys.stderr)
        return 0
    if record is None:
        print("(the call is not in the database yet)")
        return 0
    for turn in record.turns:
        what = turn.text if not turn.dtmf else f"[keypad {turn.dtmf}]"
        flag = " (interrupted)" if turn.interrupted else ""
        print(f"  {turn.started_at:%H:%M:%S} {turn.speaker:>6}: {what}{flag}")
    print(f"  ended: {record.end_reason}, outcome {record.outcome}")
    return 0


async def _stored_call(store: CallStore, call_uuid: str, wait_s: float = 5.0) -> CallRecord | None:
    """The call once the service has stored its end (writes land just after the call), or what is there."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    while True:
        record = await store.get_call(call_uuid, timeout=wait_s)
        if (record is not None and record.ended_at is not None) or loop.time() >= deadline:
            return record
        await asyncio.sleep(0.1)  # another process writes it: there is no event to wait on from here
