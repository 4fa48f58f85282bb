"""A sync window that changes nothing: a window as long as the time between two syncs
makes the registry online all the time (each window runs into the next sync), and a window
on the always-online schedule `* * * * *` is ignored. Fix: shorten the window below the
interval, or use `* * * * *` without a window to stay online."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, registry_setting_path
from acr_edge_cli.rules.durations import parse_duration
from acr_edge_cli.schedules import ALWAYS_ONLINE, describe, normalized, sync_gaps

NAME = "sync-window-overlaps"
SEVERITY = Severity.INFO
SUMMARY = (
    "a window as long as the interval between syncs, or a window set on an always-online "
    "schedule (ignored)"
)


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    reported: set[tuple[object, ...]] = set()
    for plan in context.plan.devices:
        if plan.registry is None or plan.registry.sync.window is None:
            continue
        sync = plan.registry.sync
        window = parse_duration(sync.window or "")
        path = registry_setting_path(plan, "sync", "window")
        if window is None or path in reported:
            continue
        if normalized(sync.schedule) == ALWAYS_ONLINE:
            message = (
                f"window {sync.window} is ignored on the always-online schedule {ALWAYS_ONLINE!r}"
            )
        else:
            gaps = sync_gaps(sync.schedule)
            if gaps is None or window < gaps[0]:
                continue
            message = (
                f"window {sync.window} is as long as the {describe(gaps[0])} between syncs "
                f"of {sync.schedule!r}: the registry never goes offline"
            )
        reported.add(path)
        yield Finding(path, f"{plan.registry.name}: {message}")
