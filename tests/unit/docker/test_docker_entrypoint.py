"""docker/entrypoint.py and docker/healthcheck.py: env overrides onto the image's ivr.yaml, and the probe."""

import importlib.util
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from ivr.config import load_service_config
from ivr.yamlconf import ConfigErrors

DOCKER = Path(__file__).resolve().parents[3] / "docker"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"docker_{name}", DOCKER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entrypoint = _load("entrypoint")
healthcheck = _load("healthcheck")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """The entrypoint writes config/ivr.yaml under the working directory, from the image's docker/ivr.yaml."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(entrypoint, "BASE_CONFIG", DOCKER / "ivr.yaml")
    return tmp_path


def test_without_overrides_the_image_config_is_copied_byte_for_byte(workdir):
    entrypoint.write_effective_config({"IVR_AMI_SECRET": "s3cret", "PATH": "/bin"})
    assert (workdir / "config/ivr.yaml").read_bytes() == (DOCKER / "ivr.yaml").read_bytes()


def test_overrides_keep_their_yaml_types_and_validate_against_the_service_schema(workdir):
    entrypoint.write_effective_config(
        {
            "IVR__LISTEN__AUDIOSOCKET_ADVERTISE": "ivr-2:9092",
            "IVR__AMI__ENABLED": "false",
            "IVR__ASR__THREADS": "2",
            "IVR__ASR__ENDPOINTING_OVERRIDES": "{end_silence: 0.6}",
            "IVR__TTS__VOICES": "{en: {voice: en-gb, rate: 190}}",
            "IVR__BOT__GREETING": "'123'",
        }
    )
    config = load_service_config(workdir / "config/ivr.yaml")
    assert config.listen.audiosocket_advertise == "ivr-2:9092"
    assert config.ami.enabled is False and config.ami.host == "asterisk"  # untouched keys stay
    assert config.asr.threads == 2 and config.asr.endpointing_overrides == {"end_silence": 0.6}
    assert config.tts.voices["en"].rate == 190 and set(config.tts.voices) == {"en"}
    assert config.bot.greeting == "123"  # quoted: a string, not a number


def test_an_override_sets_the_yaml_value_and_does_not_merge_the_embedded_defaults(workdir):
    # tts.voices is not in the image's file: setting one key below it makes a voice without its name,
    # exactly as the same line in ivr.yaml would, and the service says which key is missing.
    entrypoint.write_effective_config({"IVR__TTS__VOICES__EN__RATE": "190"})
    with pytest.raises(ConfigErrors, match=r"tts\.voices\.en\.voice: required key is missing"):
        load_service_config(workdir / "config/ivr.yaml")


def test_secrets_are_never_written_to_the_config(workdir):
    entrypoint.write_effective_config({"IVR_AMI_SECRET": "s3cret", "IVR__AMI__HOST": "pbx"})
    written = (workdir / "config/ivr.yaml").read_text()
    assert "s3cret" not in written and "host: pbx" in written


def test_an_unknown_key_is_refused_by_the_service_naming_its_path(workdir):
    entrypoint.write_effective_config({"IVR__LISTEN__FASTAGI_PROT": "4574"})
    with pytest.raises(ConfigErrors, match=r"listen\.fastagi_prot"):
        load_service_config(workdir / "config/ivr.yaml")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IVR__": "1"}, "empty key"),
        ({"IVR__LISTEN____PORT": "1"}, "empty key"),
        ({"IVR__BOT__GREETING": "[unclosed"}, "not a YAML value"),
        ({"IVR__LISTEN__HOST__X": "1"}, "listen.host is not a section"),
    ],
)
def test_malformed_overrides_stop_the_start_with_the_variable_named(workdir, env, message):
    with pytest.raises(SystemExit, match=message):
        entrypoint.write_effective_config(env)
    assert not (workdir / "config/ivr.yaml").exists()


def test_a_missing_base_config_is_a_clear_error(workdir, monkeypatch):
    monkeypatch.setattr(entrypoint, "BASE_CONFIG", workdir / "nope.yaml")
    with pytest.raises(SystemExit, match="IVR_CONFIG"):
        entrypoint.write_effective_config({})


def test_the_image_config_is_valid_as_shipped():
    config = load_service_config(DOCKER / "ivr.yaml")
    assert config.paths.flows == Path("/etc/ivr/flows") and config.ami.host == "asterisk"
    assert yaml.safe_load((DOCKER / "ivr.yaml").read_text())["listen"]["desktop_port"] == 8080


@pytest.fixture
def http_server():
    """A real HTTP server on a free loopback port answering GET /<status> with that status."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status = int(self.path.strip("/"))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b'{"ready": false, "checks": {"ami": "not logged in"}}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "code"), [(200, 0), (503, 1), (500, 1), (404, 0)])
def test_health_check_exit_status_follows_readyz(http_server, capsys, status, code):
    assert healthcheck.main([f"{http_server}/{status}"]) == code
    out = capsys.readouterr().out
    if status == 503:
        assert "not ready (503)" in out and "not logged in" in out
    if status == 404:
        assert "no /readyz" in out


def test_health_check_fails_when_nothing_listens():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on that port now
    assert healthcheck.main([f"http://127.0.0.1:{port}/readyz"]) == 1
