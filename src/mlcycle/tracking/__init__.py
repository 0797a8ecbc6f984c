"""Experiment tracking: projects, runs, params, metrics, tags, artifacts and run search."""

from mlcycle.tracking.models import ArtifactInfo, MetricPoint, MetricSeries, ProjectInfo, RunInfo
from mlcycle.tracking.service import TrackingService

__all__ = ["ArtifactInfo", "MetricPoint", "MetricSeries", "ProjectInfo", "RunInfo", "TrackingService"]
