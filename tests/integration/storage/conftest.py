"""Storage integration tests: load the PostgreSQL fixtures (and `store`) unless the root conftest does."""

import pytest

PLUGIN = "tests.support.postgres"


def pytest_configure(config: pytest.Config) -> None:
    """Register tests.support.postgres once (the root conftest may list it in pytest_plugins)."""
    if not config.pluginmanager.has_plugin(PLUGIN):
        config.pluginmanager.import_plugin(PLUGIN)
