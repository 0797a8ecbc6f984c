"""The embedded backend: the services of this process, used directly (and by the server behind its routes)."""

from __future__ import annotations

from mlcycle.core.config import Settings
from mlcycle.lifecycle import LifecycleView, project_lifecycle
from mlcycle.tracking.service import TrackingService


class LocalBackend(TrackingService):
    """Tracking plus the other services' read models, in-process."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalBackend:
        base = TrackingService.from_settings(settings)
        return cls(base.store, base.blobs, base.user)

    def as_user(self, user: str) -> LocalBackend:
        return LocalBackend(self.store, self.blobs, user, self._projects)

    def lifecycle(self, project: str) -> LifecycleView:
        p = self.get_project(project)
        return project_lifecycle(self.store, p.id, p.name, p.kind)
