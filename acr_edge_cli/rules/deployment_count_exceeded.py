"""More than 100 automatic deployments (base and layered together) for one hub: a paid IoT
Hub holds at most 100 configurations (10 on the free tier) and refuses the next one with
`ConfigurationCountLimitExceeded`. Fix: merge layers, or split the fleet across hubs."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ConfigurationContext

NAME = "deployment-count-exceeded"
SEVERITY = Severity.ERROR
SUMMARY = "more than 100 configurations for one hub"
LIMIT = 100


def check_configuration(context: ConfigurationContext) -> Iterator[Finding]:
    if context.standalone:
        return  # a layered deployment's content alone has no target condition or id
    if context.position == LIMIT:  # reported once, on the first one over the limit
        yield Finding(
            ("id",),
            f"{context.total} configurations for one hub; IoT Hub holds at most {LIMIT}",
        )
