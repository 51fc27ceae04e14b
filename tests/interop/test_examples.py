"""Runs every consumer example in examples/consumers against a running `tickrouter run`."""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "consumers")

CONFIG = """
feed:
  provider: simulator
  market: stocks
  max_connections: 1
  simulator: { symbols: 20, rate: 5000 }
connections:
  - { name: primary, feed: realtime, channels: [T, Q, AM] }
universe:
  symbols: [AAPL, MSFT, NVDA, TSLA, AMZN]
routing:
  strategy: round-robin
sinks:
  - { type: unix-socket, path: tickrouter.sock }
"""


@pytest.fixture(scope="module")
def socket_path(tmp_path_factory):
    binary = os.environ.get("TICKROUTER_BIN")
    if not binary:
        pytest.skip("set TICKROUTER_BIN (the tickrouter binary) to run the example tests")
    directory = tmp_path_factory.mktemp("examples")
    (directory / "tickrouter.yaml").write_text(CONFIG)
    proc = subprocess.Popen([binary, "run", "--config", "tickrouter.yaml"], cwd=directory,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    streaming = threading.Event()

    def pump():
        for line in proc.stdout:
            output.append(line)
            if "streaming" in line:
                streaming.set()

    threading.Thread(target=pump, daemon=True).start()
    if not streaming.wait(60):
        proc.kill()
        raise RuntimeError("tickrouter did not start streaming:\n" + "".join(output))
    yield str(directory / "tickrouter.sock")
    proc.terminate()
    proc.wait(timeout=20)


def test_python_stdlib_consumer(socket_path):
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "python_consumer.py"), "--socket", socket_path,
         "--subscribe", "T.AAPL,Q.MSFT,AM.*", "--seconds", "4"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["events"] > 0 and summary["gaps"] == 0
    assert set(summary["per_channel"]) <= {"T", "Q", "AM"} and "T" in summary["per_channel"]
    assert "subscribed to: T.AAPL" in result.stderr


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed")
def test_socat_one_liner(socket_path):
    command = f"""(echo '{{"action":"subscribe","params":"T.AAPL"}}'; sleep 3) | socat - UNIX-CONNECT:{socket_path}"""
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    trades = [e for e in events if e["ev"] == "T"]
    assert trades and all(t["sym"] == "AAPL" for t in trades)
    assert events[0]["status"] == "connected"


def test_parquet_writer(socket_path, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "parquet"
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "parquet_writer.py"), "--socket", socket_path,
         "--subscribe", "T.*,Q.*,AM.*", "--seconds", "4", "--rows", "2000", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout.strip().splitlines()[-1])["rows"]
    files = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs if f.endswith(".parquet")]
    assert files
    assert all(os.path.basename(os.path.dirname(f)).startswith("date=") for f in files)
    assert {os.path.basename(os.path.dirname(os.path.dirname(f))) for f in files} <= {"T", "Q", "AM"}
    assert sum(pq.read_table(f).num_rows for f in files) == rows
    trades = pq.read_table(os.path.join(out, "T")).to_pylist()
    assert trades and all(t["ev"] == "T" and t["p"] > 0 for t in trades)


@pytest.mark.skipif(shutil.which("swift") is None, reason="no Swift toolchain")
def test_swift_consumer(socket_path):
    package = os.path.join(EXAMPLES, "swift")
    scratch = os.path.join(os.environ.get("TMPDIR", "/tmp"), "tickrouter-swift-consumer-build")
    subprocess.run(["swift", "build", "--package-path", package, "--scratch-path", scratch],
                   check=True, timeout=900, capture_output=True)
    binary = os.path.join(scratch, "debug", "TickConsumer")
    result = subprocess.run([binary, socket_path, "T.AAPL,AM.*", "4"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["events"] > 0 and summary["gaps"] == 0
