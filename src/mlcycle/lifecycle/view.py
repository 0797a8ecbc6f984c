"""A project's lifecycle view, built from the event log: per stage in flow order, how many events carry it
and the latest one."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from mlcycle.core.catalog import stages_in_flow_order
from mlcycle.store import Store
from mlcycle.store.events import Event, stage_summary


class StageActivity(BaseModel):
    model_config = ConfigDict(frozen=True)

    stage: str
    name: str
    segment: str  # entry | ml | llm | exit | cross_cutting
    optional: bool
    events: int
    last_event: Event | None


class LifecycleView(BaseModel):
    model_config = ConfigDict(frozen=True)

    project: str
    project_id: str
    kind: str
    stages: list[StageActivity]

    @property
    def touched(self) -> list[str]:
        return [s.stage for s in self.stages if s.events]


def project_lifecycle(store: Store, project_id: str, project_name: str, kind: str) -> LifecycleView:
    with store.read() as conn:
        summary = stage_summary(conn, project_id)
    stages = []
    for st in stages_in_flow_order():
        count, last = summary.get(st.id, (0, None))
        stages.append(
            StageActivity(
                stage=st.id,
                name=st.name,
                segment=st.segment,
                optional=st.optional,
                events=count,
                last_event=last,
            )
        )
    return LifecycleView(project=project_name, project_id=project_id, kind=kind, stages=stages)
