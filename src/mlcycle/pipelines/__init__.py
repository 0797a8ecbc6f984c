"""Pipelines: ``@step`` and ``@pipeline`` over plain typed functions, with cached, resumable, parallel runs on
the local process pool or on Ray. See docs/pipelines.md.

    import mlcycle as mc

    @mc.step
    def load(n: int) -> pd.DataFrame: ...

    @mc.pipeline
    def training(n: int = 1000):
        return train(load(n))

    prun = training.run(project="churn", n=500)

Schedules and dataset triggers (:mod:`mlcycle.pipelines.schedules`) run registered pipelines again.
"""

from mlcycle.pipelines.context import StepContext, current_step
from mlcycle.pipelines.decorators import Pipeline, Step, pipeline, step
from mlcycle.pipelines.materializers import Materializer, register_materializer
from mlcycle.pipelines.models import PipelineInfo, PipelineRun, PipelineRunInfo, StepRun
from mlcycle.pipelines.resume import resume
from mlcycle.pipelines.runners import register_runner
from mlcycle.pipelines.schedule_loop import SchedulerLoop, start_background_scheduler
from mlcycle.pipelines.schedules import ScheduleInfo, ScheduleService, TriggeredRun
from mlcycle.pipelines.service import PipelineService

__all__ = [
    "Materializer",
    "Pipeline",
    "PipelineInfo",
    "PipelineRun",
    "PipelineRunInfo",
    "PipelineService",
    "ScheduleInfo",
    "ScheduleService",
    "SchedulerLoop",
    "Step",
    "StepContext",
    "StepRun",
    "TriggeredRun",
    "current_step",
    "pipeline",
    "register_materializer",
    "register_runner",
    "resume",
    "start_background_scheduler",
    "step",
]
