"""Clients for herd nodes: NodeClient talks to one node, HerdClient to every node of a config."""

import json
import os
import time
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import grpc

from herd_client._stubs import pb, pb_grpc
from herd_client.errors import HerdError, HerdUnavailable, error_for, from_rpc_error
from herd_client.types import (ClientHit, ClientsNearby, ExactTime, HerdStatus, Nearby, NodeState,
                               NodeStatus, Place, ReportResult, Stamp, WatchEvent)

Text = Union[str, bytes]
DEFAULT_TIMEOUT = 5.0


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def make_channel(address: str, *, name: str = "", ca_file: Optional[str] = None,
                 cert_file: Optional[str] = None, key_file: Optional[str] = None) -> grpc.Channel:
    """The one place where herd_client opens a channel to a node. Plain without `ca_file`; with
    it, TLS trusting that CA only and requiring the node's certificate to carry `name` (whatever
    host the address names); `cert_file`/`key_file` present a certificate, for herds that
    require one from clients."""
    # A node that comes back is reconnected within a second. (Not grpc.min_reconnect_backoff_ms:
    # gRPC also uses it as the connect timeout, and a low one fails handshakes on a busy machine.)
    options = [
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 1000),
        ("grpc.max_receive_message_length", 16 << 20),
    ]
    if ca_file is None:
        if cert_file is not None or key_file is not None:
            raise ValueError("a client certificate needs ca_file (TLS)")
        return grpc.insecure_channel(address, options=options)
    if not name:
        raise ValueError("TLS needs the node's name: its certificate must carry it")
    if (cert_file is None) != (key_file is None):
        raise ValueError("cert_file and key_file go together")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(ca_file),
        private_key=_read(key_file) if key_file else None,
        certificate_chain=_read(cert_file) if cert_file else None)
    options.append(("grpc.ssl_target_name_override", name))
    return grpc.secure_channel(address, credentials, options=options)


def now_text() -> str:
    """The current time as POSIX seconds with nine decimals."""
    seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
    return f"{seconds}.{nanos:09d}"


def _bytes(value: Text) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _text(value: bytes) -> str:
    # surrogateescape keeps any byte a client sent, and encodes back to the same bytes.
    return value.decode("utf-8", "surrogateescape")


def _exact(t) -> ExactTime:
    return ExactTime(seconds=t.seconds, nanos=t.nanos)


def _stamp(s) -> Stamp:
    return Stamp(client_id=_text(s.client_id), location=_text(s.location_text),
                 latitude=s.latitude, longitude=s.longitude,
                 client_time_text=_text(s.client_time_text), client_time=_exact(s.client_time),
                 origin=s.origin, received_at=_exact(s.received_at))


def _report_request(client_id: Text, location: Text, client_time: Optional[Text]):
    return pb.ReportRequest(client_id=_bytes(client_id), location=_bytes(location),
                            client_time=_bytes(client_time if client_time is not None
                                               else now_text()))


Box = Tuple[Tuple[float, float], Tuple[float, float]]  # ((south, west), (north, east)) in degrees


def _set_box(box_message, box: Box) -> None:
    (low_lat, low_lng), (high_lat, high_lng) = box
    box_message.low.latitude, box_message.low.longitude = low_lat, low_lng
    box_message.high.latitude, box_message.high.longitude = high_lat, high_lng


class Watch:
    """A live watch on one node: iterate it for WatchEvents (ENTER, MOVE, EXIT), in the order
    the node stored the stamps. Iteration raises a HerdError when the stream ends with one
    (HerdResourceExhausted: this watcher fell behind). cancel() ends it."""

    def __init__(self, call, node: str):
        self._call = call
        self.node = node

    def __iter__(self) -> "Watch":
        return self

    def __next__(self) -> WatchEvent:
        try:
            event = next(self._call)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.CANCELLED:
                raise StopIteration from None
            raise from_rpc_error(error, self.node) from None
        return WatchEvent(type=pb.WatchEvent.Type.Name(event.type), stamp=_stamp(event.stamp),
                          node=self.node)

    def cancel(self) -> None:
        self._call.cancel()

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()


