"""Who may do what. A viewer reads; every other role reads and writes; admin also manages tokens."""

from __future__ import annotations

from dataclasses import dataclass

from mlcycle.core.errors import PermissionDenied

READ_ONLY_ROLES = frozenset({"viewer"})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user: str
    role: str


def can_write(role: str) -> bool:
    return role not in READ_ONLY_ROLES


def require_write(principal: Principal) -> None:
    if not can_write(principal.role):
        raise PermissionDenied(
            f"user {principal.user!r} has role {principal.role!r}, which may read but not write",
            hint="ask an admin for a token with a writing role (`mlcycle tokens create --role ...`)",
        )


def require_admin(principal: Principal) -> None:
    if principal.role != "admin":
        raise PermissionDenied(f"only admins may do this; {principal.user!r} has role {principal.role!r}")
