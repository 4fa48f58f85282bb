"""A device pulls through its parent with credentials the registry there does not accept.
A device without a connected registry of its own pulls its images from the nearest
connected registry above it, which accepts only its client tokens (and the sync tokens of
the registries syncing from it): any other username gets 401 / "insufficient scopes" on
every pull. Fix: add the username to that registry's `client_tokens` (`az acr
connected-registry update --add-client-tokens`), or use one that is there."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import HierarchyContext

NAME = "pull-credentials-not-authorized"
SEVERITY = Severity.ERROR
SUMMARY = (
    "a device without its own connected registry pulls through its parent with a username "
    "that is not one of the nearest registry's `client_tokens`"
)


def check_hierarchy(context: HierarchyContext) -> Iterator[Finding]:
    plans = context.plan.devices
    for plan in plans:
        credentials = plan.device.registry_credentials
        if plan.registry is not None or plan.is_top or credentials is None:
            continue
        source = plan.nearest_registry_ancestor
        if source is None or source.registry is None:
            continue  # no registry to pull from: image-not-synced says so
        username = credentials.username
        if has_placeholder(username):
            continue
        accepted = {token.lower() for token in source.registry.client_tokens}
        accepted.update(
            other.registry.sync_token_name.lower()
            for other in plans
            if other.registry is not None and other.nearest_registry_ancestor is source
        )
        if username.lower() in accepted:
            continue
        tokens = ", ".join(source.registry.client_tokens) or "none"
        yield Finding(
            (*plan.source, "registry_credentials", "username"),
            f"{plan.id} pulls from {source.registry.name} (on {source.id}) as {username!r}, "
            f"which is not one of its client tokens ({tokens})",
        )
