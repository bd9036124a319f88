"""A herd of real herd-node processes on free loopback ports for the client tests."""

import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

BIN_DIR = os.environ.get("HERD_BIN_DIR", "")
SOURCE_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLACES_FIXTURE = os.path.join(SOURCE_DIR, "tests", "places", "data", "cities500-fixture.txt")


def free_port() -> int:
    """A loopback port below the ephemeral range (not handed out meanwhile as a source port)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    for _ in range(100):
        port = random.randrange(10000, low) if low > 12000 else 0
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def wait_for_port(address: str, timeout: float) -> bool:
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, int(port))) == 0:
                return True
        time.sleep(0.02)
    return False


class Herd:
    """Writes a config and runs one herd-node process per node; stop() ends them all."""

    def __init__(self, names, links, places=True, tls=False):
        if not BIN_DIR or not os.path.exists(os.path.join(BIN_DIR, "herd-node")):
            raise RuntimeError("HERD_BIN_DIR must point at the built herd-node")
        self.dir = tempfile.mkdtemp(prefix="herd-pytest-")
        self.addresses = {name: f"127.0.0.1:{free_port()}" for name in names}
        config = {
            "nodes": [{"name": name, "grpcAddress": address,
                       "textAddress": f"127.0.0.1:{free_port()}"}
                      for name, address in self.addresses.items()],
            "links": [{"nodes": list(link)} for link in links],
            "logDir": "logs",
        }
        if places:
            config["places"] = {"geonames": {"dataFile": PLACES_FIXTURE}}
        self.certs = None
        if tls:
            # A development CA and node certificates from the project's own tool.
            self.certs = os.path.join(self.dir, "certs")
            subprocess.run([os.path.join(SOURCE_DIR, "deploy", "herd-certs"), self.certs] +
                           [f"{name}={address}" for name, address in self.addresses.items()],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                           timeout=120)
            config["tls"] = {"caFile": "certs/ca.pem"}  # relative to the config's directory
            config["gateway"] = {"certFile": "certs/gateway-gateway.pem",
                                 "keyFile": "certs/gateway-gateway.key"}
            for node in config["nodes"]:
                node["certFile"] = f"certs/node-{node['name']}.pem"
                node["keyFile"] = f"certs/node-{node['name']}.key"
        self.config_path = os.path.join(self.dir, "herd.json")
        with open(self.config_path, "w") as f:
            json.dump(config, f)
        self.processes = {}

    def start(self, name):
        out = open(os.path.join(self.dir, f"{name}.out"), "ab")
        self.processes[name] = subprocess.Popen(
            [os.path.join(BIN_DIR, "herd-node"), "--config", self.config_path, "--name", name],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        out.close()
        if not wait_for_port(self.addresses[name], 20):
            raise RuntimeError(f"herd-node {name} did not start")

    def stop(self, name):
        process = self.processes.pop(name)
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self):
        for name in list(self.processes):
            self.stop(name)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_until(condition, timeout=20.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@pytest.fixture(scope="module")
def herd():
    """Alpha - Bravo - Charlie, all running and linked."""
    herd = Herd(["Alpha", "Bravo", "Charlie"], [("Alpha", "Bravo"), ("Bravo", "Charlie")])
    try:
        for name in herd.addresses:
            herd.start(name)
        yield herd
    finally:
        herd.stop_all()
