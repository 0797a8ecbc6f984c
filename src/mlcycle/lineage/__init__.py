"""Lineage: from a model back to the data versions, pipeline run, code commit and parameters that produced it,
and from a dataset forward to everything made from it.

    from mlcycle.lineage import lineage, resolve, provenance, consumers
    report = lineage(store, "<run id>:model/model.skops")      # or a digest, an id, PROJECT/DATASET@v2
    report.provenance.datasets, report.provenance.commits
    consumers(store, resolve(store, "churn/customers@v1")).models

See docs/lineage.md.
"""

from mlcycle.lineage.graph import MAX_DEPTH, downstream, upstream
from mlcycle.lineage.models import (
    DIRECTIONS,
    NODE_TYPES,
    ArtifactPath,
    ArtifactRef,
    Consumers,
    DatasetRef,
    Direction,
    LineageEdge,
    LineageGraph,
    LineageReport,
    Node,
    PipelineRunRef,
    Provenance,
    RunRef,
)
from mlcycle.lineage.provenance import consumers, lineage, provenance
from mlcycle.lineage.refs import resolve

__all__ = [
    "DIRECTIONS",
    "MAX_DEPTH",
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
    "consumers",
    "downstream",
    "lineage",
    "provenance",
    "resolve",
    "upstream",
]
