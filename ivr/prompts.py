"""The bot's fixed sentences and the synthesiser that speaks them (ivr.wiring.warm_prompts caches them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr.config import ServiceConfig
from tts.service import Synthesizer, VoiceSpec

if TYPE_CHECKING:
    from ivr.dialogue.registry import FlowSet

TRANSFER_NOTICE = "To help you better, I'm connecting you to an agent. Please hold."
GOODBYE = "Thank you for calling. Goodbye."
# Sentences every call may need; synthesised at start-up so no caller waits for them.
STATIC_PROMPTS = (
    "Sorry, I didn't catch that. Could you say it again?",
    "Are you still there? How can I help you?",
    TRANSFER_NOTICE,
    GOODBYE,
)

# Asterisk's AudioSocket application always sends and expects 8 kHz unless told otherwise.
CALL_RATE = 8000


def static_prompts(config: ServiceConfig, flows: FlowSet | None = None) -> list[tuple[str, str]]:
    """Every fixed (text, language) pair the bot can say: the config's sentences and the flows'."""
    language = config.asr.language
    prompts = [(config.bot.greeting, language), (config.bot.busy_notice, language)]
    prompts += [(text, language) for text in STATIC_PROMPTS]
    if flows is not None:
        from ivr.dialogue.catalog import static_prompts as flow_prompts

        prompts += flow_prompts(flows)
    return prompts


def make_synthesizer(config: ServiceConfig) -> Synthesizer:
    """The service's synthesiser, with the voices from the config."""
    voices = {lang: VoiceSpec(v.voice, v.rate) for lang, v in config.tts.voices.items()}
    return Synthesizer(voices, config.paths.prompt_cache, engine=config.tts.engine)
