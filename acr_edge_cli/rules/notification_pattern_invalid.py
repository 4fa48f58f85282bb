"""A notification pattern must be `artifact[:tag][@digest]:action` with action `push`,
`delete` or `*` (`*` is a wildcard in each part), e.g. `hello-world:*:push` or `*:*`.
Fix: rewrite the pattern in that form."""

import re
from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "notification-pattern-invalid"
SEVERITY = Severity.ERROR
SUMMARY = "a notification is not `artifact[:tag][@digest]:push|delete|*`"
PATTERN = re.compile(r"[^:@\s]+(?::[^:@\s]+)?(?:@[^@\s]+)?:(?:push|delete|\*)")


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.registry is None:
            continue
        for index, pattern in enumerate(plan.registry.notifications):
            if not PATTERN.fullmatch(pattern):
                yield Finding(
                    (*plan.source, "connected_registry", "notifications", index),
                    f"notification {pattern!r} is not artifact[:tag][@digest]:push|delete|*",
                )
