"""Cron expressions of pipeline schedules: checked and evaluated by croniter, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from mlcycle.core.errors import InvalidInput

MAX_CRON_LENGTH = 128  # the width of ``schedules.cron``
CRON_HINT = "use five fields, minute hour day-of-month month day-of-week, e.g. '0 3 * * *' (daily at 03:00 UTC)"


def check_cron(expr: str) -> str:
    """A cron expression croniter accepts (five fields, or ``@daily`` and the like), else InvalidInput."""
    from croniter import CroniterError, croniter

    expr = " ".join(str(expr).split())
    if not expr or len(expr) > MAX_CRON_LENGTH:
        raise InvalidInput(f"invalid cron expression {expr!r}", hint=CRON_HINT)
    try:
        croniter(expr)
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidInput(f"invalid cron expression {expr!r}: {exc}", hint=CRON_HINT) from None
    return expr


def next_cron_time(expr: str, after_ms: int) -> int:
    """The first time strictly after ``after_ms`` that ``expr`` (in UTC) matches, in milliseconds."""
    from croniter import croniter

    start = datetime.fromtimestamp(after_ms / 1000, tz=UTC)
    return int(croniter(expr, start).get_next(float) * 1000)


__all__ = ["check_cron", "next_cron_time"]
