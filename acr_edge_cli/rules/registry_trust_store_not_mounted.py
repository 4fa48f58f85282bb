"""A lower-layer connected registry cannot verify its parent. It syncs from the parent's API
proxy (`ParentGatewayEndpoint=$IOTEDGE_PARENTHOSTNAME:<port>`) over https, whose
certificate chains to the hierarchy's root CA; the container's own CA store does not hold
that root, so activation fails with "The SSL connection could not be established ... remote
certificate is invalid" (Azure/acr#620). Fix: install the root on the host
(`update-ca-certificates`) and bind the host's store read-only into the module:
`"Binds": [..., "/etc/ssl/certs:/etc/ssl/certs:ro"]` (or point `SSL_CERT_FILE` /
`SSL_CERT_DIR` at a bound folder holding it)."""

from collections.abc import Iterator

from acr_edge_cli.connection_strings import VARIABLE, parse_connection_string
from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import bind_targets, create_options_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "registry-trust-store-not-mounted"
SEVERITY = Severity.WARNING
SUMMARY = (
    "a connected registry syncing from `$IOTEDGE_PARENTHOSTNAME` over https binds no CA "
    "store the parent's chain can be verified with"
)
#: Where the container's TLS stack (OpenSSL, for .NET on Linux) looks for trusted roots.
CA_STORES = ("/etc/ssl/certs", "/etc/ssl", "/etc/pki/tls/certs", "/etc/pki/ca-trust")
CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def _trusts_host_store(targets: set[str], env: dict[str, object]) -> bool:
    if targets.intersection(CA_STORES):
        return True
    for variable in CA_VARIABLES:
        value = env.get(variable)
        if isinstance(value, str) and any(
            value.rstrip("/") == target or value.startswith(target + "/") for target in targets
        ):
            return True
    return False


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.user_modules():
        if not entry.is_connected_registry:
            continue
        settings = entry.env().get(VARIABLE)
        if not isinstance(settings, str):
            continue
        pairs = parse_connection_string(settings)
        endpoint = pairs.get("ParentGatewayEndpoint", "")
        if (
            "$IOTEDGE_PARENTHOSTNAME" not in endpoint
            or pairs.get("ParentEndpointProtocol") != "https"
        ):
            continue  # towards the cloud (public CAs), or plain http
        options = entry.create_options
        if options is None:
            continue  # unreadable: create-options-invalid says so
        if _trusts_host_store(bind_targets(options), entry.env()):
            continue
        yield Finding(
            create_options_path(entry)
            if entry.settings.get("createOptions") is not None
            else (*entry.path, "settings"),
            f"{entry.name}: syncs from its parent over https but binds no CA store; bind "
            "/etc/ssl/certs:/etc/ssl/certs:ro so that it trusts the hierarchy's root",
        )
