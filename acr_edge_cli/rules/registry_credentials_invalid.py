"""A `registryCredentials` entry cannot be used: edgeAgent needs `address`, `username` and
`password`, each a non-empty string, to log in before it pulls; an entry without an address
matches no image, and one with a number for a username stops the deployment from being
applied. A template's placeholder (`$USERNAME`, `${ACR_PASSWORD}`) is a string filled in
later, and fine. Fix: give the entry all three, e.g. `"address": "contoso.azurecr.io"`,
`"username": "contoso"`, `"password": "${ACR_PASSWORD}"`."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import AGENT
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "registry-credentials-invalid"
SEVERITY = Severity.ERROR
SUMMARY = (
    "a `registryCredentials` entry lacks `address`, `username` or `password`, or one is "
    "empty or not a string"
)
KEYS = ("address", "username", "password")
_JSON_KINDS = {bool: "a boolean", type(None): "null", dict: "a mapping", list: "a list"}
CREDENTIALS = (*AGENT, "runtime", "settings", "registryCredentials")


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    settings = context.agent.get("runtime")
    settings = settings.get("settings") if isinstance(settings, dict) else None
    credentials = settings.get("registryCredentials") if isinstance(settings, dict) else None
    if not isinstance(credentials, dict):
        return  # absent, or the schema reports its type
    for name, entry in credentials.items():
        path = (*CREDENTIALS, name)
        if not isinstance(entry, dict):
            yield Finding(
                path, f"registry credentials {name!r} must be a mapping of {', '.join(KEYS)}"
            )
            continue
        missing = [key for key in KEYS if key not in entry]
        if missing:
            yield Finding(path, f"registry credentials {name!r} lack {', '.join(missing)}")
        for key in KEYS:
            if key not in entry:
                continue
            value = entry[key]
            if not isinstance(value, str):
                kind = _JSON_KINDS.get(type(value), "a number")
                yield Finding(
                    (*path, key),
                    f"registry credentials {name!r}: {key} must be a string, not {kind}",
                )
            elif not value.strip():
                yield Finding((*path, key), f"registry credentials {name!r}: {key} is empty")
