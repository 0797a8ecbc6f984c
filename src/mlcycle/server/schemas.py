"""Request and response bodies of the REST API that are not domain types.

Responses reuse the domain types (``ProjectInfo``, ``RunInfo``, ``ArtifactInfo``, ``Event``,
``LifecycleView``, ``DatasetInfo``, ``DatasetVersion``, ``DatasetDiff``, ``ValidationReport``). Request bodies
only give shape: metric values and steps pass through untouched, so the service applies exactly the rules an
embedded client meets (NaN and +/-inf are allowed; see :mod:`mlcycle.server.wire` for how JSON carries them).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from mlcycle.data.validation import Expectation, ExpectationResult

Number = Annotated[Any, WithJsonSchema({"type": "number", "description": "a number, or NaN, Infinity, -Infinity"})]
Step = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 0})]
Strings = dict[str, Any]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectIn(_Body):
    name: str
    kind: str | None = Field(default=None, description="'ml' or 'llm'; 'ml' when created without one")
    description: str | None = None


class RunIn(_Body):
    project: str = Field(description="project name or id")
    name: str | None = None
    stage: str | None = Field(default=None, description="lifecycle stage id; model_training when omitted")
    parent_run_id: str | None = None
    git_commit: str | None = None
    params: Strings | None = None
    tags: Strings | None = None


class RunEnd(_Body):
    status: str = Field(default="FINISHED", description="FINISHED, FAILED or KILLED")


class RunSearch(_Body):
    project: str | None = Field(default=None, description="project name or id; all projects when omitted")
    filter: str | None = Field(default=None, examples=["metrics.auc > 0.9 and params.penalty = 'l2'"])
    order_by: list[str] | None = Field(default=None, examples=[["metrics.auc desc"]])
    limit: int = 100
    offset: int = 0


class ParamsIn(_Body):
    params: Strings


class TagsIn(_Body):
    tags: Strings


class MetricsIn(_Body):
    metrics: dict[str, Number]
    step: Step = 0
    timestamp: int | None = Field(default=None, description="milliseconds since the epoch; now when omitted")


class SeriesIn(_Body):
    """Many points of one metric, column-wise: the fast bulk path."""

    key: str
    values: list[Number]
    steps: list[Step] | None = Field(default=None, description="0..n-1 when omitted")
    timestamps: list[int] | None = Field(default=None, description="now when omitted")


class BatchIn(_Body):
    """Metric points as ``[key, value, step, timestamp]`` rows, plus params and tags, in one transaction."""

    metrics: list[tuple[str, Number, Step, int]] = []
    params: Strings | None = None
    tags: Strings | None = None


class DatasetTagIn(_Body):
    version: int | str = Field(description="version number, 'v3', 'latest' or another tag", examples=[3])


class SuiteIn(_Body):
    """An expectation suite as ``ExpectationSuite.to_dict()`` writes it, declarative rules only: a ``custom`` rule
    is Python code, which the server cannot run (the Python client checks such suites itself and sends the
    report to ``/reports``)."""

    name: str = "expectations"
    expectations: list[Expectation]


class ValidateIn(_Body):
    suite: SuiteIn
    raise_on_failure: bool = Field(default=True, description="answer 422 ValidationFailed when a rule fails")
    run_id: str | None = Field(default=None, description="the run that checked it")


class ReportIn(_Body):
    """The outcome of a suite checked by the client on the version's rows (``ValidationReport`` fields)."""

    success: bool = Field(description="recomputed by the server from the results")
    row_count: int
    results: list[ExpectationResult]
    suite: dict[str, Any]


class RecordReportIn(_Body):
    report: ReportIn
    raise_on_failure: bool = Field(default=True, description="answer 422 ValidationFailed when a rule failed")
    run_id: str | None = None


class SplitIn(_Body):
    method: str = Field(default="random", description="random, stratified or time")
    fractions: list[float] = Field(default=[0.8, 0.1, 0.1], description="2 or 3 parts, adding up to 1")
    seed: int = Field(default=0, description="a non-negative integer; the same seed gives the same parts")
    stratify_by: str | None = Field(default=None, description="the class column of a stratified split")
    time_column: str | None = Field(default=None, description="the column that orders a time split")
    run_id: str | None = None


class MetricHistory(BaseModel):
    """The history of one metric, column-wise."""

    key: str
    steps: list[int]
    values: list[float]
    timestamps: list[int]


class WhoAmI(BaseModel):
    user: str
    role: str


class Health(BaseModel):
    status: str
    version: str
