"""A module uses the restart policy `on-failure` or `on-unhealthy`. The IoT Edge docs warn
that these are not implemented: only `always` and `never` behave as named. Fix: use
`always` (or `never` for a run-once module)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "restart-policy-unimplemented"
SEVERITY = Severity.WARNING
SUMMARY = "a module uses `on-failure` or `on-unhealthy`"
UNIMPLEMENTED = {"on-failure", "on-unhealthy"}


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.user_modules():
        policy = entry.spec.get("restartPolicy")
        if isinstance(policy, str) and policy in UNIMPLEMENTED:
            yield Finding(
                (*entry.path, "restartPolicy"),
                f"{entry.name}: restartPolicy {policy!r} is not implemented by IoT Edge",
            )
