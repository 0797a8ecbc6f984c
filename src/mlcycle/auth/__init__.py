"""API tokens and role-based permissions. Roles come from the maturity catalog, plus admin and viewer."""

from mlcycle.auth.policy import Principal, can_write, require_admin, require_write
from mlcycle.auth.tokens import TokenInfo, authenticate, create_token, list_tokens, revoke_token

__all__ = [
    "Principal",
    "TokenInfo",
    "authenticate",
    "can_write",
    "create_token",
    "list_tokens",
    "require_admin",
    "require_write",
    "revoke_token",
]
