"""Schedules and triggers: run a registered pipeline on a cron expression or on each new version of a dataset.

    service = ScheduleService.from_settings(load_settings())
    service.create_schedule("churn", "training", cron="0 3 * * *")    # every day at 03:00 UTC
    service.create_schedule("churn", "training", on_dataset="raw")    # on each new version of dataset "raw"
    service.tick()                                                    # run whatever is due, once

- Cron expressions are read by croniter, in UTC. A cron schedule is due when ``next_run_at <= now``. Firing it
  moves ``next_run_at`` to the first time after *now*, so the ticks missed while no scheduler was running
  collapse into one run.
- A dataset trigger remembers the latest version it has seen (at creation, the current one). It is due when the
  dataset has a newer version; several new versions since the last tick give one run, for the newest. The run
  gets that version's number as its ``dataset_version`` parameter when the pipeline declares one.
- A due schedule is claimed with a conditional UPDATE before its pipeline runs, so two schedulers (a server and
  ``mlcycle scheduler run``) never run the same tick twice. A claimed tick is not retried: a run that fails stays
  FAILED (``mlcycle pipelines resume`` it), and a pipeline that cannot be imported is a ``failed`` event.

Every change and every firing is an event (entity ``schedule``, stage ``continuous_improvement``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from mlcycle.artifacts import BlobStore
from mlcycle.core.config import Settings
from mlcycle.core.errors import InvalidInput, MlcycleError, NotFound, PipelineFailed, did_you_mean
from mlcycle.core.ids import new_id, now_ms
from mlcycle.core.validation import check_name
from mlcycle.pipelines import records
from mlcycle.pipelines import schedule_rows as rows
from mlcycle.pipelines.cron import check_cron, next_cron_time
from mlcycle.pipelines.service import PipelineService
from mlcycle.pipelines.targets import load_pipeline
from mlcycle.store import Store, record_event
from mlcycle.store import runs as run_rows

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Row

    from mlcycle.pipelines.decorators import Pipeline

STAGE = "continuous_improvement"
DATASET_PARAM = "dataset_version"


class ScheduleInfo(BaseModel):
    """A schedule. ``target`` is where its pipeline is imported from (the pipeline's latest registration)."""

    model_config = ConfigDict(frozen=True)

    id: str
    project_id: str
    project: str
    pipeline: str
    target: str
    kind: str  # cron | dataset
    cron: str | None
    dataset: str | None
    params: dict[str, Any]
    enabled: bool
    next_run_at: int | None
    last_run_at: int | None
    last_seen_version: int | None
    created_at: int
    created_by: str

    @property
    def trigger(self) -> str:
        """What fires it, for people: ``cron 0 3 * * *`` or ``new version of raw``."""
        return f"cron {self.cron}" if self.kind == "cron" else f"new version of {self.dataset}"


@dataclass(frozen=True)
class Due:
    """Why a schedule is due, and what firing it moves: the next cron time, or the dataset version seen."""

    trigger: str  # recorded on the pipeline run: schedule:<id> or dataset:<name>@v<version>
    reason: str
    next_run_at: int | None = None
    dataset_version: int | None = None
    dataset_version_id: str | None = None


class TriggeredRun(BaseModel):
    """One firing: the pipeline run it started (FINISHED or FAILED), or ERROR when no run could start."""

    model_config = ConfigDict(frozen=True)

    schedule_id: str
    project: str
    pipeline: str
    trigger: str
    reason: str
    status: str  # FINISHED | FAILED | ERROR
    pipeline_run_id: str | None
    error: str | None
    ts: int


class ScheduleService:
    """Schedules on one store and artifact store, acting as ``user``; ``clock`` gives "now" in milliseconds."""

    def __init__(self, store: Store, blobs: BlobStore, user: str, *, clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.blobs = blobs
        self.user = user
        self.clock = clock
        self.pipelines = PipelineService(store, blobs, user)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Callable[[], int] = now_ms) -> ScheduleService:
        store = Store.open(settings.resolved_store_url)
        return cls(store, BlobStore(settings.resolved_artifacts_url), settings.user, clock=clock)

    # ---- managing schedules ---------------------------------------------------------------------------
    def create_schedule(
        self,
        project: str,
        pipeline: str,
        *,
        cron: str | None = None,
        on_dataset: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ScheduleInfo:
        """Run ``pipeline`` (which has run in ``project`` before) on ``cron``, or on each new version of
        dataset ``on_dataset``, with ``params``. Exactly one of ``cron`` and ``on_dataset`` is given."""
        if (cron is None) == (on_dataset is None):
            raise InvalidInput(
                "a schedule needs exactly one trigger: a cron expression or a dataset",
                hint="pass --cron '0 3 * * *' or --on-dataset NAME",
            )
        params = dict(params or {})
        if cron is not None:
            cron = check_cron(cron)
        if on_dataset is not None:
            check_name(on_dataset, "dataset name")
        with self.store.read() as conn:
            project_id = _project_id(conn, project)
            target = _registered_target(conn, project, project_id, pipeline)
            latest = _dataset_latest(conn, project, project_id, on_dataset) if on_dataset is not None else None
        _check_params(_load(target), params, dataset=on_dataset is not None)
        now = self.clock()
        schedule_id = new_id()
        row = {
            "id": schedule_id,
            "project_id": project_id,
            "pipeline": pipeline,
            "target": target,
            "kind": "cron" if cron is not None else "dataset",
            "cron": cron,
            "dataset": on_dataset,
            "params_json": json.dumps(params, sort_keys=True),
            "enabled": 1,
            "next_run_at": next_cron_time(cron, now) if cron is not None else None,
            "last_run_at": None,
            "last_seen_version": latest,
            "created_at": now,
            "created_by": self.user,
        }
        with self.store.write() as conn:
            rows.insert_schedule(conn, row)
            payload = {k: row[k] for k in ("pipeline", "kind", "cron", "dataset", "next_run_at", "last_seen_version")}
            self._event(conn, schedule_id, "created", project_id, payload | {"params": params}, now)
        return self.get_schedule(schedule_id)

    def get_schedule(self, schedule_id: str) -> ScheduleInfo:
        with self.store.read() as conn:
            row = rows.schedule_row(conn, schedule_id)
        if row is None:
            raise NotFound(f"no schedule {schedule_id!r}", hint="run `mlcycle pipelines schedules` to see their ids")
        return _info(row)

    def list_schedules(self, project: str | None = None) -> list[ScheduleInfo]:
        """Schedules of ``project`` (all projects when None), oldest first."""
        with self.store.read() as conn:
            project_id = _project_id(conn, project) if project is not None else None
            return [_info(r) for r in rows.list_schedules(conn, project_id)]

    def pause_schedule(self, schedule_id: str) -> ScheduleInfo:
        """Stop firing the schedule until it is resumed."""
        return self._set_enabled(schedule_id, False)

    def resume_schedule(self, schedule_id: str) -> ScheduleInfo:
        """Fire the schedule again, from now on: cron times and dataset versions that passed while it was
        paused do not fire."""
        return self._set_enabled(schedule_id, True)

    def delete_schedule(self, schedule_id: str) -> ScheduleInfo:
        info = self.get_schedule(schedule_id)
        with self.store.write() as conn:
            rows.delete_schedule(conn, schedule_id)
            payload = {"pipeline": info.pipeline, "kind": info.kind, "cron": info.cron, "dataset": info.dataset}
            self._event(conn, schedule_id, "deleted", info.project_id, payload, self.clock())
        return info

    def _set_enabled(self, schedule_id: str, enabled: bool) -> ScheduleInfo:
        info = self.get_schedule(schedule_id)
        if info.enabled == enabled:
            return info
        now = self.clock()
        values: dict[str, Any] = {"enabled": int(enabled)}
        with self.store.write() as conn:
            if enabled and info.cron is not None:
                values["next_run_at"] = next_cron_time(info.cron, now)
            elif enabled and info.dataset is not None:
                values["last_seen_version"] = rows.latest_dataset_version(conn, info.project_id, info.dataset)[1]
            rows.update_schedule(conn, schedule_id, **values)
            action = "resumed" if enabled else "paused"
            self._event(conn, schedule_id, action, info.project_id, {"pipeline": info.pipeline} | values, now)
        return self.get_schedule(schedule_id)

    # ---- firing ---------------------------------------------------------------------------------------
    def due(self, now_ms: int | None = None) -> list[tuple[ScheduleInfo, Due]]:
        """The enabled schedules due at ``now_ms`` (default: the clock), each with why."""
        now = self.clock() if now_ms is None else now_ms
        with self.store.read() as conn:
            found = rows.list_schedules(conn, enabled_only=True)
        due: list[tuple[ScheduleInfo, Due]] = []
        for row in found:
            info = _info(row)
            if info.cron is not None and info.next_run_at is not None and info.next_run_at <= now:
                reason = f"cron {info.cron!r} was due at {_utc(info.next_run_at)}"
                due.append((info, Due(f"schedule:{info.id}", reason, next_run_at=next_cron_time(info.cron, now))))
            elif info.dataset is not None and row.latest_version is not None:
                latest = int(row.latest_version)
                if latest > (info.last_seen_version or 0):
                    trigger = f"dataset:{info.dataset}@v{latest}"
                    reason = f"dataset {info.dataset!r} has a new version v{latest}"
                    due.append((info, Due(trigger, reason, None, latest, str(row.latest_version_id))))
        return due

    def claim(self, schedule: ScheduleInfo, due: Due, now_ms: int) -> bool:
        """Take the due tick for this scheduler; False when another scheduler (or a pause) got there first."""
        with self.store.write() as conn:
            if due.next_run_at is not None:
                return rows.claim(conn, schedule.id, "next_run_at", schedule.next_run_at, due.next_run_at, now_ms)
            assert due.dataset_version is not None
            old = schedule.last_seen_version
            return rows.claim(conn, schedule.id, "last_seen_version", old, due.dataset_version, now_ms)

    def tick(
        self, now_ms: int | None = None, *, on_run: Callable[[TriggeredRun], None] | None = None
    ) -> list[TriggeredRun]:
        """Run each due schedule once (one after the other) and return what each firing gave. A failing
        pipeline or one that cannot be imported is recorded and the next schedule still runs."""
        now = self.clock() if now_ms is None else now_ms
        fired: list[TriggeredRun] = []
        for schedule, due in self.due(now):
            if not self.claim(schedule, due, now):
                continue
            result = self._fire(schedule, due)
            fired.append(result)
            if on_run is not None:
                on_run(result)
        return fired

    def _fire(self, schedule: ScheduleInfo, due: Due) -> TriggeredRun:
        run_id: str | None = None
        error: str | None = None
        try:
            pipeline = _load(schedule.target)
            if pipeline.name != schedule.pipeline:
                raise InvalidInput(f"{schedule.target} now holds pipeline {pipeline.name!r}, not {schedule.pipeline!r}")
            params = dict(schedule.params)
            if due.dataset_version is not None and DATASET_PARAM in pipeline.signature.parameters:
                params[DATASET_PARAM] = due.dataset_version
            run = pipeline.run(schedule.project, progress=False, trigger=due.trigger, service=self.pipelines, **params)
            status, run_id, error = run.status, run.id, run.info.error
        except PipelineFailed as exc:
            status, run_id, error = "FAILED", exc.details.get("pipeline_run_id"), exc.message
        except Exception as exc:  # cannot import or start it: this firing failed, the scheduler goes on
            status, error = "ERROR", _describe(exc)
        ts = self.clock()
        result = TriggeredRun(
            schedule_id=schedule.id,
            project=schedule.project,
            pipeline=schedule.pipeline,
            trigger=due.trigger,
            reason=due.reason,
            status=status,
            pipeline_run_id=run_id,
            error=error,
            ts=ts,
        )
        payload = result.model_dump(exclude={"schedule_id", "project", "ts"})
        if due.dataset_version_id is not None:
            payload["dataset_version_id"] = due.dataset_version_id
        with self.store.write() as conn:
            action = "triggered" if run_id is not None else "failed"
            self._event(conn, schedule.id, action, schedule.project_id, payload, ts)
        return result

    def _event(
        self, conn: Connection, schedule_id: str, action: str, project_id: str, payload: dict[str, Any], ts: int
    ) -> None:
        record_event(
            conn,
            user=self.user,
            entity_type="schedule",
            entity_id=schedule_id,
            action=action,
            project_id=project_id,
            stage=STAGE,
            payload=payload,
            ts=ts,
        )


# ---- helpers ---------------------------------------------------------------------------------------------
def _info(row: Row[Any]) -> ScheduleInfo:
    return ScheduleInfo(
        id=row.id,
        project_id=row.project_id,
        project=row.project,
        pipeline=row.pipeline,
        target=row.pipeline_module or row.target,
        kind=row.kind,
        cron=row.cron,
        dataset=row.dataset,
        params=json.loads(row.params_json or "{}"),
        enabled=bool(row.enabled),
        next_run_at=row.next_run_at,
        last_run_at=row.last_run_at,
        last_seen_version=row.last_seen_version,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _project_id(conn: Connection, project: str) -> str:
    row = run_rows.project_by_name_or_id(conn, project)
    if row is None:
        raise NotFound(f"no project {project!r}", hint="run `mlcycle projects list` to see the projects")
    return str(row.id)


def _registered_target(conn: Connection, project: str, project_id: str, pipeline: str) -> str:
    row = records.pipeline_row(conn, project_id, pipeline)
    if row is None:
        names = [r.name for r in records.list_pipelines(conn, project_id)]
        hint = did_you_mean(pipeline, names) or "run it once so mlcycle knows where its code lives"
        raise NotFound(f"project {project!r} has no pipeline {pipeline!r}", hint=hint)
    if not row.module:
        raise InvalidInput(
            f"pipeline {pipeline!r} was defined inside a function, so a scheduler cannot import it",
            hint="define it at module level and run it once more",
        )
    return str(row.module)


def _dataset_latest(conn: Connection, project: str, project_id: str, name: str) -> int | None:
    exists, latest = rows.latest_dataset_version(conn, project_id, name)
    if not exists:
        hint = did_you_mean(name, rows.dataset_names(conn, project_id))
        raise NotFound(
            f"project {project!r} has no dataset {name!r}",
            hint=hint or f"log a first version, or run `mlcycle datasets list {project}`",
        )
    return latest


def _load(target: str) -> Pipeline[...]:
    """The pipeline at ``target``; an error raised while importing its module becomes InvalidInput."""
    try:
        return load_pipeline(target)
    except MlcycleError:
        raise
    except Exception as exc:
        raise InvalidInput(f"importing the pipeline {target} failed: {type(exc).__name__}: {exc}") from exc


def _check_params(pipeline: Pipeline[...], params: dict[str, Any], *, dataset: bool) -> None:
    """The schedule's parameters must bind (with the trigger's ``dataset_version``), as a run would bind them."""
    declares = DATASET_PARAM in pipeline.signature.parameters
    if dataset and declares and DATASET_PARAM in params:
        raise InvalidInput(f"{DATASET_PARAM!r} is set by the dataset trigger; do not pass it as a parameter")
    pipeline.bind_params(params | ({DATASET_PARAM: 1} if dataset and declares else {}))


def _describe(exc: Exception) -> str:
    return str(exc) if isinstance(exc, MlcycleError) else f"{type(exc).__name__}: {exc}"


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


__all__ = ["Due", "ScheduleInfo", "ScheduleService", "TriggeredRun"]
