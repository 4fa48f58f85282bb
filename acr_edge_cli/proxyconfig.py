"""The nginx configuration an API proxy module will run, from its manifest settings.

The proxy turns a template into nginx.conf in three steps, reproduced here with its quirks
(observed in the module's config parser, api-proxy 1.1.4 to 1.1.27; docs/layers.md describes
the routes):

1. every `${VAR}` the template names is replaced: reserved values first, then the module's
   environment, then built-in defaults, then "0". Substitution follows envsubst, which
   refuses a value holding `$`, `{` or `}`: the module then rejects the whole configuration;
2. every `boolean_expression[...]` is evaluated to 1 or 0: `&(a,b)`, `|(a,b)`, `!(a)`, where
   a value of more than one character is 1, "0" is 0, and a single other character is
   dropped;
3. every block `#if_tag 0` ... `#endif_tag 0` is removed, non-greedily. The 1.1 image removes
   nothing else: the documented `#if_tag !${VAR}` reads `#if_tag !<value>` after step 1 and
   stays, so both branches of such a pair end up in the configuration. The 1.0 image's
   parser also removed `#if_tag !<value>` blocks whose variable was set.

The template is the module twin's `proxy_config` (base64) when the manifest sets one, else
acr-edge's model of the default configuration (templates/nginx/api-proxy.conf).
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from acr_edge_cli import resources
from acr_edge_cli.images import version_of
from acr_edge_cli.manifest_modules import mapping, module_entries

#: Values the proxy sets itself; a module environment cannot override them.
RESERVED = {"TOKEN_VALIDITY_MINUTES": "30", "TOKEN_SERVER_PORT": "6001"}
#: Built-in defaults, used when the module's environment does not set them.
DEFAULTS = {"NGINX_DEFAULT_PORT": "8000", "NGINX_DEFAULT_TLS": "TLSv1.2"}
#: Route variables whose address the default configuration proxies to without a variable,
#: so nginx resolves it once, at start: a name that does not resolve stops nginx.
STATIC_ROUTES = ("CONNECTED_ACR_ROUTE_ADDRESS",)
#: Route variables looked up per request: a wrong name is a 502 on that route only.
ROUTES = (
    "CONNECTED_ACR_ROUTE_ADDRESS",
    "DOCKER_REQUEST_ROUTE_ADDRESS",
    "BLOB_UPLOAD_ROUTE_ADDRESS",
)
#: Characters envsubst refuses in a substituted value.
REFUSED_CHARACTERS = "${}"

_VARIABLE = re.compile(r"\$\{(.*?)\}")
_EXPRESSION = re.compile(r"boolean_expression\[(.*)\]")  # greedy, to the line's last ]
_FALSE_BLOCK = re.compile(r"#if_tag 0((.|\n)*?)#endif_tag 0")
_NEGATED_SET_BLOCK = re.compile(r"#if_tag !(?!0\b)(\S+)(?:.|\n)*?#endif_tag !\1")
_LOG_PREFIX = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: ", re.MULTILINE)
#: The reserved top-level domain (RFC 6761) no resolver answers: how a route address naming
#: no module of the deployment is handed to `nginx -t`.
_UNKNOWN_SUFFIX = ".invalid"
_HOST_NOT_FOUND = re.compile(r'host not found in upstream "([^"]*?)' + re.escape(_UNKNOWN_SUFFIX))


@dataclass(frozen=True)
class ProxySettings:
    """What a manifest says about its API proxy module."""

    module_name: str
    env: dict[str, str]
    template: str | None  # the decoded proxy_config, if the twin sets one
    #: the names of the deployment's modules, lower case: what Docker's DNS resolves
    modules: frozenset[str] = frozenset()
    #: the proxy image's version, (1, 1) for `:1.1`; None when the tag does not say
    version: tuple[int, ...] | None = None


class RefusedValue(ValueError):
    """The proxy refuses its configuration: envsubst will not substitute this value."""

    def __init__(self, variable: str) -> None:
        super().__init__(
            f"{variable} holds one of '$', '{{', '}}', which the proxy's template engine "
            "refuses: the proxy rejects its whole configuration"
        )
        self.variable = variable


def proxy_settings(manifest: Mapping[str, Any]) -> ProxySettings | None:
    """The API proxy of a manifest (by image or NGINX_DEFAULT_PORT), or None."""
    content = mapping(manifest.get("modulesContent"))
    desired = mapping(mapping(content.get("$edgeAgent")).get("properties.desired"))
    modules = module_entries(desired.get("modules"), system=False)
    proxy = next((m for m in modules if m.is_api_proxy), None)
    if proxy is None:
        return None
    env = {key: str(value) for key, value in proxy.env_values.items()}
    twin = mapping(mapping(content.get(proxy.name)).get("properties.desired"))
    template = None
    if isinstance(twin.get("proxy_config"), str):
        try:
            template = base64.b64decode(twin["proxy_config"], validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            template = None  # proxy-config-invalid reports it
    names = frozenset(m.name.lower() for m in modules)
    return ProxySettings(proxy.name, env, template, names, version_of(proxy.reference))


def default_template() -> str:
    return (resources.templates_dir() / "nginx" / "api-proxy.conf").read_text(encoding="utf-8")


def template_of(settings: ProxySettings) -> str:
    return settings.template if settings.template is not None else default_template()


def _truth(value: str) -> bool | None:
    """A value inside boolean_expression: None where the proxy drops it."""
    value = value.strip()
    if value == "0":
        return False
    if len(value) > 1:
        return True
    return None


def _evaluate(text: str) -> bool:
    """Evaluate `&(..)`, `|(..)`, `!(..)` over substituted values (prefix notation)."""
    position = 0

    def expression() -> bool | None:
        nonlocal position
        operator = text[position : position + 1]
        if operator in ("&", "|", "!") and text[position + 1 : position + 2] == "(":
            position += 2
            arguments: list[bool] = []
            while position < len(text) and text[position] != ")":
                argument = expression()
                if argument is not None:
                    arguments.append(argument)
                if position < len(text) and text[position] == ",":
                    position += 1
            position += 1  # the closing parenthesis
            if operator == "&":
                return all(arguments)
            if operator == "|":
                return any(arguments)
            return not any(arguments)
        end = position
        while end < len(text) and text[end] not in ",)":
            end += 1
        token = text[position:end]
        position = end
        return _truth(token)

    return bool(expression())


def substitute(template: str, env: Mapping[str, str]) -> str:
    """Steps 1 and 2: variables, then boolean expressions. Raises RefusedValue."""
    values: dict[str, str] = {}
    for name in _VARIABLE.findall(template):
        value = RESERVED.get(name, env.get(name, DEFAULTS.get(name, "0")))
        if any(character in value for character in REFUSED_CHARACTERS):
            raise RefusedValue(name)
        values[name] = value
    text = _VARIABLE.sub(lambda match: values[match.group(1)], template)
    return _EXPRESSION.sub(lambda m: "1" if _evaluate(m.group(1)) else "0", text)


def render_nginx_config(settings: ProxySettings, *, parent_hostname: str | None = None) -> str:
    """The nginx.conf the proxy would run. edgeAgent sets IOTEDGE_PARENTHOSTNAME (on child
    devices) and IOTEDGE_MODULEID; they are added here the same way. Raises RefusedValue."""
    env = dict(settings.env)
    env["IOTEDGE_MODULEID"] = settings.module_name
    if parent_hostname:
        env["IOTEDGE_PARENTHOSTNAME"] = parent_hostname
    text = _FALSE_BLOCK.sub("", substitute(template_of(settings), env))
    if settings.version is not None and settings.version[:2] == (1, 0):
        text = _NEGATED_SET_BLOCK.sub("", text)
    return text


def resolved_as_on_device(settings: ProxySettings, host: str = "127.0.0.1") -> ProxySettings:
    """The settings with each route address's module name replaced as Docker's DNS would
    answer it: a module of the deployment becomes `host`, any other name becomes one that
    never resolves (`<name>.invalid`). What `nginx -t` needs to judge static upstreams on a
    machine that is not the device."""
    env = dict(settings.env)
    for variable in ROUTES:
        name, _, port = env.get(variable, "").rpartition(":")
        if not name or not port.isdigit():
            continue
        known = name.lower() in settings.modules
        env[variable] = f"{host if known else name + _UNKNOWN_SUFFIX}:{port}"
    return replace(settings, env=env)


# --- nginx -t ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NginxCheck:
    ok: bool
    output: str
    #: names nginx could not resolve at start (as `resolved_as_on_device` wrote them)
    unresolved: tuple[str, ...] = ()


@dataclass(frozen=True)
class NginxTools:
    """The programs `nginx -t` on a proxy configuration needs: nginx, and openssl for the
    stand-in certificates the configuration names."""

    nginx: str
    openssl: str


def _program(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/local/sbin/{name}") if Path(p).is_file()), None
    )


def nginx_tools() -> NginxTools | str:
    """The tools, or what is missing (for a note that says the check is skipped)."""
    nginx, openssl = _program("nginx"), shutil.which("openssl")
    missing = [name for name, path in (("nginx", nginx), ("openssl", openssl)) if path is None]
    if nginx is None or openssl is None:
        return " and ".join(missing)
    return NginxTools(nginx, openssl)


def _self_signed(folder: Path, openssl: str) -> None:
    """Throw-away certificate files where the proxy keeps its workload-API certificates."""
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=acr-edge-nginx-check",
            "-keyout", str(folder / "private_key_server.pem"),
            "-out", str(folder / "server.crt"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    shutil.copy(folder / "server.crt", folder / "trustedCA.crt")


def check_with_nginx(config: str, tools: NginxTools) -> NginxCheck:
    """`nginx -t` on a configuration, in a scratch folder holding stand-in certificates."""
    with tempfile.TemporaryDirectory(prefix="acr-edge-nginx-") as scratch:
        folder = Path(scratch)
        _self_signed(folder, tools.openssl)
        (folder / "nginx.conf").write_text(config, encoding="utf-8")
        result = subprocess.run(
            [tools.nginx, "-t", "-q", "-p", f"{folder}/", "-c", "nginx.conf", "-e", "stderr"],
            capture_output=True,
            text=True,
            check=False,
        )
    output = (result.stdout + result.stderr).replace(f"{folder}/", "")
    # keep what nginx says, not when or which process said it
    output = _LOG_PREFIX.sub("", output)
    unresolved = tuple(_HOST_NOT_FOUND.findall(output))
    return NginxCheck(result.returncode == 0, output.strip(), unresolved)
