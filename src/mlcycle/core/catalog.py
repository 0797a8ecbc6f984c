"""The maturity catalog shipped as package data: lifecycle stages, roles (and, later, levels, tools, prices).

The file is validated when loaded; a malformed catalog fails loudly at first use rather than misbehaving later.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlcycle.core.errors import InvalidInput, did_you_mean

Branch = Literal["shared", "ml", "llm"]


class Stage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    name: str
    branch: Branch
    order: int
    description: str
    outputs: list[str] = Field(default_factory=list)
    next: list[str] = Field(default_factory=list)
    optional: bool = False
    cross_cutting: bool = False
    provenance: str = ""

    @property
    def segment(self) -> str:
        """Where the stage sits in the flow: entry, ml, llm, exit or cross_cutting."""
        if self.cross_cutting:
            return "cross_cutting"
        if self.branch != "shared":
            return self.branch
        return "entry" if self.order <= 3 else "exit"


class Role(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    title: str
    responsibilities: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    from_level: int | str | None = None
    salary_usd_median: float | None = None


class Catalog(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    lifecycle_stages: list[Stage]
    roles: list[Role]

    @model_validator(mode="after")
    def _check(self) -> Catalog:
        ids = [s.id for s in self.lifecycle_stages]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate stage ids in catalog")
        for s in self.lifecycle_stages:
            unknown = [n for n in s.next if n not in ids]
            if unknown:
                raise ValueError(f"stage {s.id} points to unknown next stages {unknown}")
        for r in self.roles:
            bad = [x for x in r.stages if x not in ids]
            if bad:
                raise ValueError(f"role {r.id} names unknown stages {bad}")
        return self

    def extra(self, key: str) -> Any:
        """A catalog section that later services read (maturity_levels, tools, prices)."""
        return (self.model_extra or {}).get(key)


SEGMENT_ORDER = {"entry": 0, "ml": 1, "llm": 2, "exit": 3, "cross_cutting": 4}
BUILTIN_ROLES = ("admin", "viewer")


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    import yaml

    text = resources.files("mlcycle.core").joinpath("catalog.yaml").read_text(encoding="utf-8")
    try:
        return Catalog.model_validate(yaml.safe_load(text))
    except ValidationError as exc:  # pragma: no cover - guarded by tests on the shipped file
        raise InvalidInput(f"the shipped catalog is malformed: {exc}") from exc


def stages_in_flow_order() -> list[Stage]:
    """Stages as a user reads the flow: shared entry, ML branch, LLM branch, shared exit, then governance."""
    return sorted(load_catalog().lifecycle_stages, key=lambda s: (SEGMENT_ORDER[s.segment], s.order))


@lru_cache(maxsize=1)
def stage_ids() -> tuple[str, ...]:
    return tuple(s.id for s in stages_in_flow_order())


def check_stage(stage: str | None, *, default: str | None = None) -> str | None:
    """Return a valid stage id (or ``default`` when None); an unknown one is InvalidInput with a did-you-mean."""
    if stage is None:
        return default
    if stage in stage_ids():
        return stage
    hint = did_you_mean(stage, stage_ids()) or "run `mlcycle lifecycle --stages` to list the stages"
    raise InvalidInput(f"unknown lifecycle stage '{stage}'", hint=hint)


def role_ids() -> tuple[str, ...]:
    """Roles a token can carry: the catalog's roles plus admin and viewer."""
    return (*BUILTIN_ROLES, *(r.id for r in load_catalog().roles))


def check_role(role: str) -> str:
    if role in role_ids():
        return role
    hint = did_you_mean(role, role_ids()) or f"choose one of: {', '.join(role_ids())}"
    raise InvalidInput(f"unknown role '{role}'", hint=hint)
