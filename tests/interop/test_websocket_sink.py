"""The official `massive` Python client against TickRouter's `websocket` sink.

Starts `$TICKROUTER_BIN run --config <temp config>` (provider: simulator, one websocket sink on a
free port) and points the provider's own client at it: two clients with different subscriptions
each get exactly their own parsed events.
"""
import asyncio
import json
import os
import socket
import subprocess
import threading
import time

import pytest
import websockets
from massive import WebSocketClient
from massive.websocket.models import EquityAgg, EquityQuote, EquityTrade

KEY = "sink-test-key"

CONFIG = """
feed:
  provider: simulator
  market: stocks
  max_connections: 1
  simulator: {{ symbols: 20, rate: 20000 }}
connections:
  - {{ name: primary, feed: realtime, channels: [T, Q, AM] }}
universe:
  symbols: [AAPL, MSFT, NVDA, TSLA, AMZN, META, GOOGL, AMD]
routing:
  strategy: round-robin
sinks:
  - {{ type: websocket, listen: "127.0.0.1:{port}", keys: ["${{TR_WS_SINK_KEY}}"] }}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sink_port(tmp_path_factory):
    binary = os.environ.get("TICKROUTER_BIN")
    if not binary:
        pytest.skip("set TICKROUTER_BIN (the tickrouter binary) to run the websocket sink tests")
    port = _free_port()
    directory = tmp_path_factory.mktemp("ws-sink")
    config = directory / "tickrouter.yaml"
    config.write_text(CONFIG.format(port=port))
    env = dict(os.environ, TR_WS_SINK_KEY=KEY)
    proc = subprocess.Popen(
        [binary, "run", "--config", str(config)], cwd=directory, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = []
    ready = threading.Event()

    def pump():
        for line in proc.stdout:
            output.append(line)
            if "websocket sink listening" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(60):
        proc.kill()
        raise RuntimeError("tickrouter did not start its websocket sink:\n" + "".join(output))
    time.sleep(1.0)  # let the feed connection reach streaming
    yield port
    proc.terminate()
    try:
        assert proc.wait(timeout=20) == 0, "".join(output[-20:])
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert KEY not in "".join(output), "the client key was logged"


class _Done(Exception):
    pass


async def _collect(port: int, subscriptions, seconds: float, api_key: str = KEY):
    client = WebSocketClient(
        api_key=api_key, feed=f"127.0.0.1:{port}", market="stocks", secure=False, subscriptions=subscriptions,
    )
    received = []
    deadline = time.monotonic() + seconds

    async def handler(msgs):
        received.extend(msgs)
        if time.monotonic() > deadline:
            raise _Done()

    try:
        await asyncio.wait_for(client.connect(handler), timeout=seconds + 5)
    except (_Done, asyncio.TimeoutError):
        pass
    return received


def test_two_official_clients_get_exactly_their_own(sink_port):
    async def both():
        return await asyncio.gather(
            _collect(sink_port, ["T.AAPL"], 6.0),
            _collect(sink_port, ["Q.MSFT", "AM.*"], 6.0),
        )

    trades_client, mixed_client = asyncio.run(both())

    assert len(trades_client) > 20, f"only {len(trades_client)} AAPL trades"
    assert all(isinstance(m, EquityTrade) and m.symbol == "AAPL" for m in trades_client), \
        {(type(m).__name__, getattr(m, "symbol", None)) for m in trades_client}
    seqs = [t.sequence_number for t in trades_client]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"gap in AAPL trades: {seqs[:20]}"
    for t in trades_client:
        assert t.price > 0 and t.size > 0 and t.timestamp > 1_000_000_000_000

    quotes = [m for m in mixed_client if isinstance(m, EquityQuote)]
    aggs = [m for m in mixed_client if isinstance(m, EquityAgg)]
    assert len(quotes) > 20, f"only {len(quotes)} MSFT quotes"
    assert aggs, "no minute bars"
    assert len(quotes) + len(aggs) == len(mixed_client), \
        {type(m).__name__ for m in mixed_client}
    assert {q.symbol for q in quotes} == {"MSFT"}
    assert all(0 < q.bid_price < q.ask_price for q in quotes)
    assert {a.event_type for a in aggs} == {"AM"} and len({a.symbol for a in aggs}) > 1


def test_raw_protocol_acks_arrays_and_wrong_key(sink_port):
    async def session():
        async with websockets.connect(f"ws://127.0.0.1:{sink_port}/stocks") as ws:
            assert json.loads(await ws.recv())[0]["status"] == "connected"
            await ws.send(json.dumps({"action": "auth", "params": KEY}))
            assert json.loads(await ws.recv())[0]["status"] == "auth_success"
            await ws.send(json.dumps({"action": "subscribe", "params": "T.*,ZZ.AAPL"}))
            acks = [json.loads(await ws.recv())[0] for _ in range(2)]
            assert acks[0] == {"ev": "status", "status": "success", "message": "subscribed to: T.*"}
            assert acks[1]["status"] == "error"
            frames = [json.loads(await ws.recv()) for _ in range(20)]
            assert all(isinstance(f, list) and f and all(e["ev"] == "T" for e in f) for f in frames)
            await ws.send(json.dumps({"action": "unsubscribe", "params": "T.*"}))
        async with websockets.connect(f"ws://127.0.0.1:{sink_port}/") as ws:
            assert json.loads(await ws.recv())[0]["status"] == "connected"
            await ws.send(json.dumps({"action": "auth", "params": "wrong"}))
            assert json.loads(await ws.recv())[0]["status"] == "auth_failed"
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()

    asyncio.run(session())
