"""``mlcycle db``: the schema of the metadata store (``MLCYCLE_STORE_URL``, default SQLite under the home)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from mlcycle.cli import output as out

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

app = typer.Typer(rich_markup_mode=None, help="Upgrade and inspect the metadata store's schema.", no_args_is_help=True)


@contextmanager
def _engine() -> Iterator[tuple[Engine, str]]:
    """An engine of its own (not the shared Store, which would migrate on open), disposed afterwards."""
    from mlcycle.core.config import load_settings
    from mlcycle.store.engine import create_store_engine, map_db_errors, normalize_url

    url = normalize_url(load_settings().resolved_store_url)
    with map_db_errors(url):
        engine = create_store_engine(url)
        try:
            yield engine, engine.url.render_as_string(hide_password=True)
        finally:
            engine.dispose()


@app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations (safe to repeat; concurrent upgrades wait for each other)."""
    from mlcycle.store import migrate

    with _engine() as (engine, where):
        before = migrate.current_revision(engine)
        after = migrate.upgrade(engine)
    c = out.console()
    if before == after:
        c.print(f"{out.text(where)} is already at revision {after} (head).")
    else:
        c.print(f"Upgraded {out.text(where)} from {before or 'an empty schema'} to revision {after}.")


@app.command("current")
def current() -> None:
    """Show the schema revision of the store and whether it is the newest this mlcycle knows."""
    from mlcycle.store import migrate

    with _engine() as (engine, where):
        rev = migrate.current_revision(engine)
    c = out.console()
    if rev is None:
        c.print(f"{out.text(where)} has no mlcycle schema yet; run `mlcycle db upgrade` (or just use it).")
    elif rev == migrate.HEAD_REVISION:
        c.print(f"{out.text(where)} is at revision {rev} (head).")
    else:
        c.print(
            f"{out.text(where)} is at revision {rev}; this mlcycle's head is {migrate.HEAD_REVISION}. "
            "Run `mlcycle db upgrade`."
        )
