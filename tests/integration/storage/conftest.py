"""Storage integration tests: load the PostgreSQL fixtures unless the root conftest already does."""

import pytest

from ivr.storage import CallStore

PLUGIN = "tests.support.postgres"


def pytest_configure(config: pytest.Config) -> None:
    """Register tests.support.postgres once (the root conftest may list it in pytest_plugins)."""
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)


@pytest.fixture
async def store(database_url: str):
    """A migrated store on a fresh database (SQLite, then PostgreSQL)."""
    opened = await CallStore.open(database_url)
    yield opened
    await opened.close()
