"""Pytest plugin: a real PostgreSQL for the storage tests, throwaway unless IVR_TEST_DATABASE_URL is set.

Fixtures:
- `postgres_url` (session): URL of an empty database on a real server. With IVR_TEST_DATABASE_URL a
  fresh database is created inside that server for the session when the role may do so; otherwise a
  cluster is initdb'ed into a temp dir, started on a free port and removed at the end.
- `fresh_postgres_url`: an empty database of its own for one test.
- `database_url`: parametrized over sqlite and postgresql, a fresh database for each test.

Register it with `pytest_plugins = ["tests.support.postgres"]` in the root conftest.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ivr.storage import CallStore

ENV_URL = "IVR_TEST_DATABASE_URL"
PG_USER = "postgres"
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or in "
    "/usr/lib/postgresql/*/bin: install the Debian package 'postgresql', or set "
    f"{ENV_URL} to a server the tests may use."
)


def find_pg_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, newest major version first."""
    candidates: list[Path] = []
    for tool in ("pg_ctl", "initdb"):
        found = shutil.which(tool)
        if found:
            candidates.append(Path(found).resolve().parent)
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        versions, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True
    )
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now, from below the kernel's ephemeral range.

    Port 0 would give an ephemeral port: the range every outgoing connection of the tests running beside
    this one draws from, so a port picked now and bound later by a worker was seen taken meanwhile.
    Below that range only another free_port() can pick it, at random (not the seeded `random`, which
    pytest-randomly sets alike in every xdist worker).
    """
    below = _ephemeral_start()
    for _ in range(200):
        port = 10_000 + secrets.randbelow(below - 10_000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free TCP port between 10000 and {below}")


def _ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (Linux's default when it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _scratch_dir() -> str | None:
    """RAM-backed /dev/shm when there is one (CREATE DATABASE copies a template: disk makes it slow)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


class PostgresCluster:
    """A throwaway cluster in a temp dir; run as the `postgres` user when we are root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="ivr-pg-", dir=_scratch_dir()))
        if self.as_root:
            shutil.chown(self.root, user=PG_USER)
        self.data = self.root / "data"
        self.port: int | None = None

    def _run(self, tool: str, *args: str) -> None:
        """Run a server tool (as postgres under root); raise with its output on failure."""
        cmd = [str(self.bin_dir / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}"
            )

    def init(self) -> None:
        """initdb with trust auth for a superuser named postgres (fsync off: a throwaway cluster)."""
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            PG_USER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self, port: int) -> None:
        """Start on 127.0.0.1:port with the unix socket in the temp dir; returns once it accepts."""
        options = (
            f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip
        self.port = port

    def stop(self) -> None:
        """Stop the server at once (nothing in a throwaway cluster is worth a clean shutdown)."""
        if self.port is not None:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.port = None

    def remove(self) -> None:
        """Stop if running and delete the temp dir."""
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy-style URL to a database of the running cluster."""
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _libpq(url: str) -> str:
    """A libpq URI for psycopg from a SQLAlchemy URL (drop any +driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(server_url: str) -> str:
    """Create a uniquely named empty database on the server of `server_url`; returns its URL."""
    name = f"ivr_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server_url, name)


def drop_database(server_url: str, database_url: str) -> None:
    """Drop a database made by create_database, closing whatever still uses it."""
    name = make_url(database_url).database
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_schema(database_url: str) -> None:
    """Empty a database we may not drop: recreate its public schema."""
    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


@contextlib.contextmanager
def _database_in(url: str) -> Iterator[str]:
    """A new database in the server of `url`, dropped at the end; `url` itself emptied without CREATEDB."""
    try:
        session_url = create_database(url)
    except psycopg.Error:
        reset_schema(url)
        yield url
        return
    try:
        yield session_url
    finally:
        drop_database(url, session_url)


@contextlib.contextmanager
def _throwaway_server() -> Iterator[str]:
    """A cluster of our own for the session."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.fail(MISSING, pytrace=False)
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.init()
        for attempt in range(3):
            try:
                cluster.start(free_port())
                break
            except RuntimeError:
                # Another process on this busy machine may take the free port before the server binds it.
                if attempt == 2:
                    raise
        yield cluster.url()
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty database on a real PostgreSQL server, for the whole session."""
    given = os.environ.get(ENV_URL)
    with _database_in(given) if given else _throwaway_server() as url:
        yield url


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """An empty PostgreSQL database for one test (or the session one emptied, without CREATEDB)."""
    with _database_in(postgres_url) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test, on SQLite then on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'ivr.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[CallStore]:
    """A migrated store on a fresh database (SQLite, then PostgreSQL)."""
    opened = await CallStore.open(database_url)
    yield opened
    await opened.close()
