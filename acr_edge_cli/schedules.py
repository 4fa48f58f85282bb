"""Connected-registry sync schedules: 5-field cron expressions evaluated in UTC, as the
service reads them, and the gaps between the syncs they start."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

#: The schedule of a registry that is always online (windows are ignored with it).
ALWAYS_ONLINE = "* * * * *"
#: Syncs looked at to find the gaps: enough for any schedule to repeat (a yearly one
#: repeats within 28 years of calendar; 2,000 occurrences of `0 0 1 1 *` cover them), and
#: a bound on the time a pathological schedule can take.
OCCURRENCES = 2000
_START = datetime(2026, 1, 1, tzinfo=UTC)


def normalized(schedule: str) -> str:
    return " ".join(schedule.split())


@functools.lru_cache(maxsize=256)
def is_valid_schedule(schedule: str) -> bool:
    from croniter import croniter  # loaded only where hierarchies are checked

    # croniter also takes 6- and 7-field forms (seconds, years); the service takes 5 fields.
    return len(schedule.split()) == 5 and bool(croniter.is_valid(schedule))


@functools.lru_cache(maxsize=256)
def sync_gaps(schedule: str) -> tuple[timedelta, timedelta] | None:
    """(shortest, longest) time between two consecutive scheduled syncs; None for a
    schedule that is not valid or never fires."""
    if not is_valid_schedule(schedule):
        return None
    from croniter import CroniterBadDateError, croniter

    times = croniter(schedule, _START)
    try:
        previous = times.get_next(datetime)
        shortest = longest = None
        for _ in range(OCCURRENCES):
            current = times.get_next(datetime)
            gap = current - previous
            shortest = gap if shortest is None or gap < shortest else shortest
            longest = gap if longest is None or gap > longest else longest
            previous = current
    except (CroniterBadDateError, StopIteration):  # e.g. `0 0 30 2 *`: never
        return None
    if shortest is None or longest is None:
        return None
    return shortest, longest


def describe(gap: timedelta) -> str:
    """A gap as a person reads it: `7 days`, `4 hours`, `23 hours 5 minutes`."""
    minutes = int(gap.total_seconds() // 60)
    parts = []
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts) or "0 minutes"
