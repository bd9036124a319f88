"""herd_client against real herd-node processes."""

import os
import re
import socket
import subprocess
import sys
import time

import pytest

from conftest import Herd, wait_until
from herd_client import (HerdClient, HerdDeadlineExceeded, HerdError, HerdFailedPrecondition,
                         HerdInvalidArgument, HerdNotFound, HerdUnavailable, NodeClient,
                         ReportResult, Stamp)

AT_LINE = re.compile(r"^AT (\S+) [+-]\d+\.\d{9} (\S+) (\S+) (\S+)$")


@pytest.fixture(scope="module")
def client(herd):
    with HerdClient.from_config(herd.config_path, timeout=3.0) as client:
        assert wait_until(lambda: linked(client))
        yield client


def linked(client):
    try:
        status = client.status()
    except HerdError:
        return False
    peers = {n.name: n.status.linked_peers for n in status.nodes if n.up}
    return peers == {"Alpha": ["Bravo"], "Bravo": ["Alpha", "Charlie"], "Charlie": ["Bravo"]}


def holds(node, client_id, client_time_text):
    try:
        return node.get(client_id).client_time_text == client_time_text
    except HerdNotFound:
        return False


def test_report_at_one_node_read_back_at_another(client):
    result = client.node("Alpha").report("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                         "1520023934.918963997")
    assert isinstance(result, ReportResult)
    assert result.stored
    assert result.node == "Alpha"
    stamp = result.stamp
    assert isinstance(stamp, Stamp)
    assert stamp.origin == "Alpha"
    assert stamp.client_id == "kiwi.cs.ucla.edu"
    assert stamp.location == "+34.068930-118.445127"
    assert stamp.latitude == pytest.approx(34.068930)
    assert stamp.longitude == pytest.approx(-118.445127)
    assert (stamp.client_time.seconds, stamp.client_time.nanos) == (1520023934, 918963997)
    assert str(stamp.client_time) == "1520023934.918963997"
    match = AT_LINE.match(stamp.at_line)
    assert match, stamp.at_line
    assert match.groups() == ("Alpha", "kiwi.cs.ucla.edu", "+34.068930-118.445127",
                              "1520023934.918963997")

    charlie = client.node("Charlie")
    assert wait_until(lambda: holds(charlie, "kiwi.cs.ucla.edu", "1520023934.918963997"))
    assert charlie.get("kiwi.cs.ucla.edu") == stamp
    assert charlie.get(b"kiwi.cs.ucla.edu").at_line == stamp.at_line

    stale = client.node("Bravo").report("kiwi.cs.ucla.edu", "+1+1", "1000")
    assert not stale.stored
    assert charlie.get("kiwi.cs.ucla.edu") == stamp


def test_time_defaults_to_now(client):
    before = time.time()
    result = client.report("clock.example", "+10+20")
    after = time.time()
    received = result.stamp.client_time.seconds + result.stamp.client_time.nanos / 1e9
    assert before - 1 <= received <= after + 1
    assert re.fullmatch(r"\d+\.\d{9}", result.stamp.client_time_text)


def test_report_many_succeeds_or_fails_per_report(client):
    results = client.node("Bravo").report_many([
        ("batch-1", "+1+1", "100"),
        ("batch-2", "north", "100"),
        ("batch 3", "+1+1", "100"),
        ("batch-4", "+2+2"),
    ])
    assert len(results) == 4
    assert isinstance(results[0], ReportResult) and results[0].stored
    assert isinstance(results[1], HerdInvalidArgument)
    assert results[1].code == "INVALID_ARGUMENT"
    assert "location" in results[1].message
    assert isinstance(results[2], HerdInvalidArgument)
    assert "client_id" in results[2].message
    assert isinstance(results[3], ReportResult)
    assert client.node("Bravo").get("batch-4").location == "+2+2"


def test_errors_are_mapped_from_status_codes(client):
    alpha = client.node("Alpha")
    with pytest.raises(HerdNotFound) as error:
        alpha.get("nobody.example")
    assert error.value.code == "NOT_FOUND"
    assert error.value.node == "Alpha"
    assert isinstance(error.value, HerdError)
    with pytest.raises(HerdInvalidArgument, match="location"):
        alpha.report("kiwi", "somewhere")
    with pytest.raises(HerdInvalidArgument, match="client_time"):
        alpha.report("kiwi", "+1+1", "yesterday")
    with pytest.raises(HerdInvalidArgument, match="radius_km"):
        alpha.near(lat=0, lng=0, radius_km=500, max_results=3)
    with pytest.raises(HerdInvalidArgument, match="max_results"):
        alpha.near(lat=0, lng=0, radius_km=5, max_results=0)
    with pytest.raises(ValueError):
        alpha.near(radius_km=5, max_results=3)


def test_near_by_client_and_by_coordinates(client):
    client.node("Alpha").report("near.example", "+34.068930-118.445127", "1520023934")
    assert wait_until(lambda: holds(client.node("Charlie"), "near.example", "1520023934"))
    by_client = client.node("Charlie").near("near.example", radius_km=10, max_results=3)
    assert by_client.stamp is not None and by_client.stamp.client_id == "near.example"
    assert 1 <= len(by_client.places) <= 3
    for place in by_client.places:
        assert place.distance_m <= 10_000
        assert place.name
    assert '"results"' in by_client.legacy_json
    by_point = client.near(lat=34.0689, lng=-118.4451, radius_km=10, max_results=3)
    assert by_point.stamp is None
    assert [p.place_id for p in by_point.places] == [p.place_id for p in by_client.places]


def test_a_node_without_places_fails_precondition():
    herd = Herd(["Solo"], [], places=False)
    try:
        herd.start("Solo")
        with NodeClient(herd.addresses["Solo"], timeout=3) as solo:
            with pytest.raises(HerdFailedPrecondition):
                solo.near(lat=1, lng=1, radius_km=1, max_results=1)
    finally:
        herd.stop_all()


def test_status_and_a_node_that_is_down():
    herd = Herd(["Alpha", "Bravo"], [("Alpha", "Bravo")], places=False)
    try:
        herd.start("Alpha")
        herd.start("Bravo")
        with HerdClient.from_config(herd.config_path, timeout=2.0) as client:
            assert wait_until(lambda: client.status().converged and
                              client.node("Alpha").status().linked_peers == ["Bravo"])
            client.node("Bravo").report("down.example", "+5+5", "5")
            assert wait_until(lambda: client.status().converged and
                              client.node("Alpha").status().stamp_count == 1)
            status = client.status()
            assert [n.name for n in status.nodes] == ["Alpha", "Bravo"]
            assert all(n.up for n in status.nodes)
            assert status.nodes[0].status.store_digest == status.nodes[1].status.store_digest

            herd.stop("Alpha")
            status = client.status()
            assert status.down == ["Alpha"]
            assert not status.converged
            assert isinstance(status.nodes[0].error, HerdUnavailable)
            with pytest.raises(HerdUnavailable) as error:
                client.node("Alpha").get("down.example")
            assert error.value.code == "UNAVAILABLE"
            # The herd client moves on to a node that answers.
            assert client.get("down.example").origin == "Bravo"
            assert client.report("down.example", "+6+6", "6").node == "Bravo"
            herd.stop("Bravo")
            with pytest.raises(HerdUnavailable, match="no node answered"):
                client.get("down.example")
    finally:
        herd.stop_all()


def test_a_silent_server_ends_at_the_deadline():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        address = "127.0.0.1:%d" % listener.getsockname()[1]
        with NodeClient(address, timeout=0.3) as node:
            start = time.monotonic()
            with pytest.raises((HerdDeadlineExceeded, HerdUnavailable)):
                node.status()
            assert time.monotonic() - start < 10


def test_example_reports_a_moving_client_and_reads_it_back(herd):
    example = os.path.join(os.path.dirname(__file__), "..", "examples", "moving_client.py")
    result = subprocess.run(
        [sys.executable, example, "--config", herd.config_path, "--report-to", "Alpha",
         "--read-from", "Charlie", "--steps", "5", "--client", "example.walker"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 10, result.stdout
    assert lines[0].startswith("step 0: Alpha AT Alpha ")
    assert lines[1].strip().startswith("Charlie AT Alpha ")
    # What Charlie printed is the stamp Alpha made, byte for byte.
    assert lines[8].split(" ", 3)[3] == lines[9].strip().split(" ", 1)[1].split("  (")[0]


def test_exact_time_and_at_line_text():
    from herd_client import ExactTime
    assert str(ExactTime(1520023934, 918963997)) == "1520023934.918963997"
    assert str(ExactTime(-1, 500000000)) == "-0.500000000"
    stamp = Stamp(client_id="c", location="+1+1", latitude=1, longitude=1,
                  client_time_text="10.5", client_time=ExactTime(10, 500000000), origin="N",
                  received_at=ExactTime(7, 0))
    assert stamp.at_line == "AT N -3.500000000 c +1+1 10.5"


def test_a_tls_herd_is_reached_with_its_ca_and_names_checked():
    herd = Herd(["Alpha", "Bravo"], [("Alpha", "Bravo")], places=False, tls=True)
    try:
        for name in herd.addresses:
            herd.start(name)
        with HerdClient.from_config(herd.config_path, timeout=5) as client:
            result = client.node("Alpha").report("tls-client", "+34.068930-118.445127",
                                                 "1520023934.918963997")
            assert result.stored
            assert wait_until(lambda: _has(client.node("Bravo"), "tls-client"))
        ca = os.path.join(herd.certs, "ca.pem")
        # The certificate at Alpha's address names Alpha: expecting Bravo there is refused.
        with NodeClient(herd.addresses["Alpha"], name="Bravo", ca_file=ca, timeout=3) as wrong:
            with pytest.raises(HerdUnavailable):
                wrong.get("tls-client")
        # A plain channel cannot talk to a TLS node.
        with NodeClient(herd.addresses["Alpha"], name="Alpha", timeout=3) as plain:
            with pytest.raises(HerdUnavailable):
                plain.get("tls-client")
        with pytest.raises(ValueError):
            NodeClient(herd.addresses["Alpha"], ca_file=ca)  # no name to check
    finally:
        herd.stop_all()


def _has(node, client_id):
    try:
        node.get(client_id)
        return True
    except HerdError:
        return False


def test_search_clients_nearest_first_and_its_errors(client):
    alpha = client.node("Alpha")
    for client_id, location in [("sc-centre", "-33.000000+151.000000"),
                                ("sc-b", "-32.990000+151.000000"),
                                ("sc-a", "-32.990000+151.000000"),
                                ("sc-far", "-32.000000+151.000000")]:
        alpha.report(client_id, location, "100")
    charlie = client.node("Charlie")
    assert wait_until(lambda: holds(charlie, "sc-far", "100"))
    answer = charlie.search_clients("sc-centre", radius_km=50, max_results=10)
    assert answer.center.client_id == "sc-centre"
    assert answer.node == "Charlie"
    # Two at the same spot: ordered by client id; the centre client is left out.
    assert [h.stamp.client_id for h in answer.hits] == ["sc-a", "sc-b"]
    assert answer.hits[0].distance_m == pytest.approx(1112, abs=2)
    wide = client.search_clients(lat=-33, lng=151, radius_km=200, max_results=2)
    assert [h.stamp.client_id for h in wide.hits] == ["sc-centre", "sc-a"]
    boxed = client.search_clients(lat=-33, lng=151, box=((-33.005, 150.9), (-32.5, 151.1)),
                                  max_results=10)
    assert [h.stamp.client_id for h in boxed.hits] == ["sc-centre", "sc-a", "sc-b"]
    with pytest.raises(HerdInvalidArgument, match="radius_km"):
        alpha.search_clients(lat=-33, lng=151, radius_km=5000, max_results=10)
    with pytest.raises(HerdInvalidArgument, match="max_results"):
        alpha.search_clients(lat=-33, lng=151, radius_km=5, max_results=0)
    with pytest.raises(HerdNotFound):
        alpha.search_clients("sc-nobody", radius_km=5, max_results=1)


def test_watch_a_circle_across_the_herd(client):
    with client.node("Charlie").watch(lat=-20, lng=30, radius_km=10, timeout=60) as watch:
        alpha = client.node("Alpha")
        alpha.report("walker", "-21.000000+30.000000", "1")  # outside
        alpha.report("walker", "-20.010000+30.000000", "2")  # enters
        alpha.report("walker", "-20.000000+30.010000", "3")  # moves inside
        alpha.report("walker", "-19.000000+30.000000", "4")  # leaves
        events = [next(watch) for _ in range(3)]
    assert [(e.type, e.stamp.client_time_text) for e in events] == [
        ("ENTER", "2"), ("MOVE", "3"), ("EXIT", "4")]
    assert all(e.stamp.origin == "Alpha" and e.node == "Charlie" for e in events)
    with pytest.raises(HerdInvalidArgument, match="radius_km"):
        client.node("Alpha").watch(lat=0, lng=0, radius_km=0)
