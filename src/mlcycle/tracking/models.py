"""Domain types of tracking, shared by the embedded service, the REST API and the remote client."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

ProjectKind = Literal["ml", "llm"]
RunStatus = Literal["RUNNING", "FINISHED", "FAILED", "KILLED"]
TERMINAL_STATUSES: tuple[str, ...] = ("FINISHED", "FAILED", "KILLED")


class ProjectInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    kind: ProjectKind
    description: str
    created_at: int
    created_by: str


class RunInfo(BaseModel):
    """A run with its data: params, latest metric values and tags."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    id: str
    project_id: str
    name: str
    stage: str
    status: RunStatus
    start_time: int
    end_time: int | None
    parent_run_id: str | None
    git_commit: str | None
    user: str
    params: dict[str, str] = {}
    metrics: dict[str, float] = {}
    tags: dict[str, str] = {}


class ArtifactInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    path: str
    digest: str
    size: int
    created_at: int


@dataclass(frozen=True, slots=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: int


@dataclass
class MetricSeries:
    """The history of one metric, column-wise (cheap to build, ship and chart); iterates as points."""

    key: str
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[MetricPoint]:
        for s, v, t in zip(self.steps, self.values, self.timestamps, strict=True):
            yield MetricPoint(self.key, v, s, t)

    def __getitem__(self, i: int) -> MetricPoint:
        return MetricPoint(self.key, self.values[i], self.steps[i], self.timestamps[i])


def from_db_value(value: float | None) -> float:
    return math.nan if value is None else float(value)
