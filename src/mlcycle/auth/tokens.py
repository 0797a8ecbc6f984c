"""API tokens: random secrets shown once, stored only as their SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from mlcycle.auth.policy import Principal
from mlcycle.core.catalog import check_role
from mlcycle.core.errors import NotFound, Unauthenticated
from mlcycle.core.ids import new_id, now_ms
from mlcycle.core.validation import check_name
from mlcycle.store import Store, record_event
from mlcycle.store.schema import tokens

TOKEN_PREFIX = "mlc_"


class TokenInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    user: str
    role: str
    description: str
    created_at: int
    revoked_at: int | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(store: Store, *, user: str, role: str, actor: str, description: str = "") -> tuple[TokenInfo, str]:
    """Create a token for ``user`` with ``role``; returns its record and the secret (shown only now)."""
    check_name(user, "user name")
    check_role(role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row: dict[str, Any] = {
        "id": new_id(),
        "user": user,
        "role": role,
        "token_hash": _hash(secret),
        "description": description,
        "created_at": now_ms(),
        "revoked_at": None,
    }
    with store.write() as conn:
        conn.execute(tokens.insert(), row)
        record_event(
            conn,
            user=actor,
            entity_type="token",
            entity_id=row["id"],
            action="created",
            stage="governance",
            payload={"user": user, "role": role},
        )
    row.pop("token_hash")
    return TokenInfo(**row), secret


def revoke_token(store: Store, token_id: str, *, actor: str) -> TokenInfo:
    with store.write() as conn:
        row = conn.execute(sa.select(tokens).where(tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"no token {token_id!r}", hint="run `mlcycle tokens list` to see token ids")
        if row.revoked_at is None:
            conn.execute(tokens.update().where(tokens.c.id == token_id).values(revoked_at=now_ms()))
            record_event(
                conn,
                user=actor,
                entity_type="token",
                entity_id=token_id,
                action="revoked",
                stage="governance",
                payload={"user": row.user, "role": row.role},
            )
    return next(t for t in list_tokens(store, include_revoked=True) if t.id == token_id)


def list_tokens(store: Store, *, include_revoked: bool = False) -> list[TokenInfo]:
    q = sa.select(tokens).order_by(tokens.c.created_at)
    if not include_revoked:
        q = q.where(tokens.c.revoked_at.is_(None))
    with store.read() as conn:
        return [TokenInfo(**{k: v for k, v in r._mapping.items() if k != "token_hash"}) for r in conn.execute(q)]


def authenticate(store: Store, secret: str | None) -> Principal:
    """The principal a bearer secret belongs to; Unauthenticated when missing, unknown or revoked."""
    if not secret:
        raise Unauthenticated(
            "this server requires a bearer token", hint="set MLCYCLE_TOKEN (see `mlcycle tokens create`)"
        )
    with store.read() as conn:
        row = conn.execute(
            sa.select(tokens.c.user, tokens.c.role, tokens.c.revoked_at).where(tokens.c.token_hash == _hash(secret))
        ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("the token is unknown or revoked", hint="create a new one with `mlcycle tokens create`")
    return Principal(user=row.user, role=row.role)
