from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from .conftest import Invoke, strict_json


def _store_bytes(home: Path) -> bytes:
    """The SQLite database with its write-ahead log (recent writes live in the WAL)."""
    return b"".join(p.read_bytes() for p in sorted(home.glob("mlcycle.db*")) if p.is_file())


def test_create_list_revoke_round_trip(invoke: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLCYCLE_USER", "root-admin")
    created = invoke("tokens", "create", "--user", "bob", "--role", "admin", "--description", "ci deploys")
    assert created.exit_code == 0, created.output
    secret = re.search(r"mlc_\S+", created.stdout)
    assert secret is not None
    assert "shown only once" in created.stdout and "not stored" in created.stdout
    token_id = re.search(r"Created token ([0-9a-f]{32})", created.stdout)
    assert token_id is not None

    from mlcycle.auth import authenticate
    from mlcycle.core.config import load_settings
    from mlcycle.store import Store

    store = Store.open(load_settings().resolved_store_url)
    assert authenticate(store, secret.group()).user == "bob"

    db = _store_bytes(tmp_path / "home")
    assert secret.group().encode() not in db
    assert hashlib.sha256(secret.group().encode()).hexdigest().encode() in db

    listed = invoke("tokens", "list")
    assert token_id.group(1) in listed.stdout and "ci deploys" in listed.stdout
    assert secret.group() not in listed.stdout

    revoked = invoke("tokens", "revoke", token_id.group(1))
    assert revoked.exit_code == 0, revoked.output
    assert "Revoked token" in revoked.stdout
    assert invoke("tokens", "revoke", token_id.group(1)).exit_code == 0  # harmless twice
    assert "No tokens" in invoke("tokens", "list").stdout
    (row,) = strict_json(invoke("tokens", "list", "--all", "--json").stdout)
    assert row["id"] == token_id.group(1) and row["revoked_at"] is not None
    assert "secret" not in row and "token_hash" not in row

    from mlcycle.core.errors import Unauthenticated

    with pytest.raises(Unauthenticated):
        authenticate(store, secret.group())

    events = strict_json(invoke("events", "--json").stdout)
    assert [(e["action"], e["user"], e["entity_type"]) for e in events] == [
        ("created", "root-admin", "token"),
        ("revoked", "root-admin", "token"),
    ]


def test_create_json_prints_the_secret_once(invoke: Invoke) -> None:
    result = invoke("tokens", "create", "--user", "carol", "--role", "viewer", "--json")
    assert result.exit_code == 0
    data = strict_json(result.stdout)
    assert data["secret"].startswith("mlc_") and data["role"] == "viewer"
    assert "not stored" in result.stderr


def test_unknown_role_suggests_the_closest(invoke: Invoke) -> None:
    result = invoke("tokens", "create", "--user", "bob", "--role", "admn")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["error: unknown role 'admn'", "hint: did you mean 'admin'?"]


def test_revoke_unknown_token_exits_4(invoke: Invoke) -> None:
    result = invoke("tokens", "revoke", "nope")
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        "error: no token 'nope'",
        "hint: run `mlcycle tokens list` to see token ids",
    ]
