"""A connected registry that is not always online (schedule other than `* * * * *`) needs a
sync window, an ISO 8601 duration from PT1H to P7D: it syncs only within that window after
each scheduled time. Fix: set `sync.window`, e.g. `PT2H`."""

from collections.abc import Iterator
from datetime import timedelta

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, registry_setting_path
from acr_edge_cli.rules.durations import parse_duration

NAME = "sync-window-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "a non-continuous schedule without a window, or a window outside PT1H..P7D"
ALWAYS_ONLINE = "* * * * *"
SHORTEST, LONGEST = timedelta(hours=1), timedelta(days=7)


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    reported: set[tuple[object, ...]] = set()
    for plan in context.plan.devices:
        if plan.registry is None:
            continue
        sync = plan.registry.sync
        if sync.window is None:
            if " ".join(sync.schedule.split()) != ALWAYS_ONLINE:
                finding = Finding(
                    registry_setting_path(plan, "sync", "schedule"),
                    f"schedule {sync.schedule!r} is not continuous, so it needs a sync window "
                    "(PT1H to P7D)",
                )
            else:
                continue
        else:
            window = parse_duration(sync.window)
            if window is not None and SHORTEST <= window <= LONGEST:
                continue
            problem = "is not an ISO 8601 duration" if window is None else "is outside PT1H..P7D"
            finding = Finding(
                registry_setting_path(plan, "sync", "window"),
                f"sync window {sync.window!r} {problem}",
            )
        if finding.path not in reported:
            reported.add(finding.path)
            yield finding
