"""The one settings object. Every setting is an ``MLCYCLE_*`` environment variable (see docs/configuration.md)."""

from __future__ import annotations

import getpass
import os
from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return "unknown"


class Settings(BaseSettings):
    """mlcycle configuration, read from ``MLCYCLE_*`` variables and validated at start-up."""

    model_config = SettingsConfigDict(env_prefix="MLCYCLE_", extra="ignore", frozen=True)

    home: Path = Field(default=Path(".mlcycle"), description="Folder of the embedded store and artifacts.")
    store_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the metadata store; default SQLite under `home`."
    )
    artifacts_url: str | None = Field(
        default=None, description="fsspec URL of the artifact store; default `home`/artifacts."
    )
    server_url: str | None = Field(
        default=None, description="When set, `mlcycle.connect()` talks to this server over HTTP."
    )
    token: str | None = Field(default=None, description="Bearer token sent to the server.")
    user: str = Field(default_factory=_default_user, description="User recorded in the event log (embedded).")
    max_request_bytes: int = Field(
        default=64 * 1024 * 1024, gt=0, description="Largest JSON request body the server accepts."
    )
    max_artifact_bytes: int = Field(
        default=4 * 1024 * 1024 * 1024, gt=0, description="Largest artifact upload the server accepts."
    )
    no_auth: bool = Field(
        default=False, description="Serve without authentication (set by `mlcycle server --no-auth`)."
    )
    scheduler: bool = Field(
        default=True, description="Whether `mlcycle server` runs due pipeline schedules in a background thread."
    )
    scheduler_interval: float = Field(
        default=10.0, gt=0, description="Seconds between the server's checks for due schedules."
    )
    runner: str = Field(default="local", description="Default pipeline runner: `local` or `ray`.")
    ray_address: str | None = Field(default=None, description="Ray cluster address for the `ray` runner.")

    @cached_property
    def resolved_home(self) -> Path:
        return self.home.expanduser().absolute()

    @cached_property
    def resolved_store_url(self) -> str:
        if self.store_url:
            return self.store_url
        return f"sqlite:///{self.resolved_home / 'mlcycle.db'}"

    @cached_property
    def resolved_artifacts_url(self) -> str:
        if self.artifacts_url:
            return self.artifacts_url
        return str(self.resolved_home / "artifacts")


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit keyword overrides taking precedence."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    if clean:
        return Settings(**clean)  # type: ignore[arg-type]
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("MLCYCLE_")))
    return _from_environment(env, os.getcwd())


@lru_cache(maxsize=8)
def _from_environment(_env: tuple[tuple[str, str], ...], _cwd: str) -> Settings:
    """Settings are frozen, so one object serves every caller while the variables (and the working
    folder, which relative paths resolve against) stay the same."""
    return Settings()
