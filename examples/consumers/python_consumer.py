#!/usr/bin/env python3
"""A TickRouter Unix-socket consumer with the Python standard library only.

Connects, subscribes with the provider's syntax, parses one JSON event per line and checks the
per-(channel, symbol) sequence numbers (`q`, or `i` for NOI) for gaps. Status lines (acks, `gap`,
`demoted`/`promoted`) are printed as they come.

    python3 python_consumer.py --socket tickrouter.sock --subscribe 'T.AAPL,Q.*' --seconds 10

Exit code 0 when events arrived and no gap was seen, 1 otherwise.
"""
import argparse
import json
import socket
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", default="tickrouter.sock", help="the unix-socket sink's path")
    parser.add_argument("--subscribe", default="T.*", help="provider syntax: T.AAPL,Q.*,AM.*")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to read")
    args = parser.parse_args()

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(args.socket)
    sock.sendall((json.dumps({"action": "subscribe", "params": args.subscribe}) + "\n").encode())
    reader = sock.makefile("rb", buffering=1 << 20)

    last = {}          # (channel, symbol) -> last sequence number
    events = gaps = missing = 0
    per_channel = {}
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        line = reader.readline()
        if not line:
            break
        event = json.loads(line)
        channel = event.get("ev")
        if channel == "status":
            print("status:", event.get("status"), event.get("message"), file=sys.stderr)
            continue
        events += 1
        per_channel[channel] = per_channel.get(channel, 0) + 1
        symbol = event.get("sym") or event.get("T")
        sequence = event.get("i") if channel == "NOI" else event.get("q")
        if sequence is None:
            continue
        key = (channel, symbol)
        previous = last.get(key)
        if previous is not None and sequence > previous + 1:
            gaps += 1
            missing += sequence - previous - 1
            print(f"gap: {channel}.{symbol} {previous} -> {sequence}", file=sys.stderr)
        if previous is None or sequence > previous:
            last[key] = sequence
    print(json.dumps({"events": events, "per_channel": per_channel, "streams": len(last), "gaps": gaps, "missing": missing}))
    return 0 if events > 0 and gaps == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
