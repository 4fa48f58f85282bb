"""A connected registry's sync messages expire before its next sync. `message_ttl` is how
long a message (a push, a delete) waits for the next sync before it is dropped; when two
scheduled syncs are further apart than that, changes made between them never reach the
registry (a weekly schedule with the default `P2D`, say). Fix: set `sync.message_ttl` to at
least the longest gap between syncs (up to P90D), or sync more often."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, registry_setting_path
from acr_edge_cli.rules.durations import parse_duration
from acr_edge_cli.schedules import describe, sync_gaps

NAME = "message-ttl-shorter-than-sync-interval"
SEVERITY = Severity.WARNING
SUMMARY = "the gap between two scheduled syncs is longer than `message_ttl`"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    reported: set[tuple[object, ...]] = set()
    for plan in context.plan.devices:
        if plan.registry is None:
            continue
        sync = plan.registry.sync
        gaps, ttl = sync_gaps(sync.schedule), parse_duration(sync.message_ttl)
        if gaps is None or ttl is None:
            continue  # sync-schedule-invalid and message-ttl-invalid say why
        longest = gaps[1]
        if longest <= ttl:
            continue
        path = registry_setting_path(plan, "sync", "message_ttl")
        if path in reported:  # a default is reported once, not once per device
            continue
        reported.add(path)
        yield Finding(
            path,
            f"{plan.registry.name}: message TTL {sync.message_ttl} is shorter than the "
            f"{describe(longest)} between syncs of {sync.schedule!r}; messages expire "
            "before the next sync",
        )
