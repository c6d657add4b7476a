"""download_model() against a real local HTTP server serving model zips built in tmp."""

import hashlib
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from asr.models import ModelDownloadError, download_model, main_download, validate_vosk_model_dir

FST = bytes.fromhex("d6fdb27e") + b"fst body"
MODEL_FILES = {
    "am/final.mdl": b"\0B<TransitionModel> fake weights",
    "graph/HCLr.fst": FST,
    "graph/Gr.fst": FST,
    "conf/mfcc.conf": b"--use-energy=false\n",
    "conf/model.conf": b"--beam=10.0\n",
    "README": b"fake but valid-shaped Vosk model\n",
}


class Server:
    """A threaded http.server over a folder, recording the paths it was asked for."""

    def __init__(self, root: Path):
        self.root, self.requests = root, []
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def publish(self, name: str, members: dict[str, bytes]) -> str:
        """Write <root>/<name>.zip and return its sha256."""
        path = self.root / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for member, data in members.items():
                zf.writestr(member, data)
        return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "www"
    root.mkdir()
    srv = Server(root)
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


def model_zip(name: str) -> dict[str, bytes]:
    return {f"{name}/{rel}": data for rel, data in MODEL_FILES.items()}


def test_download_with_progress_and_checksum(server: Server, tmp_path: Path, capsys) -> None:
    digest = server.publish("fake-model-0.1", model_zip("fake-model-0.1"))
    dest = tmp_path / "models"
    path = download_model("fake-model-0.1", dest, sha256=digest.upper(), base_url=server.base_url)
    assert path == dest / "fake-model-0.1"
    assert validate_vosk_model_dir(path) == path
    assert (path / "am" / "final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]
    assert [p.name for p in dest.iterdir()] == ["fake-model-0.1"]  # no temp folder left
    err = capsys.readouterr().err
    assert "fake-model-0.1" in err and "100%" in err  # the tqdm bar ran to the end
    assert f"sha256 {digest}" in err
    assert server.requests == ["/fake-model-0.1.zip"]


def test_already_installed_model_is_not_downloaded_again(server: Server, tmp_path: Path) -> None:
    server.publish("fake-model-0.1", model_zip("fake-model-0.1"))
    first = download_model("fake-model-0.1", tmp_path, progress=False, base_url=server.base_url)
    again = download_model("fake-model-0.1", tmp_path, progress=False, base_url=server.base_url)
    assert first == again
    assert len(server.requests) == 1


def test_checksum_mismatch_leaves_nothing(server: Server, tmp_path: Path) -> None:
    server.publish("fake-model-0.1", model_zip("fake-model-0.1"))
    dest = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match="sha256 mismatch: expected 0000"):
        download_model("fake-model-0.1", dest, sha256="0" * 64, progress=False, base_url=server.base_url)
    assert list(dest.iterdir()) == []


def test_zip_with_parent_entries_is_refused(server: Server, tmp_path: Path) -> None:
    members = {**model_zip("evil-model"), "../../escaped.txt": b"owned", "evil-model/../../up.txt": b"x"}
    server.publish("evil-model", members)
    dest = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match="unsafe path in archive"):
        download_model("evil-model", dest, progress=False, base_url=server.base_url)
    assert list(dest.iterdir()) == []
    assert not list(tmp_path.rglob("escaped.txt")) and not list(tmp_path.rglob("up.txt"))


def test_zip_that_is_not_a_model_is_refused(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    server.publish("not-a-model", {"not-a-model/README": b"hello"})
    with pytest.raises(ModelDownloadError, match=r"not a Vosk model: no am/final\.mdl"):
        download_model("not-a-model", dest, progress=False, base_url=server.base_url)
    assert list(dest.iterdir()) == []


def test_missing_file_on_the_server(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match="404"):
        download_model("vosk-model-small-en-us-0.15", dest, progress=False, base_url=server.base_url)
    assert list(dest.iterdir()) == []


def test_download_by_url_of_a_bare_model_zip(server: Server, tmp_path: Path) -> None:
    server.publish("bare", MODEL_FILES)  # files at the zip root, no top folder
    path = download_model(f"{server.base_url}/bare.zip", tmp_path, progress=False)
    assert path == tmp_path / "bare"
    assert validate_vosk_model_dir(path) == path


def test_size_limit(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    server.publish("fake-model-0.1", model_zip("fake-model-0.1"))
    with pytest.raises(ModelDownloadError, match="over the 100-byte limit"):
        download_model("fake-model-0.1", dest, progress=False, base_url=server.base_url, max_bytes=100)
    assert list(dest.iterdir()) == []


def test_cli_entry(server: Server, tmp_path: Path, capsys) -> None:
    digest = server.publish("fake-model-0.1", model_zip("fake-model-0.1"))
    common = ["--base-url", server.base_url, "--quiet"]
    assert main_download(["fake-model-0.1", "--dest", str(tmp_path / "a"), "--sha256", digest, *common]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "a" / "fake-model-0.1")
    assert (
        main_download(["fake-model-0.1", "--dest", str(tmp_path / "b"), "--sha256", "f" * 64, *common]) == 1
    )
    assert "sha256 mismatch" in capsys.readouterr().err
    assert list((tmp_path / "b").iterdir()) == []
