"""cluster: the worker list for the generated dialplan, the worker's name and the drain timeout."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ivr.config import ServiceConfig
from queues.asterisk_conf import ServiceHints


def test_defaults_are_one_worker_with_a_minute_of_drain() -> None:
    cluster = ServiceConfig().cluster
    assert (cluster.name, cluster.workers, cluster.drain_timeout) == (None, [], 60.0)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"workers": ["10.0.0.5"]}, "must be"),
        ({"workers": ["10.0.0.5:4573", "10.0.0.5:4573"]}, "listed twice"),
        ({"name": "has space"}, "pattern"),
        ({"drain_timeout": -1}, "greater than or equal"),
        ({"lease_seconds": 0}, "greater than or equal"),
    ],
)
def test_bad_cluster_settings_are_refused(section: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ServiceConfig.model_validate({"cluster": section})


def test_asterisk_config_takes_the_worker_list_from_ivr_yaml() -> None:
    config = ServiceConfig.model_validate({"cluster": {"workers": ["10.0.0.5:4573", "[fd00::6]:4573"]}})
    assert ServiceHints.from_service(config).workers == ("10.0.0.5:4573", "[fd00::6]:4573")
