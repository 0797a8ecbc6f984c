"""``mlcycle tokens``: create, list and revoke the API tokens of the embedded store (``MLCYCLE_STORE_URL``).

Tokens are an admin task done next to the store the server uses, so these commands never go over HTTP. The
events they write name ``MLCYCLE_USER`` (default: the login name) as the actor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mlcycle.cli import output as out

if TYPE_CHECKING:
    from mlcycle.core.config import Settings
    from mlcycle.store import Store

app = typer.Typer(
    rich_markup_mode=None, help="Create, list and revoke API tokens (in the local store).", no_args_is_help=True
)


def _open_store() -> tuple[Settings, Store]:
    from mlcycle.core.config import load_settings
    from mlcycle.store import Store

    settings = load_settings()
    if settings.server_url:
        out.err_console().print(
            f"note: tokens are managed in the store at {out.text(_safe_url(settings.resolved_store_url))}, "
            f"not through MLCYCLE_SERVER_URL ({out.text(settings.server_url)}).",
            style="yellow",
        )
    return settings, Store.open(settings.resolved_store_url)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("create")
def create(
    user: Annotated[str, typer.Option("--user", "-u", help="User the token authenticates as.")],
    role: Annotated[str, typer.Option("--role", "-r", help="Role: admin, viewer or a catalog role.")],
    description: Annotated[str, typer.Option("--description", "-d", help="What the token is for.")] = "",
    json_output: out.JsonFlag = False,
) -> None:
    """Create a token and print its secret. The secret is shown once; only its SHA-256 is stored."""
    from mlcycle.auth import create_token

    settings, store = _open_store()
    info, secret = create_token(store, user=user, role=role, actor=settings.user, description=description)
    note = "This secret is shown only once and is not stored (mlcycle keeps only its hash). Copy it now."
    if json_output:
        out.print_json({**info.model_dump(), "secret": secret})
        out.err_console().print(note, style="yellow")
        return
    c = out.console()
    c.print(f"Created token {info.id} for user {out.text(info.user)} with role {out.text(info.role)}.")
    c.print()
    c.print(f"    {secret}", soft_wrap=True)
    c.print()
    c.print(note, style="yellow")
    c.print("Clients send it as a bearer token: export MLCYCLE_TOKEN=<secret>.")


@app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", "-a", help="Include revoked tokens.")] = False,
    json_output: out.JsonFlag = False,
) -> None:
    """List tokens (never their secrets)."""
    from mlcycle.auth import list_tokens

    _, store = _open_store()
    tokens = list_tokens(store, include_revoked=all_)
    if json_output:
        out.print_json(tokens)
        return
    if not tokens:
        out.console().print("No tokens. Create one with `mlcycle tokens create --user NAME --role ROLE`.")
        return
    t = out.table("token id", "user", "role", "description", "created", "revoked")
    for tok in tokens:
        t.add_row(
            tok.id,
            out.text(tok.user),
            out.text(tok.role),
            out.text(tok.description) or out.MISSING,
            out.format_ts(tok.created_at),
            out.format_ts(tok.revoked_at),
        )
    out.print_table(t)


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="Token id (see `mlcycle tokens list`).")],
    json_output: out.JsonFlag = False,
) -> None:
    """Revoke a token; requests with it are refused from now on. Revoking twice is harmless."""
    from mlcycle.auth import revoke_token

    settings, store = _open_store()
    info = revoke_token(store, token_id, actor=settings.user)
    if json_output:
        out.print_json(info)
        return
    out.console().print(
        f"Revoked token {info.id} of user {out.text(info.user)} (role {out.text(info.role)}) "
        f"at {out.format_ts(info.revoked_at)}."
    )
