"""Starts one simulator process for the interop tests.

The simulator command is, in order of preference:
  TICKROUTER_SIM_CMD  a full command with a `{port}` placeholder (development builds);
  TICKROUTER_BIN      path to the `tickrouter` binary: `$TICKROUTER_BIN simulate --port PORT ...`.
"""
import os
import re
import shlex
import socket
import subprocess
import threading
import time

import pytest

SYMBOLS = 50
RATE = 20000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(port: int) -> list:
    template = os.environ.get("TICKROUTER_SIM_CMD")
    if template:
        return shlex.split(template.replace("{port}", str(port)))
    binary = os.environ.get("TICKROUTER_BIN")
    if not binary:
        pytest.skip("set TICKROUTER_BIN (tickrouter binary) or TICKROUTER_SIM_CMD")
    return [binary, "simulate", "--port", str(port), "--symbols", str(SYMBOLS), "--rate", str(RATE)]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def simulator_port():
    port = _free_port()
    proc = subprocess.Popen(_command(port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ready = threading.Event()
    output = []

    def pump():
        for line in proc.stdout:
            output.append(line)
            if re.search(r"simulator listening on ws://\S+:\d+", line):
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not ready.is_set() and not _port_open(port):
        if proc.poll() is not None:
            raise RuntimeError("simulator exited early:\n" + "".join(output))
        time.sleep(0.1)
    if not ready.is_set() and not _port_open(port):
        proc.kill()
        raise RuntimeError("simulator did not start listening:\n" + "".join(output))
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
