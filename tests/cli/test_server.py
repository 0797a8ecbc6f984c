from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from .conftest import Invoke


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record uvicorn.run instead of serving; stand in for the server package."""
    import uvicorn

    calls: list[dict[str, Any]] = []

    def fake_run(app: str, **kwargs: Any) -> None:
        calls.append({"app": app, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setitem(sys.modules, "mlcycle.server.app", types.ModuleType("mlcycle.server.app"))
    monkeypatch.setenv("MLCYCLE_NO_AUTH", "0")  # recorded, so the "1" --no-auth sets is undone afterwards
    return calls


def test_runs_uvicorn_on_the_app_factory(invoke: Invoke, uvicorn_calls: list[dict[str, Any]]) -> None:
    result = invoke("server", "--port", "5077", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert uvicorn_calls == [
        {"app": "mlcycle.server.app:create_app", "factory": True, "host": "127.0.0.1", "port": 5077, "workers": 2}
    ]
    assert result.stderr == ""


def test_no_auth_warns_and_tells_the_app(invoke: Invoke, uvicorn_calls: list[dict[str, Any]]) -> None:
    import os

    result = invoke("server", "--no-auth", "--host", "0.0.0.0")
    assert result.exit_code == 0
    assert "warning: authentication is OFF" in result.stderr
    assert "anyone who can reach http://0.0.0.0:5000 can read and write" in result.stderr
    assert os.environ["MLCYCLE_NO_AUTH"] == "1"
    assert len(uvicorn_calls) == 1


def test_invalid_port_is_a_usage_error(invoke: Invoke, uvicorn_calls: list[dict[str, Any]]) -> None:
    assert invoke("server", "--port", "0").exit_code == 2
    assert uvicorn_calls == []
