"""A Python client for Herd nodes (herd.v1.LocationService over gRPC).

    from herd_client import HerdClient
    with HerdClient.from_config("deploy/herd.json") as herd:
        herd.report("kiwi.cs.ucla.edu", "+34.068930-118.445127")
        print(herd.get("kiwi.cs.ucla.edu").at_line)
"""

from herd_client.client import (HerdClient, NodeClient, Watch, make_channel, now_text,
                                read_config_nodes)
from herd_client.errors import (HerdDeadlineExceeded, HerdError, HerdFailedPrecondition,
                                HerdInvalidArgument, HerdNotFound, HerdPermissionDenied,
                                HerdResourceExhausted, HerdUnavailable)
from herd_client.types import (ClientHit, ClientsNearby, ExactTime, HerdStatus, Nearby, NodeState,
                               NodeStatus, Place, ReportResult, Stamp, WatchEvent)

__all__ = [
    "HerdClient", "NodeClient", "Watch", "make_channel", "now_text", "read_config_nodes",
    "HerdError", "HerdInvalidArgument", "HerdNotFound", "HerdUnavailable",
    "HerdDeadlineExceeded", "HerdFailedPrecondition", "HerdPermissionDenied",
    "HerdResourceExhausted",
    "ExactTime", "Stamp", "ReportResult", "Place", "Nearby", "NodeStatus", "NodeState",
    "HerdStatus", "ClientHit", "ClientsNearby", "WatchEvent",
]
