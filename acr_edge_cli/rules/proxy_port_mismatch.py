"""The API proxy's `NGINX_DEFAULT_PORT` is not the container port it binds. nginx listens on
that port (8000 when unset), so a binding of another port leads nowhere; a port the image
does not EXPOSE (it exposes 443, 80, 5000, 11002 and 8000) must also be declared in
`ExposedPorts`. Fix: bind `"<port>/tcp": [{"HostPort": "<port>"}]` with the same port as
`NGINX_DEFAULT_PORT`, and declare `ExposedPorts` for other ports."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.manifest_modules import create_options_path, env_path
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ManifestContext

NAME = "proxy-port-mismatch"
SEVERITY = Severity.ERROR
SUMMARY = "the API proxy's `NGINX_DEFAULT_PORT` is not its bound (and exposed) container port"
DEFAULT_PORT = "8000"
EXPOSED_BY_IMAGE = {"443", "80", "5000", "11002", "8000"}


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for entry in context.user_modules():
        if not entry.is_api_proxy:
            continue
        value = entry.env().get("NGINX_DEFAULT_PORT", DEFAULT_PORT)
        port = str(value)
        if not port.isdigit() or not 0 < int(port) < 65536:
            yield Finding(
                env_path(entry, "NGINX_DEFAULT_PORT"),
                f"{entry.name}: NGINX_DEFAULT_PORT {value!r} is not a port number",
            )
            continue
        options = entry.create_options
        if options is None:
            continue  # unreadable: create-options-invalid says so
        host_config = options.get("HostConfig")
        bindings = host_config.get("PortBindings") if isinstance(host_config, dict) else None
        bound = set(bindings) if isinstance(bindings, dict) else set()
        key = f"{port}/tcp"
        if key not in bound:
            others = ", ".join(sorted(bound)) or "nothing"
            yield Finding(
                create_options_path(entry),
                f"{entry.name}: nginx listens on {port} but the container binds {others}; "
                f"bind {key}",
            )
        exposed = options.get("ExposedPorts")
        if port not in EXPOSED_BY_IMAGE and not (isinstance(exposed, dict) and key in exposed):
            yield Finding(
                create_options_path(entry),
                f"{entry.name}: port {port} is not exposed by the image; add "
                f'"ExposedPorts": {{"{key}": {{}}}}',
            )
