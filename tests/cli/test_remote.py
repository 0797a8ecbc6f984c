"""The same commands against a real `mlcycle server` (MLCYCLE_SERVER_URL) give the same answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Invoke, Seeded, strict_json

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_url() -> Iterator[str]:
    import httpx

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(Path(sys.executable).with_name("mlcycle")), "server", "--no-auth", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mlcycle server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("mlcycle server did not start within 30 s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


def test_commands_work_remotely(
    invoke: Invoke, seeded: Seeded, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded_runs = strict_json(invoke("runs", "list", seeded.project, "--json").stdout)
    embedded_show = strict_json(invoke("runs", "show", seeded.baseline, "--json").stdout)
    embedded_lifecycle = strict_json(invoke("lifecycle", seeded.project, "--json").stdout)

    monkeypatch.setenv("MLCYCLE_SERVER_URL", server_url)
    assert strict_json(invoke("runs", "list", seeded.project, "--json").stdout) == embedded_runs
    assert strict_json(invoke("runs", "show", seeded.baseline, "--json").stdout) == embedded_show
    assert strict_json(invoke("lifecycle", seeded.project, "--json").stdout) == embedded_lifecycle
    events = strict_json(invoke("events", "--json").stdout)
    assert {e["user"] for e in events} == {"alice"}

    missing = invoke("runs", "show", "nope")
    assert missing.exit_code == 4
    assert missing.stderr.splitlines()[0] == "error: no run 'nope'"
    bad = invoke("runs", "list", seeded.project, "--filter", "metrics.auc >")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: invalid filter")
