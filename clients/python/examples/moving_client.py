#!/usr/bin/python3
"""Reports a client walking across Los Angeles to one node and reads it back from another.

    PYTHONPATH=build/python:clients/python clients/python/examples/moving_client.py \
        [--config deploy/herd.json] [--report-to Hands] [--read-from Welsh] [--steps 10]

Each step reports the new position (ISO 6709) at --report-to, then polls --read-from until the
herd has flooded that stamp there, and prints both AT lines and how long propagation took.
"""

import argparse
import os
import sys
import time

from herd_client import HerdClient, HerdError

DEFAULT_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                              "deploy", "herd.json")


def iso6709(lat: float, lng: float) -> str:
    return f"{lat:+.6f}{lng:+.6f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=os.path.normpath(DEFAULT_CONFIG))
    parser.add_argument("--report-to", help="node to report to (default: the first)")
    parser.add_argument("--read-from", help="node to read from (default: the last)")
    parser.add_argument("--client", default="walker.example")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--wait", type=float, default=5.0,
                        help="seconds to wait for each stamp to reach --read-from")
    args = parser.parse_args()

    with HerdClient.from_config(args.config, timeout=2.0) as herd:
        names = list(herd.nodes)
        writer = herd.node(args.report_to or names[0])
        reader = herd.node(args.read_from or names[-1])
        lat, lng = 34.068930, -118.445127  # UCLA, walking east
        for step in range(args.steps):
            lat, lng = lat + 0.0005, lng + 0.002
            try:
                sent = writer.report(args.client, iso6709(lat, lng))
            except HerdError as error:
                print(f"report failed: {error}", file=sys.stderr)
                return 1
            start = time.monotonic()
            while True:
                try:
                    seen = reader.get(args.client)
                    if seen.client_time == sent.stamp.client_time:
                        break
                except HerdError as error:
                    if error.code != "NOT_FOUND":
                        print(f"read failed: {error}", file=sys.stderr)
                        return 1
                if time.monotonic() - start > args.wait:
                    print(f"step {step}: {reader.name} did not get the stamp within {args.wait} s",
                          file=sys.stderr)
                    return 1
                time.sleep(0.005)
            millis = (time.monotonic() - start) * 1000
            print(f"step {step}: {writer.name} {sent.stamp.at_line}")
            print(f"        {reader.name} {seen.at_line}  ({millis:.1f} ms later)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
