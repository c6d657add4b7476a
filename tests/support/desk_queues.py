"""The queue side a desktop test needs over a real AMI client: the ACD event stream and call control."""

from __future__ import annotations

from ivr.ami.client import AmiClient
from ivr.storage.store import CallStore
from queues.ami_bridge import QueueMonitor
from queues.call_control import AmiCallControl
from queues.live import LiveQueues
from queues.transfer_timings import TransferTimings


def desk_queues(ami: AmiClient, store: CallStore) -> dict[str, object]:
    """WebDeps keyword arguments: a started QueueMonitor (the event stream) and AMI call control."""
    monitor = QueueMonitor(ami, store, LiveQueues(), TransferTimings())
    monitor.start()
    return {"queue_events": monitor, "calls": AmiCallControl(ami)}
