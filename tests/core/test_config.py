from __future__ import annotations

from pathlib import Path

import pytest

from mlcycle.core.config import Settings, load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [f"MLCYCLE_{name.upper()}" for name in Settings.model_fields if f"MLCYCLE_{name.upper()}" not in text]
    assert not missing, f"undocumented settings in docs/configuration.md: {missing}"


def test_defaults_put_store_and_artifacts_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLCYCLE_HOME", str(tmp_path / "h"))
    s = load_settings()
    assert s.resolved_store_url == f"sqlite:///{tmp_path / 'h' / 'mlcycle.db'}"
    assert s.resolved_artifacts_url == str(tmp_path / "h" / "artifacts")


def test_environment_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLCYCLE_STORE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("MLCYCLE_USER", "ana")
    s = load_settings(server_url="http://127.0.0.1:5000")
    assert s.resolved_store_url == "postgresql://u@h/db"
    assert s.user == "ana"
    assert s.server_url == "http://127.0.0.1:5000"


def test_invalid_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("MLCYCLE_MAX_REQUEST_BYTES", "-3")
    with pytest.raises(ValidationError):
        load_settings()
