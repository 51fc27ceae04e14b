#!/usr/bin/env python3
"""Turns the TickRouter Unix-socket stream into date-partitioned Parquet files (pyarrow).

One dataset per channel under OUT/<channel>/date=YYYY-MM-DD/part-N.parquet, the date taken from
each event's timestamp (`t`, or `s` for bars; UTC). Rows are buffered and written every
--rows events per channel and at the end. Columns are the provider's field names; nested fields
(trade conditions `c`, quote indicators `i`) are kept as lists.

    pip install pyarrow
    python3 parquet_writer.py --socket tickrouter.sock --subscribe 'T.*,Q.*,AM.*' --out parquet --seconds 60
"""
import argparse
import datetime
import json
import os
import socket
import sys
import time
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq


def event_date(event) -> str:
    millis = event.get("t") or event.get("s") or event.get("e") or 0
    return datetime.datetime.fromtimestamp(millis / 1000, tz=datetime.timezone.utc).strftime("%Y-%m-%d")


class Writer:
    def __init__(self, out: str, rows: int):
        self.out, self.rows = out, rows
        self.pending = defaultdict(list)   # (channel, date) -> rows
        self.parts = defaultdict(int)
        self.written = 0

    def add(self, event):
        key = (event["ev"], event_date(event))
        self.pending[key].append(event)
        if len(self.pending[key]) >= self.rows:
            self.flush(key)

    def flush(self, key):
        rows = self.pending.pop(key, [])
        if not rows:
            return
        channel, date = key
        directory = os.path.join(self.out, channel, f"date={date}")
        os.makedirs(directory, exist_ok=True)
        while os.path.exists(os.path.join(directory, f"part-{self.parts[key]}.parquet")):
            self.parts[key] += 1
        table = pa.Table.from_pylist(rows)
        pq.write_table(table, os.path.join(directory, f"part-{self.parts[key]}.parquet"))
        self.parts[key] += 1
        self.written += len(rows)

    def close(self):
        for key in list(self.pending):
            self.flush(key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", default="tickrouter.sock")
    parser.add_argument("--subscribe", default="T.*,Q.*,AM.*")
    parser.add_argument("--out", default="parquet")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rows", type=int, default=50_000, help="rows per Parquet file")
    args = parser.parse_args()

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(args.socket)
    sock.sendall((json.dumps({"action": "subscribe", "params": args.subscribe}) + "\n").encode())
    reader = sock.makefile("rb", buffering=1 << 20)
    writer = Writer(args.out, args.rows)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        line = reader.readline()
        if not line:
            break
        event = json.loads(line)
        if event.get("ev") == "status":
            continue
        writer.add(event)
    writer.close()
    print(json.dumps({"rows": writer.written, "out": args.out}))
    return 0 if writer.written > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
