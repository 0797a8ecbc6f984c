from __future__ import annotations

from pathlib import Path

import pytest

from mlcycle.store.migrate import HEAD_REVISION

from .conftest import Invoke


def test_upgrade_is_idempotent(invoke: Invoke, tmp_path: Path) -> None:
    before = invoke("db", "current")
    assert before.exit_code == 0
    assert "no mlcycle schema yet" in before.stdout

    first = invoke("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert f"Upgraded sqlite:///{tmp_path / 'home' / 'mlcycle.db'}" in first.stdout
    assert f"to revision {HEAD_REVISION}" in first.stdout

    second = invoke("db", "upgrade")
    assert second.exit_code == 0, second.output
    assert f"already at revision {HEAD_REVISION} (head)" in second.stdout

    after = invoke("db", "current")
    assert f"is at revision {HEAD_REVISION} (head)" in after.stdout


def test_unsupported_store_url_is_an_error_line(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLCYCLE_STORE_URL", "mysql://db/mlcycle")
    result = invoke("db", "current")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error: unsupported store URL 'mysql://db/mlcycle'"
    assert result.stderr.splitlines()[1].startswith("hint: use sqlite:///")