class NodeClient:
    """Calls one node. Every call has a deadline (`timeout` seconds, per call overridable) and
    raises a HerdError subclass mapped from the gRPC status code when it fails."""

    def __init__(self, address: str, *, name: str = "", timeout: float = DEFAULT_TIMEOUT,
                 ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                 key_file: Optional[str] = None):
        self.address = address
        self.name = name or address
        self.timeout = timeout
        self._channel = make_channel(address, name=name, ca_file=ca_file, cert_file=cert_file,
                                     key_file=key_file)
        self._stub = pb_grpc.LocationServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "NodeClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method, request, timeout):
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.name) from None

    def report(self, client_id: Text, location: Text, client_time: Optional[Text] = None, *,
               timeout: Optional[float] = None) -> ReportResult:
        """Reports where a client is; `client_time` (POSIX seconds) defaults to now."""
        response = self._call(self._stub.Report,
                              _report_request(client_id, location, client_time), timeout)
        return ReportResult(stamp=_stamp(response.stamp), stored=response.stored, node=self.name)

    def report_many(self, reports: Iterable[Sequence[Text]], *,
                    timeout: Optional[float] = None) -> List[Union[ReportResult, HerdError]]:
        """Many reports in one call: (client_id, location[, client_time]) each. Each succeeds or
        fails alone: the result list holds a ReportResult or a HerdError (not raised) per
        report, in order."""
        request = pb.ReportBatchRequest(
            reports=[_report_request(r[0], r[1], r[2] if len(r) > 2 else None) for r in reports])
        response = self._call(self._stub.ReportBatch, request, timeout)
        results: List[Union[ReportResult, HerdError]] = []
        for result in response.results:
            if result.code == 0:
                results.append(ReportResult(stamp=_stamp(result.response.stamp),
                                            stored=result.response.stored, node=self.name))
            else:
                results.append(error_for(result.code, result.message, self.name))
        return results

    def get(self, client_id: Text, *, timeout: Optional[float] = None) -> Stamp:
        """The client's latest stamp; HerdNotFound when the herd does not know the client."""
        return _stamp(self._call(self._stub.GetLocation,
                                 pb.GetLocationRequest(client_id=_bytes(client_id)), timeout))

    def near(self, client_id: Optional[Text] = None, *, lat: Optional[float] = None,
             lng: Optional[float] = None, radius_km: float, max_results: int,
             timeout: Optional[float] = None) -> Nearby:
        """Places near a client's latest location, or near (lat, lng)."""
        if (client_id is None) == (lat is None or lng is None):
            raise ValueError("near: give a client_id or both lat and lng")
        request = pb.SearchNearbyRequest(radius_km=radius_km, max_results=max_results)
        if client_id is not None:
            request.client_id = _bytes(client_id)
        else:
            request.location.latitude = lat
            request.location.longitude = lng
        response = self._call(self._stub.SearchNearby, request, timeout)
        places = [Place(place_id=p.place_id, name=p.name, latitude=p.latitude,
                        longitude=p.longitude, types=list(p.types), vicinity=p.vicinity,
                        distance_m=p.distance_m) for p in response.places]
        return Nearby(places=places,
                      stamp=_stamp(response.stamp) if response.HasField("stamp") else None,
                      legacy_json=response.legacy_json, node=self.name)

    def search_clients(self, client_id: Optional[Text] = None, *, lat: Optional[float] = None,
                       lng: Optional[float] = None, radius_km: float = 0,
                       max_results: int, box: Optional[Box] = None, max_age_seconds: int = 0,
                       timeout: Optional[float] = None) -> ClientsNearby:
        """The herd's clients nearest a client (itself left out) or (lat, lng): within
        `radius_km`, or within `box` ((south, west), (north, east)) instead; nearest first,
        ties by client id; with `max_age_seconds`, only stamps received that recently."""
        if (client_id is None) == (lat is None or lng is None):
            raise ValueError("search_clients: give a client_id or both lat and lng")
        request = pb.SearchClientsRequest(radius_km=radius_km, max_results=max_results,
                                          max_age_seconds=max_age_seconds)
        if client_id is not None:
            request.client_id = _bytes(client_id)
        else:
            request.location.latitude = lat
            request.location.longitude = lng
        if box is not None:
            _set_box(request.box, box)
        response = self._call(self._stub.SearchClients, request, timeout)
        return ClientsNearby(
            hits=[ClientHit(stamp=_stamp(h.stamp), distance_m=h.distance_m) for h in response.hits],
            center=_stamp(response.center_stamp) if response.HasField("center_stamp") else None,
            node=self.name)

    def watch(self, client_ids: Optional[Sequence[Text]] = None, *, lat: Optional[float] = None,
              lng: Optional[float] = None, radius_km: Optional[float] = None,
              box: Optional[Box] = None, timeout: Optional[float] = None) -> Watch:
        """Watches clients by id, a circle (lat, lng, radius_km) or a box; returns once the node
        has the watch in place (every stamp it stores from then on is matched). `timeout`
        bounds the whole stream (default: none)."""
        request = pb.WatchRequest()
        if client_ids is not None:
            request.clients.client_ids.extend(_bytes(c) for c in client_ids)
        elif box is not None:
            _set_box(request.box, box)
        elif lat is not None and lng is not None and radius_km is not None:
            request.circle.center.latitude = lat
            request.circle.center.longitude = lng
            request.circle.radius_km = radius_km
        else:
            raise ValueError("watch: give client_ids, a box, or lat, lng and radius_km")
        call = self._stub.Watch(request, timeout=timeout)
        try:
            ready = next(call)
        except grpc.RpcError as error:
            raise from_rpc_error(error, self.name) from None
        if ready.type != pb.WatchEvent.READY:
            call.cancel()
            raise HerdError("UNKNOWN", f"watch: expected READY first, got {ready.type}", self.name)
        return Watch(call, self.name)

    def status(self, *, timeout: Optional[float] = None) -> NodeStatus:
        response = self._call(self._stub.GetStatus, pb.GetStatusRequest(), timeout)
        return NodeStatus(node=response.node, stamp_count=response.stamp_count,
                          store_digest=response.store_digest,
                          linked_peers=list(response.linked_peers))


