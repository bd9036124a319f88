"""Typed results of herd_client calls."""

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass(frozen=True)
class ExactTime:
    """Seconds since the POSIX epoch (floored) plus nanoseconds in [0, 1e9)."""

    seconds: int
    nanos: int

    @property
    def total_nanos(self) -> int:
        return self.seconds * 1_000_000_000 + self.nanos

    def __str__(self) -> str:
        whole, nanos = divmod(abs(self.total_nanos), 1_000_000_000)
        return f"{'-' if self.total_nanos < 0 else ''}{whole}.{nanos:09d}"


@dataclass(frozen=True)
class Stamp:
    """A client's location as stamped by the node that first received it."""

    client_id: str
    location: str  # ISO 6709 exactly as reported, e.g. "+34.068930-118.445127"
    latitude: float
    longitude: float
    client_time_text: str  # exactly as reported, e.g. "1520023934.918963997"
    client_time: ExactTime
    origin: str  # the node that received the report
    received_at: ExactTime

    @property
    def at_line(self) -> str:
        """The legacy `AT` line: "AT <origin> <diff> <client> <location> <time>"."""
        diff = self.received_at.total_nanos - self.client_time.total_nanos
        sign = "-" if diff < 0 else "+"
        whole, nanos = divmod(abs(diff), 1_000_000_000)
        return (f"AT {self.origin} {sign}{whole}.{nanos:09d} {self.client_id} {self.location} "
                f"{self.client_time_text}")


@dataclass(frozen=True)
class ReportResult:
    stamp: Stamp
    stored: bool  # False when the herd already held a newer stamp for the client
    node: str = ""  # the node that answered


@dataclass(frozen=True)
class Place:
    place_id: str
    name: str
    latitude: float
    longitude: float
    types: List[str]
    vicinity: str
    distance_m: float


@dataclass(frozen=True)
class Nearby:
    places: List[Place]
    stamp: Optional[Stamp] = None  # the client's stamp when the search was by client id
    legacy_json: str = ""  # Google Nearby Search (legacy) shaped JSON, as the gateway prints it
    node: str = ""


@dataclass(frozen=True)
class NodeStatus:
    node: str
    stamp_count: int
    store_digest: int
    linked_peers: List[str]


@dataclass(frozen=True)
class NodeState:
    """One node in a HerdStatus: its status when it answered, the error when it did not."""

    name: str
    address: str
    status: Optional[NodeStatus] = None
    error: Optional[Exception] = None

    @property
    def up(self) -> bool:
        return self.status is not None


@dataclass(frozen=True)
class HerdStatus:
    nodes: List[NodeState] = field(default_factory=list)

    @property
    def down(self) -> List[str]:
        return [n.name for n in self.nodes if not n.up]

    @property
    def converged(self) -> bool:
        """Every node answered and all hold the same stamps (equal digests and counts)."""
        if self.down:
            return False
        return len({(n.status.store_digest, n.status.stamp_count) for n in self.nodes}) <= 1


@dataclass(frozen=True)
class ClientHit:
    stamp: Stamp
    distance_m: float  # great-circle distance from the search centre


@dataclass(frozen=True)
class ClientsNearby:
    hits: List[ClientHit]  # nearest first, ties by client id
    center: Optional[Stamp] = None  # the centre client's stamp when the search was by client id
    node: str = ""


@dataclass(frozen=True)
class WatchEvent:
    type: str  # "ENTER", "MOVE" or "EXIT"
    stamp: Stamp
    node: str = ""
