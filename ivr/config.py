"""The service config (config/ivr.yaml): strict, frozen models whose defaults are the embedded defaults.

Secrets never live in the YAML: the AMI secret comes from IVR_AMI_SECRET and a database URL with a
password from IVR_DATABASE_URL. Relative paths in `paths` (and the default sqlite file) resolve against
the current working directory of the service, not against the config file's folder, so run the
service from the repository (or container work) root.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from asr.endpointer import EndpointingParams, params_for
from asr.registry import engine_names
from ivr.yamlconf import StrictModel, load_model
from tts import registry as tts_registry

AMI_SECRET_ENV = "IVR_AMI_SECRET"
DATABASE_URL_ENV = "IVR_DATABASE_URL"

Port = Annotated[int, Field(ge=1, le=65535)]
# 0 lets the OS pick a free port (tests, several workers on one host); the bound port is advertised.
ListenPort = Annotated[int, Field(ge=0, le=65535)]
Seconds = Annotated[float, Field(gt=0)]
NonEmpty = Annotated[str, Field(min_length=1)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]


def _networks(value: list[str]) -> list[str]:
    """IP addresses or CIDR blocks; ValueError names the bad entry."""
    for item in value:
        ipaddress.ip_network(item.strip(), strict=False)
    return value


Networks = Annotated[list[str], AfterValidator(_networks)]

_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9._-]+)):(?P<port>\d{1,5})$")


def parse_host_port(value: str) -> tuple[str, int]:
    """Split "host:port" (or "[v6]:port") into its parts; ValueError when malformed."""
    match = _HOST_PORT.match(value)
    if not match:
        raise ValueError(f'{value!r} must be "host:port", e.g. "10.0.0.5:9092" or "[::1]:9092"')
    port = int(match["port"])
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1-65535")
    return match["v6"] or match["host"], port


class ListenConfig(StrictModel):
    """Sockets this worker listens on, and the AudioSocket address Asterisk must dial back to."""

    host: NonEmpty = "0.0.0.0"
    fastagi_port: ListenPort = 4573
    audiosocket_port: ListenPort = 9092
    desktop_port: ListenPort = 8080
    audiosocket_advertise: str = "127.0.0.1:9092"
    # Asterisk addresses (IPs or CIDR blocks) FastAGI and AudioSocket accept; empty: any address.
    allow: Networks = Field(default_factory=list)
    # Open FastAGI sessions (and AudioSocket streams), in all and per address; past them a new call is
    # closed at once, which the dialplan answers by queueing the caller on the fallback queue.
    max_connections: Annotated[int, Field(ge=1, le=100_000)] = 256
    max_per_peer: Annotated[int, Field(ge=1, le=100_000)] = 256

    @field_validator("audiosocket_advertise")
    @classmethod
    def _check_advertise(cls, value: str) -> str:
        parse_host_port(value)
        return value


class AgiConfig(StrictModel):
    """FastAGI: the script name the dialplan calls and how long to wait for Asterisk."""

    script: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "hotline"
    survey_script: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "survey"
    command_timeout: Seconds = 10.0
    header_timeout: Seconds = 5.0


class AmiConfig(StrictModel):
    """AMI login (the secret is read from the environment, never from YAML)."""

    key_hints: ClassVar[dict[str, str]] = {
        "secret": f"the AMI secret must not be in YAML; set the {AMI_SECRET_ENV} environment variable",
        "password": f"the AMI secret must not be in YAML; set the {AMI_SECRET_ENV} environment variable",
    }

    enabled: bool = True
    host: NonEmpty = "127.0.0.1"
    port: Port = 5038
    username: NonEmpty = "ivr"
    auth: Literal["md5", "plain"] = "md5"

    def secret(self, env: Mapping[str, str] | None = None) -> str | None:
        """The AMI secret from IVR_AMI_SECRET (None when unset or empty)."""
        value = (os.environ if env is None else env).get(AMI_SECRET_ENV, "")
        return value or None


class DatabaseConfig(StrictModel):
    """SQLAlchemy URL; a URL with a password must come from IVR_DATABASE_URL instead."""

    url: NonEmpty = "sqlite:///var/ivr.db"

    @field_validator("url")
    @classmethod
    def _no_password(cls, value: str) -> str:
        parts = urlsplit(value)
        if not parts.scheme:
            raise ValueError('must be a database URL such as "sqlite:///var/ivr.db"')
        if parts.password:
            raise ValueError(
                f"passwords must not be in YAML; set the {DATABASE_URL_ENV} environment variable"
            )
        return value

    def effective_url(self, env: Mapping[str, str] | None = None) -> str:
        """IVR_DATABASE_URL when set and non-empty, else the YAML url."""
        return (os.environ if env is None else env).get(DATABASE_URL_ENV, "") or self.url


class PathsConfig(StrictModel):
    """Where admin files and caches live; relative paths resolve against the working directory."""

    flows: Path = Path("dialplan")
    queues: Path = Path("config/queues.yaml")
    prompt_cache: Path = Path("var/prompts")
    models: Path = Path("var/models")
    pidfile: Path = Path("var/ivr.pid")  # `ivr reload` signals the process named here
    journal: Path = Path("var/outbox.journal")  # writes waiting for the database; one file per worker


EndpointingKey = Literal[
    "min_speech", "end_silence", "max_utterance", "no_input", "pre_roll", "speculate_after"
]


def _registered_engine(name: str) -> str:
    """An engine name asr.registry knows (the engines declare themselves there)."""
    if name not in engine_names():
        raise ValueError(f"unknown ASR engine {name!r}: choose one of {', '.join(engine_names())}")
    return name


AsrEngineName = Annotated[str, AfterValidator(_registered_engine)]


def _registered_voice_engine(name: str) -> str:
    """A TTS engine name tts.registry knows."""
    if name not in tts_registry.engine_names():
        choices = ", ".join(tts_registry.engine_names())
        raise ValueError(f"unknown TTS engine {name!r}: choose one of {choices}")
    return name


TtsEngineName = Annotated[str, AfterValidator(_registered_voice_engine)]


class AsrConfig(StrictModel):
    """Speech recognition: engine, model, language and turn-taking preset."""

    engine: AsrEngineName = "whisper"  # the choices are asr.registry's
    model: NonEmpty | None = None  # a model name (e.g. "tiny.en") or a path; None: the bundled default
    language: Language = "en"
    endpointing: Literal["fast", "normal", "patient"] = "normal"
    # Seconds that replace single values of the preset; a plain dict so it feeds asr's params_for().
    endpointing_overrides: dict[EndpointingKey, Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )
    vad_aggressiveness: Annotated[int, Field(ge=0, le=3)] = 2
    threads: Annotated[int, Field(ge=1, le=256)] | None = None  # per decoder worker; None: 1
    # Decoder processes (Vosk: threads); None: one per core.
    workers: Annotated[int, Field(ge=1, le=256)] | None = None
    # Added to the decoder processes' nice value: audio pacing in the service process goes first.
    decoder_nice: Annotated[int, Field(ge=0, le=19)] = 5
    # Whisper's beam search (1: greedy) and the n-best alternatives the dialogue may act on (0: none);
    # None: asr.whisper_decode's defaults.
    beam_size: Annotated[int, Field(ge=1, le=16)] | None = None
    alternatives: Annotated[int, Field(ge=0, le=15)] | None = None
    beam_text: bool = True  # the transcript is the beam's best instead of a greedy pass's
    # Whisper's near misses turned back into alternatives (asr/sounds_like.py): "auto" (the bundled table
    # for the bundled tiny.en), "off", or the path of a table mined for your model
    sounds_like: Annotated[str, Field(min_length=1)] = "auto"

    @field_validator("sounds_like", mode="before")
    @classmethod
    def _sounds_like_words(cls, value: object) -> object:
        """YAML reads a bare off/no as false and on/yes as true: the words the setting means."""
        if isinstance(value, bool):
            return "auto" if value else "off"
        word = value.strip().lower() if isinstance(value, str) else None
        return word if word in ("auto", "off") else value

    # Seconds an utterance may have to wait for a free decoder before new calls are refused (admission).
    max_backlog: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 0.3

    @field_validator("endpointing_overrides")
    @classmethod
    def _overrides_fit_preset(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        preset = info.data.get("endpointing")
        if preset is not None:  # a bad preset name is reported on its own key
            params_for(preset, value)  # asr owns the numbers and their rules; ValueError names the problem
        return value

    def endpointing_params(self) -> EndpointingParams:
        """The preset with the overrides applied, as the endpointer takes it."""
        return params_for(self.endpointing, self.endpointing_overrides)


class VoiceConfig(StrictModel):
    """One espeak-ng voice and its speaking rate."""

    voice: Annotated[str, Field(pattern=r"^[A-Za-z0-9_+-]+$")]
    rate: Annotated[int, Field(ge=80, le=450)] = 175


class TtsConfig(StrictModel):
    """Text to speech: engine and a voice per language."""

    engine: TtsEngineName = "pyttsx3"  # the choices are tts.registry's
    voices: dict[Language, VoiceConfig] = Field(
        default_factory=lambda: {
            "en": VoiceConfig(voice="en-us", rate=175),
            "zh": VoiceConfig(voice="cmn", rate=170),
        },
        min_length=1,
    )


class BotConfig(StrictModel):
    """Dialogue behaviour that is not part of a flow."""

    greeting: NonEmpty = "Thank you for calling. How can I help you?"
    barge_in: bool = True
    min_barge_in: Annotated[float, Field(ge=0, le=5)] = 0.2
    max_call_seconds: Annotated[int, Field(ge=10)] = 1800
    # No audio frame from Asterisk for this long ends the bot's part (fallback queue, `audio-stalled`).
    audio_stall_seconds: Annotated[float, Field(ge=1, le=120)] = 10.0
    fallback_queue: NonEmpty = "support-en"  # a queue of config/queues.yaml
    max_calls: Annotated[int, Field(ge=1)] | None = None  # calls with the bot per worker; None: no fixed cap
    # Said to a call refused under overload; the hand-over waits for it, so it is short (~1.3 s).
    busy_notice: NonEmpty = "Putting you through to an agent."


WEB_SECRET_ENV = "IVR_WEB_SECRET"


class WebConfig(StrictModel):
    """The agent desktop: served on listen.desktop_port; the cookie key comes from IVR_WEB_SECRET."""

    key_hints: ClassVar[dict[str, str]] = {
        "secret": f"the cookie key must not be in YAML; set the {WEB_SECRET_ENV} environment variable",
    }

    enabled: bool = True
    secure_cookies: bool = False  # true behind HTTPS (a reverse proxy): cookies are then never sent in clear
    timezone: NonEmpty = "UTC"  # the day of the supervisor's figures
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR blocks); from anyone else the
    # header is ignored, so a client cannot pick the address its login attempts are counted against.
    trusted_proxies: Networks = Field(default_factory=list)
    # Open browser connections, in all and per address (idle ones are closed after 15 s).
    max_connections: Annotated[int, Field(ge=1, le=100_000)] = 256
    max_per_peer: Annotated[int, Field(ge=1, le=100_000)] = 64


class ClusterConfig(StrictModel):
    """Several workers on one PostgreSQL: who this worker is, the worker list for Asterisk, draining."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] | None = None  # None: host:fastagi port
    # FastAGI "host:port" of every worker; `ivr asterisk-config` makes the dialplan rotate over them.
    workers: list[str] = Field(default_factory=list)
    drain_timeout: Annotated[float, Field(ge=0, le=3600)] = 60.0  # SIGTERM: calls may finish this long
    lease_seconds: Annotated[float, Field(ge=0.2, le=60)] = 1.0  # how often the cluster duties are checked

    @field_validator("workers")
    @classmethod
    def _check_workers(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_host_port(item)
        if len(set(value)) != len(value):
            raise ValueError("a worker is listed twice")
        return value


class ServiceConfig(StrictModel):
    """The whole of config/ivr.yaml; ServiceConfig() is the embedded default configuration."""

    listen: ListenConfig = Field(default_factory=ListenConfig)
    agi: AgiConfig = Field(default_factory=AgiConfig)
    ami: AmiConfig = Field(default_factory=AmiConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    paths: PathsConfig = Field(default_factory=PathsConfig)
    asr: AsrConfig = Field(default_factory=AsrConfig)
    tts: TtsConfig = Field(default_factory=TtsConfig)
    bot: BotConfig = Field(default_factory=BotConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    def database_url(self, env: Mapping[str, str] | None = None) -> str:
        """The database URL to use: IVR_DATABASE_URL when set, else database.url."""
        return self.database.effective_url(env)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def load_service_config(path: Path) -> ServiceConfig:
    """Load and validate config/ivr.yaml; raises ConfigErrors (a ConfigError) listing every problem."""
    return load_model(path, ServiceConfig)


__all__ = [
    "AMI_SECRET_ENV",
    "DATABASE_URL_ENV",
    "WEB_SECRET_ENV",
    "AgiConfig",
    "AmiConfig",
    "AsrConfig",
    "BotConfig",
    "ClusterConfig",
    "DatabaseConfig",
    "EndpointingKey",
    "ListenConfig",
    "PathsConfig",
    "ServiceConfig",
    "TtsConfig",
    "VoiceConfig",
    "WebConfig",
    "load_service_config",
    "parse_host_port",
]
