"""Real speech models decoding real audio: CPU-bound tests whose duration grows with the machine's load."""

import pytest

# The suite's 300 s per-test timeout catches hangs. Decoding dozens of prompts is CPU work that takes
# several times longer on a busy 2-core machine than on an idle one, so these tests get more room.
ASR_TEST_TIMEOUT = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test of this folder the longer timeout (a test's own timeout marker still wins)."""
    for item in items:
        if item.path.parent.name == "asr_engines" and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(ASR_TEST_TIMEOUT))
