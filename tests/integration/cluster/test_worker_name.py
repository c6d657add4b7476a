"""One worker name: the cluster registry and the calls the worker stores (crash recovery) use the same."""

from __future__ import annotations

import socket


async def test_the_registry_and_the_stored_calls_name_the_worker_alike(running_service, fresh_postgres_url):
    async with running_service(database={"url": fresh_postgres_url}) as service:
        assert service.cluster is not None, "PostgreSQL: the worker joins its cluster"
        # The configured FastAGI port (0 here), not the bound one: the name is the same at every restart.
        assert service.cluster.name == service.store.worker == f"{socket.gethostname()}:0"


async def test_cluster_name_names_the_worker_everywhere(running_service, fresh_postgres_url):
    async with running_service(database={"url": fresh_postgres_url}, cluster={"name": "ivr-a"}) as service:
        assert service.cluster.name == service.store.worker == "ivr-a"
