"""The scheduler loop: fire due schedules every few seconds, in ``mlcycle scheduler run`` or in the server.

    loop = SchedulerLoop(ScheduleService.from_settings(settings), interval_s=10)
    loop.run_once()                     # one tick
    loop.run_forever(stop_event)        # until stop_event is set

    thread, stop = start_background_scheduler(settings)   # what the server starts; stop.set() ends it

Schedules fire one after the other in the loop's thread, so a long pipeline delays the next ones (they are not
lost: a due cron schedule fires once when its turn comes). Several loops, in one process or in several, can run
against the same store: each due tick is claimed by exactly one of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from mlcycle.core.config import Settings
from mlcycle.core.errors import InvalidInput
from mlcycle.pipelines.schedules import ScheduleService, TriggeredRun

DEFAULT_INTERVAL_S = 10.0
log = logging.getLogger("mlcycle.scheduler")


class SchedulerLoop:
    """Ticks ``service`` every ``interval_s`` seconds; ``on_run`` is told about each firing as it ends (without
    it, firings that did not finish are logged to the ``mlcycle.scheduler`` logger).

    Thread-safe: ticks of one loop never overlap, whichever threads call :meth:`run_once`.
    """

    def __init__(
        self,
        service: ScheduleService,
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        on_run: Callable[[TriggeredRun], None] | None = None,
    ) -> None:
        if not interval_s > 0:
            raise InvalidInput(f"the scheduler interval must be positive, got {interval_s}")
        self.service = service
        self.interval_s = interval_s
        self.on_run = on_run
        self._lock = threading.Lock()

    def run_once(self) -> list[TriggeredRun]:
        """One tick: run every schedule that is due now."""
        with self._lock:
            return self.service.tick(on_run=self._report)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Tick until ``stop_event`` is set. A tick that fails (say, the database is unreachable) is logged and
        the loop tries again after the interval; a pipeline already running finishes before the loop stops."""
        while not stop_event.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("scheduler tick failed; retrying in %gs", self.interval_s)
            stop_event.wait(self.interval_s)

    def _report(self, run: TriggeredRun) -> None:
        if self.on_run is not None:
            self.on_run(run)
        elif run.status != "FINISHED":
            log.warning("schedule %s (%s): %s %s", run.schedule_id, run.pipeline, run.status, run.error or "")


def start_background_scheduler(
    settings: Settings, interval_s: float = DEFAULT_INTERVAL_S
) -> tuple[threading.Thread, threading.Event]:
    """Start a daemon thread that runs due schedules of ``settings``' store every ``interval_s`` seconds.

    Returns the thread and its stop event: ``stop.set(); thread.join()`` ends it (after a pipeline it is
    running finishes). Pipelines are imported in this process, so it must be able to import their modules.
    """
    loop = SchedulerLoop(ScheduleService.from_settings(settings), interval_s)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run_forever, args=(stop,), name="mlcycle-scheduler", daemon=True)
    thread.start()
    return thread, stop


__all__ = ["DEFAULT_INTERVAL_S", "SchedulerLoop", "start_background_scheduler"]
