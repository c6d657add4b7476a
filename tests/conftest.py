"""Suite-wide fixtures; each tier adds its own conftest."""

from pathlib import Path

import pytest

pytest_plugins = ["tests.support.postgres", "tests.support.calls"]

CAPTURES = Path(__file__).parent / "fixtures" / "asterisk-captures"


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    """Folder of the real Asterisk captures (copied from ../shared/asterisk-captures)."""
    return CAPTURES
