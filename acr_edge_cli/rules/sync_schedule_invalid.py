"""The connected registry's sync schedule is not a standard 5-field cron expression
(minute hour day-of-month month day-of-week, evaluated in UTC). The service refuses it.
Fix: write e.g. `0 */4 * * *` (every four hours) or `* * * * *` (always online)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, registry_setting_path
from acr_edge_cli.schedules import is_valid_schedule

NAME = "sync-schedule-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "the schedule is not a valid 5-field cron expression"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    reported: set[tuple[object, ...]] = set()
    for plan in context.plan.devices:
        if plan.registry is None or is_valid_schedule(plan.registry.sync.schedule):
            continue
        path = registry_setting_path(plan, "sync", "schedule")
        if path in reported:  # a bad default is reported once, not once per device
            continue
        reported.add(path)
        yield Finding(
            path,
            f"sync schedule {plan.registry.sync.schedule!r} is not a 5-field cron expression",
        )
