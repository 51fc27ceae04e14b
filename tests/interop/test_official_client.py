"""The official `massive` Python client against the TickRouter simulator (provider-protocol.md §2-§4)."""
import asyncio
import json
import time
from collections import defaultdict

import websockets
from massive import WebSocketClient
from massive.websocket.models import EquityAgg, EquityQuote, EquityTrade


class _Done(Exception):
    """Raised from the handler to stop the client after the collection period."""


def _collect(port: int, subscriptions, seconds: float, raw: bool = False):
    client = WebSocketClient(
        api_key="test",
        feed=f"127.0.0.1:{port}",
        market="stocks",
        secure=False,
        raw=raw,
        subscriptions=subscriptions,
    )
    received = []
    deadline = time.monotonic() + seconds

    async def handler(msgs):
        if raw:
            received.append(msgs)
        else:
            received.extend(msgs)
        # With a backlog, recv() completes without suspending, so a timer alone may never fire.
        if time.monotonic() > deadline:
            raise _Done()

    async def main():
        try:
            await asyncio.wait_for(client.connect(handler), timeout=seconds + 5)
        except (_Done, asyncio.TimeoutError):
            pass

    asyncio.run(main())
    return received


def test_typed_messages(simulator_port):
    msgs = _collect(simulator_port, ["T.*", "Q.*", "AM.*"], 5.0)
    trades = [m for m in msgs if isinstance(m, EquityTrade)]
    quotes = [m for m in msgs if isinstance(m, EquityQuote)]
    aggs = [m for m in msgs if isinstance(m, EquityAgg)]
    assert len(trades) > 1000, f"only {len(trades)} trades"
    assert len(quotes) > 1000, f"only {len(quotes)} quotes"
    assert len(aggs) > 10, f"only {len(aggs)} minute bars"
    # Only the subscribed channels arrive.
    assert {m.event_type for m in msgs} <= {"T", "Q", "AM"}

    for t in trades:
        assert t.symbol and t.price > 0 and t.size > 0
        assert t.exchange is not None and t.timestamp > 1_000_000_000_000
        assert isinstance(t.id, str) and t.tape in (1, 2, 3)
    for q in quotes:
        assert q.symbol and 0 < q.bid_price < q.ask_price
        assert q.bid_size > 0 and q.ask_size > 0
    for a in aggs:
        assert a.event_type == "AM" and a.symbol
        assert a.low <= a.open <= a.high and a.low <= a.close <= a.high
        assert a.end_timestamp - a.start_timestamp == 60_000

    # Sequence numbers are consecutive per symbol for trades (no loss, no reordering).
    by_symbol = defaultdict(list)
    for t in trades:
        by_symbol[t.symbol].append(t.sequence_number)
    assert len(by_symbol) > 5
    for symbol, seqs in by_symbol.items():
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"gap in {symbol}: {seqs[:20]}"


def test_raw_frames_are_json_arrays(simulator_port):
    frames = _collect(simulator_port, ["T.*"], 2.0, raw=True)
    assert len(frames) > 10
    for frame in frames:
        parsed = json.loads(frame)
        assert isinstance(parsed, list) and parsed
        assert all(isinstance(e, dict) and "ev" in e for e in parsed)
    events = [e for f in frames for e in json.loads(f) if e["ev"] != "status"]
    assert events and all(e["ev"] == "T" for e in events)


def test_handshake_and_errors(simulator_port):
    async def main():
        async with websockets.connect(f"ws://127.0.0.1:{simulator_port}/stocks") as ws:
            assert json.loads(await ws.recv()) == [
                {"ev": "status", "status": "connected", "message": "Connected Successfully"}
            ]
            await ws.send(json.dumps({"action": "auth", "params": "test"}))
            assert json.loads(await ws.recv())[0]["status"] == "auth_success"
            await ws.send(json.dumps({"action": "subscribe", "params": "T.BRK.A,ZZ.X"}))
            assert json.loads(await ws.recv()) == [
                {"ev": "status", "status": "success", "message": "subscribed to: T.BRK.A"}
            ]
            assert json.loads(await ws.recv()) == [
                {"ev": "status", "status": "error", "message": "unknown channel: ZZ"}
            ]

    asyncio.run(main())
