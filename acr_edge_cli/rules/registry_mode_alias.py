"""`Registry` and `Mirror` are the first preview's names for the connected registry modes.
The service still accepts them, but the Azure CLI is dropping them. Fix: write `ReadWrite`
for `Registry` and `ReadOnly` for `Mirror`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "registry-mode-alias"
SEVERITY = Severity.WARNING
SUMMARY = "`Registry` / `Mirror` used instead of `ReadWrite` / `ReadOnly`"
CURRENT = {"Registry": "ReadWrite", "Mirror": "ReadOnly"}


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    for plan in context.plan.devices:
        if plan.registry is not None and plan.registry.mode in CURRENT:
            yield Finding(
                (*plan.source, "connected_registry", "mode"),
                f"mode {plan.registry.mode!r} is a deprecated alias; write "
                f"{CURRENT[plan.registry.mode]!r}",
            )
