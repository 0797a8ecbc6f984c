"""What the lineage service returns: nodes and edges of the graph, provenance and consumers summaries.

Plain pydantic models of JSON-able values, so the REST API can serve them as they are and the CLI can print
them with ``--json``. A node is named by its ``key``, ``"<type>:<id>"``; edges name their ends by key and always
point downstream (from what came first to what was made from it).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Direction = Literal["up", "down", "both"]
DIRECTIONS: tuple[str, ...] = ("up", "down", "both")
NODE_TYPES: tuple[str, ...] = ("dataset_version", "run", "pipeline_run", "step_run", "artifact")


def node_key(node_type: str, node_id: str) -> str:
    return f"{node_type}:{node_id}"


class Node(BaseModel):
    """A stored object in the graph. ``id`` is the object's id (an artifact's is its sha256 digest), ``label``
    what a person calls it (``iris-train@v1``, a run's name, an artifact's path), ``details`` its main fields,
    and ``distance`` the number of hops from the root of the walk that found it (0 for the root)."""

    model_config = ConfigDict(frozen=True)

    type: str
    id: str
    label: str
    details: dict[str, Any] = Field(default_factory=dict)
    distance: int = 0

    @property
    def key(self) -> str:
        return node_key(self.type, self.id)


class LineageEdge(BaseModel):
    """``src -relation-> dst``: ``derived`` (dst was derived from src), ``input`` (dst read src), ``output`` (src
    produced dst) or ``contains`` (a pipeline run contains its step runs, a run its child runs). ``implicit``
    edges are read from the tables' own columns rather than from the stored edge list."""

    model_config = ConfigDict(frozen=True)

    src: str
    dst: str
    relation: str
    implicit: bool = False


class LineageGraph(BaseModel):
    """The nodes and edges reached from ``root`` in ``direction``, at most ``depth`` hops away. ``truncated``
    is True when the depth limit left more to walk."""

    model_config = ConfigDict(frozen=True)

    root: str
    direction: Direction
    depth: int
    nodes: list[Node]
    edges: list[LineageEdge]
    truncated: bool = False

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)

    def of_type(self, node_type: str) -> list[Node]:
        return [n for n in self.nodes if n.type == node_type]


# ---- summaries --------------------------------------------------------------------------------------------
class DatasetRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    project: str
    dataset: str
    version: int
    ref: str  # name@vN
    content_hash: str
    row_count: int
    source: str
    source_kind: str
    stage: str
    parent_version_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    distance: int = 0


class RunRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    project: str
    status: str
    stage: str
    git_commit: str | None
    params: dict[str, str] = Field(default_factory=dict)
    parent_run_id: str | None = None
    start_time: int
    end_time: int | None = None
    distance: int = 0


class PipelineRunRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    pipeline: str
    project: str
    status: str
    params: dict[str, Any] = Field(default_factory=dict)
    run_id: str | None = None  # its tracking run
    runner: str
    trigger: str
    resumed_from: str | None = None
    started_at: int
    ended_at: int | None = None
    distance: int = 0


class ArtifactPath(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    path: str


class ArtifactRef(BaseModel):
    """Stored bytes, named by their sha256: identical bytes logged by two runs are one artifact."""

    model_config = ConfigDict(frozen=True)

    digest: str
    size: int | None = None
    paths: list[ArtifactPath] = Field(default_factory=list)
    model: bool = False  # a serialised model, by its file name (.skops, .onnx, .joblib, .pkl)
    distance: int = 0


class Provenance(BaseModel):
    """What produced ``subject``, nearest first: the dataset versions, pipeline runs and tracking runs upstream
    of it, and the code commits those runs recorded. ``complete`` is False when the walk hit its depth limit."""

    model_config = ConfigDict(frozen=True)

    subject: Node
    datasets: list[DatasetRef] = Field(default_factory=list)
    pipeline_runs: list[PipelineRunRef] = Field(default_factory=list)
    runs: list[RunRef] = Field(default_factory=list)
    commits: list[str] = Field(default_factory=list)
    complete: bool = True


class Consumers(BaseModel):
    """What was made from ``subject``, nearest first: derived dataset versions, the runs and pipeline runs that
    read it (directly or through what was derived from it), and the artifacts they produced (models flagged)."""

    model_config = ConfigDict(frozen=True)

    subject: Node
    datasets: list[DatasetRef] = Field(default_factory=list)
    runs: list[RunRef] = Field(default_factory=list)
    pipeline_runs: list[PipelineRunRef] = Field(default_factory=list)
    artifacts: list[ArtifactRef] = Field(default_factory=list)
    complete: bool = True

    @property
    def models(self) -> list[ArtifactRef]:
        return [a for a in self.artifacts if a.model]


class LineageReport(BaseModel):
    """The answer to ``mlcycle lineage REF``: the graph around the resolved node, what produced it (``up`` and
    ``both``) and what was made from it (``down`` and ``both``)."""

    model_config = ConfigDict(frozen=True)

    root: Node
    graph: LineageGraph
    provenance: Provenance | None = None
    consumers: Consumers | None = None


__all__ = [
    "DIRECTIONS",
    "NODE_TYPES",
    "ArtifactPath",
    "ArtifactRef",
    "Consumers",
    "DatasetRef",
    "Direction",
    "LineageEdge",
    "LineageGraph",
    "LineageReport",
    "Node",
    "PipelineRunRef",
    "Provenance",
    "RunRef",
    "node_key",
]