def read_config_nodes(path: str) -> List[Tuple[str, str]]:
    """(name, grpcAddress) of every node of a herd config file, in order."""
    with open(path) as f:
        config = json.load(f)
    return [(node["name"], node["grpcAddress"]) for node in config.get("nodes", [])]


def read_config_ca(path: str) -> Optional[str]:
    """The CA file of a herd config's "tls" section (relative to the config's directory), or
    None for a plain herd."""
    with open(path) as f:
        config = json.load(f)
    ca = config.get("tls", {}).get("caFile")
    if not ca:
        return None
    ca = os.path.expanduser(ca)
    return ca if os.path.isabs(ca) else os.path.join(os.path.dirname(os.path.abspath(path)), ca)


class HerdClient:
    """Calls the nodes of a herd. report/report_many/get/near/search_clients/watch go to the
    first node that can be reached (in config order, or `prefer` first); status asks every node."""

    def __init__(self, nodes: Sequence[Tuple[str, str]], *, timeout: float = DEFAULT_TIMEOUT,
                 ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                 key_file: Optional[str] = None):
        if not nodes:
            raise ValueError("a herd needs at least one node")
        self.nodes = {name: NodeClient(address, name=name, timeout=timeout, ca_file=ca_file,
                                       cert_file=cert_file, key_file=key_file)
                      for name, address in nodes}

    @classmethod
    def from_config(cls, path: str, *, timeout: float = DEFAULT_TIMEOUT,
                    ca_file: Optional[str] = None, cert_file: Optional[str] = None,
                    key_file: Optional[str] = None) -> "HerdClient":
        """The config's nodes; over TLS with its CA when it has "tls" (or `ca_file`)."""
        return cls(read_config_nodes(path), timeout=timeout,
                   ca_file=ca_file or read_config_ca(path), cert_file=cert_file,
                   key_file=key_file)

    def node(self, name: str) -> NodeClient:
        return self.nodes[name]

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()

    def __enter__(self) -> "HerdClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _first(self, call, prefer: Optional[str]):
        order = list(self.nodes.values())
        if prefer is not None:
            order.sort(key=lambda n: n.name != prefer)
        unreachable = []
        for node in order:
            try:
                return call(node)
            except HerdUnavailable as error:
                unreachable.append(error)
        raise HerdUnavailable("UNAVAILABLE", "no node answered: " +
                              "; ".join(str(e) for e in unreachable))

    def report(self, client_id, location, client_time=None, *, prefer=None) -> ReportResult:
        return self._first(lambda n: n.report(client_id, location, client_time), prefer)

    def report_many(self, reports, *, prefer=None):
        reports = list(reports)
        return self._first(lambda n: n.report_many(reports), prefer)

    def get(self, client_id, *, prefer=None) -> Stamp:
        return self._first(lambda n: n.get(client_id), prefer)

    def near(self, client_id=None, *, prefer=None, **kwargs) -> Nearby:
        return self._first(lambda n: n.near(client_id, **kwargs), prefer)

    def search_clients(self, client_id=None, *, prefer=None, **kwargs) -> ClientsNearby:
        return self._first(lambda n: n.search_clients(client_id, **kwargs), prefer)

    def watch(self, client_ids=None, *, prefer=None, **kwargs) -> Watch:
        return self._first(lambda n: n.watch(client_ids, **kwargs), prefer)

    def status(self) -> HerdStatus:
        """Every node's status (asked one after another, each within the timeout)."""
        states = []
        for node in self.nodes.values():
            try:
                states.append(NodeState(node.name, node.address, status=node.status()))
            except HerdError as error:
                states.append(NodeState(node.name, node.address, error=error))
        return HerdStatus(nodes=states)
