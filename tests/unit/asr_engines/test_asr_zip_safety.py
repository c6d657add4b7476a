"""safe_extract(): model zips cannot write outside their destination."""

import contextlib
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr.models import ModelDownloadError, safe_extract


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_nested_members_are_unpacked(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ok.zip", {"m/am/final.mdl": b"x", "m/conf/mfcc.conf": b"--a=1\n"})
    dest = tmp_path / "out"
    dest.mkdir()
    safe_extract(archive, dest)
    assert (dest / "m" / "am" / "final.mdl").read_bytes() == b"x"
    assert (dest / "m" / "conf" / "mfcc.conf").read_bytes() == b"--a=1\n"


@pytest.mark.parametrize("name", ["../evil", "m/../../evil", "/abs/evil", "C:/evil", "m\\..\\..\\evil"])
def test_escaping_members_refuse_the_whole_archive(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "bad.zip", {"m/ok": b"fine", name: b"evil"})
    dest = tmp_path / "a" / "out"
    dest.mkdir(parents=True)
    with pytest.raises(ModelDownloadError, match="unsafe path"):
        safe_extract(archive, dest)
    assert list(dest.iterdir()) == []  # refused before anything was written
    assert not (tmp_path / "evil").exists() and not (tmp_path / "a" / "evil").exists()


def test_symlink_members_are_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("m/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ModelDownloadError, match="symlink"):
        safe_extract(tmp_path / "link.zip", tmp_path)


def test_unpacked_size_is_capped(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"a": b"\0" * 10_000})
    with pytest.raises(ModelDownloadError, match="more than 1000 bytes"):
        safe_extract(archive, tmp_path, max_bytes=1000)


def test_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"<html>404</html>")
    with pytest.raises(ModelDownloadError, match="not a valid zip"):
        safe_extract(tmp_path / "x.zip", tmp_path)


NAME_PARTS = st.sampled_from(["..", ".", "", "a", "b", "/", "\\", "C:", "x.y", "..a", "\0"])


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(NAME_PARTS, min_size=1, max_size=5).map("/".join), min_size=1, max_size=4))
def test_random_member_names_never_escape(tmp_path: Path, names: list[str]) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as work:
        root = Path(work)
        archive = root / "r.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for i, name in enumerate(names):
                # zipfile itself cuts names at NUL; an empty name cannot be written at all
                zf.writestr(zipfile.ZipInfo(name.split("\0")[0] or f"f{i}"), b"data")
        dest = root / "deep" / "out"
        dest.mkdir(parents=True)
        with contextlib.suppress(ModelDownloadError):
            safe_extract(archive, dest)
        outside = {p for p in root.rglob("*") if dest not in p.parents and p != dest}
        assert outside == {archive, root / "deep"}
