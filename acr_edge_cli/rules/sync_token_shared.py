"""Two connected registries use the same sync token. A sync token's scope map names its own
registry (`gateway/<registry>/...` actions) and a registry authenticates to its parent with
it alone; a second registry with the same token is refused, or takes the other's place.
Fix: give each connected registry its own sync token (`az acr connected-registry create`
makes one per registry)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "sync-token-shared"
SEVERITY = Severity.ERROR
SUMMARY = "two connected registries name the same sync token"


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    first_user: dict[str, str] = {}
    for plan in context.plan.devices:
        if plan.registry is None:
            continue
        token = plan.registry.sync_token_name
        other = first_user.setdefault(token.lower(), plan.registry.name)
        if other != plan.registry.name:
            yield Finding(
                (*plan.source, "connected_registry", "sync_token", "name"),
                f"{plan.registry.name}: sync token {token!r} is already the sync token of {other}",
            )
