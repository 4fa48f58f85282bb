"""`$upstream` is used in an environment variable. edgeAgent resolves it only in images and
registry addresses, so the module sees the literal text `$upstream`. Fix: use
`$IOTEDGE_PARENTHOSTNAME`, which edgeAgent sets in every module of a child device (the
connected registry resolves it in its connection string)."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import env_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "upstream-in-env"
SEVERITY = Severity.ERROR
SUMMARY = (
    "`$upstream` used inside an environment variable value "
    "(unsupported; use `$IOTEDGE_PARENTHOSTNAME`)"
)
# The connection string has its own, more precise rule (connection-string-invalid).
SKIPPED = {"ACR_REGISTRY_CONNECTION_STRING"}


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.all_modules():
        for name, value in entry.env().items():
            if name not in SKIPPED and isinstance(value, str) and "$upstream" in value:
                yield Finding(
                    env_path(entry, name),
                    f"{entry.name}: environment variable {name} uses $upstream, which is not "
                    "resolved there; use $IOTEDGE_PARENTHOSTNAME",
                )
