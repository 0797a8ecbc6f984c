"""The lifecycle spine: which stages of the catalog's flow a project has evidence for."""

from mlcycle.lifecycle.view import LifecycleView, StageActivity, project_lifecycle

__all__ = ["LifecycleView", "StageActivity", "project_lifecycle"]
