"""The connected registry's sync message TTL is outside P1D..P90D (an ISO 8601 duration):
how long a sync message waits for the registry before it expires. Fix: choose a value in
that range; the service's default is `P2D`."""

from collections.abc import Iterator
from datetime import timedelta

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext, registry_setting_path
from acr_edge_cli.rules.durations import parse_duration

NAME = "message-ttl-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "message TTL outside P1D..P90D"
SHORTEST, LONGEST = timedelta(days=1), timedelta(days=90)


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    reported: set[tuple[object, ...]] = set()
    for plan in context.plan.devices:
        if plan.registry is None:
            continue
        ttl_text = plan.registry.sync.message_ttl
        ttl = parse_duration(ttl_text)
        if ttl is not None and SHORTEST <= ttl <= LONGEST:
            continue
        path = registry_setting_path(plan, "sync", "message_ttl")
        if path in reported:
            continue
        reported.add(path)
        problem = "is not an ISO 8601 duration" if ttl is None else "is outside P1D..P90D"
        yield Finding(path, f"message TTL {ttl_text!r} {problem}")
