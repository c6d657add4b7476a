"""Mine the recogniser's near misses (asr/sounds_like.py) from the dev split, spoken and recognised.

Run: `python -m tests.bench.mine_sounds_like [--min-cases 3] [--min-share 0.3] [--out FILE] [--ids REGEX]`.

Every English turn of the dev split's cases is spoken by espeak-ng in both benchmark voices at 8 kHz and
recognised by the Whisper engine at the step the case is on (its grammar and hints, as in a call), without
the table it is building. Each transcript is aligned with what was said, word by word; a replaced span of
up to three words, alone and with the word before or after it when both sides have it, is a near miss
(heard -> said). Kept: misses seen in at least `--min-cases` different turns, and that make up at least
`--min-share` of the times the recogniser wrote the heard phrase. Turns that are also in the held-out split
are left out: nothing may be learnt from it. The table is written to asr/sounds_like_whisper_tiny_en.yaml.
About 25 minutes on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from asr.loader import load_engine
from asr.sounds_like import BUNDLED
from ivr.dialogue.registry import FlowRegistry
from ivr.dialogue.sentiment import read
from tests.bench.bench_dialogue import DIALPLAN, VOICES, speech_hearer
from tests.support.dialogue_eval import EVAL_DIR, load_cases, run_case

MAX_SPAN = 3  # words on either side of a near miss
# words too common to vouch for a near miss that turns a turn angry ("the government" -> "the ombudsman")
PLAIN = frozenset({"the", "a", "an", "is", "its", "it's", "this", "that's", "i'm", "im", "and", "to", "my"})


def words(text: str) -> list[str]:
    """Lower-case words with their apostrophes, as the table writes them."""
    return re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("\u2019", "'")).split()


def mine(pairs: set[tuple[str, str]], min_cases: int, min_share: float) -> list[dict]:
    """Near misses (heard, said, share, cases) from distinct (said, heard) pairs, most likely first."""
    misses: Counter[tuple[str, str]] = Counter()
    turns: dict[tuple[str, str], set[str]] = defaultdict(set)
    written: Counter[str] = Counter()  # how often the recogniser wrote each phrase
    for said, heard in pairs:
        a, b = words(said), words(heard)
        for n in range(1, MAX_SPAN + 2):
            written.update(" ".join(b[i : i + n]) for i in range(len(b) - n + 1))
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if op != "replace" or i2 - i1 > MAX_SPAN or j2 - j1 > MAX_SPAN:
                continue
            spans = [(j1, j2, i1, i2)]
            if i1 and j1 and a[i1 - 1] == b[j1 - 1]:  # with the word before: "absolutely human"
                spans.append((j1 - 1, j2, i1 - 1, i2))
            if i2 < len(a) and j2 < len(b) and a[i2] == b[j2]:  # with the word after: "not talk"
                spans.append((j1, j2 + 1, i1, i2 + 1))
            for hj, hk, si, sk in spans:
                key = (" ".join(b[hj:hk]), " ".join(a[si:sk]))
                misses[key] += 1
                turns[key].add(said)
    table = []
    for (heard, said), count in misses.items():
        share = count / written[heard]
        spelling = re.sub(r"[^a-z]", "", heard) == re.sub(r"[^a-z]", "", said)  # "post code", "wi fi"
        if len(turns[(heard, said)]) < min_cases or share < min_share or spelling:
            continue
        if re.search(r"\d", heard + said):  # "40" for "forty": the dialogue reads both
            continue
        if angers(heard, said):
            continue
        cases = len(turns[(heard, said)])
        table.append({"heard": heard, "said": said, "share": round(share, 2), "cases": cases})
    return sorted(table, key=lambda m: (-m["share"], -m["cases"], m["heard"]))


def angers(heard: str, said: str) -> bool:
    """The near miss would make a calm or pleased turn angry: "perfect" -> "pathetic", "that's great" ->
    "not great", "gamble" -> "shambles". Kept only with a word of context the two share and a heard
    phrase that is not pleased ("absolutely human" -> "absolutely fuming", "complete note" -> "... joke"):
    the dev split is full of complaints, so its shares overstate how often callers said the angry one."""
    was, now = read(heard, "en"), read(said, "en")
    if not (now.strong and not was.strong) and now.score >= was.score - 1.0:
        return False
    context = (set(heard.split()) & set(said.split())) - PLAIN
    return was.score > 0 or not context


async def heard_on_dev(ids: str) -> set[tuple[str, str]]:
    """(said, heard) for every English dev turn in both voices, decoded as in a call."""
    flow = FlowRegistry.load(DIALPLAN).current().flow_for("hotline")
    held_out = {t for c in load_cases(EVAL_DIR / "heldout.yaml") for t in c.turns}
    cases = [c for c in load_cases(EVAL_DIR / "dev.yaml") if c.language == "en" and re.search(ids, c.id)]
    engine = load_engine("whisper", None, sounds_like="off")
    pairs: set[tuple[str, str]] = set()
    try:
        for voice, wpm in VOICES:
            hear = speech_hearer(engine, voice, wpm, hints=True)

            async def noted(bot, text, hear=hear):
                heard = await hear(bot, text)
                if text not in held_out:
                    pairs.add((text, heard[0]))
                return heard

            for case in cases:
                await run_case(flow, case, noted)
    finally:
        engine.close()
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-cases", type=int, default=2)
    parser.add_argument("--min-share", type=float, default=0.5)
    parser.add_argument("--ids", default="", help="only the dev cases whose id matches this expression")
    parser.add_argument("--out", type=Path, default=BUNDLED)
    args = parser.parse_args()
    pairs = asyncio.run(heard_on_dev(args.ids))
    table = mine(pairs, args.min_cases, args.min_share)
    header = (
        "# Near misses of Whisper tiny.en (int8) on 8 kHz speech: what it wrote (heard) for what was said.\n"
        f"# Mined by tests/bench/mine_sounds_like.py from {len(pairs)} decodes of the dev split's English\n"
        f"# turns (espeak-ng, two voices; no held-out turn), min cases {args.min_cases}, min share"
        f" {args.min_share}.\n# share: of the times the recogniser wrote `heard`, how often `said` was.\n"
    )
    body = yaml.safe_dump({"misses": table}, allow_unicode=True, sort_keys=False, width=200)
    args.out.write_text(header + body, encoding="utf-8")
    print(f"{len(table)} near misses from {len(pairs)} decodes -> {args.out}")


if __name__ == "__main__":
    main()
