"""Render one deployment manifest per device from the jinja2 templates.

The context handed to templates is plain data (dicts, lists, strings, numbers): a sandboxed
user template has no Python object to reach into. Templates produce JSON text, which is
parsed back, so a template can change structure but can never break escaping.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import orjson

from acr_edge_cli import resources
from acr_edge_cli.connection_strings import VARIABLE as CONNECTION_STRING_VARIABLE
from acr_edge_cli.connection_strings import connection_string
from acr_edge_cli.errors import TemplateError
from acr_edge_cli.plan import (
    AGENT_REPOSITORY,
    EDGEHUB_PORTS,
    HUB_REPOSITORY,
    PROXY_EXPOSED_PORTS,
    PROXY_REPOSITORY,
    REGISTRY_CONTAINER_PORT,
    REGISTRY_REPOSITORY,
    DevicePlan,
    HierarchyPlan,
    pull_credentials,
    resolve_image,
)

MANIFEST_TEMPLATE = "deployment.json.j2"


def _to_json(value: Any) -> str:
    """Compact JSON, as json.dumps(separators=(",", ":"), ensure_ascii=False) writes it.

    Also the templates' `tojson`: the rendered text is parsed as JSON, never served as
    HTML, so jinja's HTML escaping is not needed.
    """
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:  # an integer past 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


#: edgeAgent splits longer createOptions into createOptions01, 02... of this many characters.
CREATE_OPTIONS_CHUNK = 512


@dataclass(frozen=True)
class RenderedManifest:
    plan: DevicePlan
    content: dict[str, Any]


def create_options_text(options: Mapping[str, Any] | None) -> str:
    """createOptions as the runtime wants it: a minified JSON string."""
    return _to_json(options or {})


def create_options_chunks(options: Mapping[str, Any] | None) -> dict[str, str]:
    """`createOptions`, `createOptions01`... of at most 512 characters, as edgeAgent joins them."""
    text = create_options_text(options)
    if len(text) <= CREATE_OPTIONS_CHUNK:  # nearly always: one chunk
        return {"createOptions": text}
    chunks = [text[i : i + CREATE_OPTIONS_CHUNK] for i in range(0, len(text), CREATE_OPTIONS_CHUNK)]
    return {
        ("createOptions" if index == 0 else f"createOptions{index:02d}"): chunk
        for index, chunk in enumerate(chunks or [""])
    }


def module_settings(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`settings` of a module: its image, then createOptions split into chunks."""
    settings: dict[str, Any] = {"image": spec["image"]}
    settings.update(create_options_chunks(spec.get("create_options")))
    return settings


def module(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A plain module spec in the shape of a manifest's `modules` entry."""
    result: dict[str, Any] = {"settings": module_settings(spec), "type": "docker"}
    env = spec.get("env")
    if env:
        result["env"] = {name: {"value": value} for name, value in env.items()}
    result["status"] = spec.get("status", "running")
    result["restartPolicy"] = spec.get("restart_policy", "always")
    if spec.get("startup_order") is not None:
        result["startupOrder"] = spec["startup_order"]
    if spec.get("image_pull_policy") is not None:
        result["imagePullPolicy"] = spec["image_pull_policy"]
    result["version"] = spec.get("version", "1.0")
    return result


#: What a user template may produce for one device: far above any manifest IoT Hub takes.
MAX_RENDERED = 8 * 1024 * 1024
#: How long a user template may render one device (the bundled one takes under a millisecond).
MAX_RENDER_SECONDS = 10.0


class _BoundedSandbox(jinja2.sandbox.SandboxedEnvironment):
    """jinja2's sandbox (no Python internals, `range` capped), with `*` and `**` bounded
    too: `'x' * 10**10` or `9 ** 9 ** 9` would otherwise take all memory or time."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and right > 256:
            raise jinja2.exceptions.SecurityError(f"the power {right} is too large")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if (
                    isinstance(sequence, (str, list, tuple))
                    and isinstance(count, int)
                    and len(sequence) * count > MAX_RENDERED
                ):
                    raise jinja2.exceptions.SecurityError("the repetition is too large")
        return super().call_binop(context, operator, left, right)


class _OutOfTime(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise _OutOfTime in a render that takes longer (a template loop that never ends).
    Only the main thread receives signals; elsewhere the render runs unbounded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def make_environment(user_templates: Path | None = None) -> jinja2.Environment:
    """The jinja2 environment; a user's template folder is searched first and sandboxed."""
    bundled = jinja2.FileSystemLoader(resources.templates_dir())
    options: dict[str, Any] = {
        "undefined": jinja2.StrictUndefined,
        "autoescape": False,
        "keep_trailing_newline": True,
        "extensions": ["jinja2.ext.do"],
    }
    environment: jinja2.Environment
    if user_templates is None:
        environment = jinja2.Environment(loader=bundled, **options)
    else:
        if not user_templates.is_dir():
            raise TemplateError(f"{user_templates}: templates folder not found")
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(user_templates), bundled])
        environment = _BoundedSandbox(loader=loader, **options)
    # Keeps the order the user wrote (env, createOptions): jinja's own tojson sorts keys.
    environment.filters["tojson"] = _to_json
    environment.filters["create_options_chunks"] = create_options_chunks
    environment.filters["module_settings"] = module_settings
    environment.filters["module"] = module
    return environment


def _module_spec(plan: DevicePlan, name: str, login_server: str) -> dict[str, Any]:
    module = plan.device.modules[name]
    return {
        "image": resolve_image(module.image, plan, login_server),
        "create_options": module.create_options or {},
        "env": dict(module.env),
        "status": module.status,
        "restart_policy": module.restart_policy,
        "startup_order": module.startup_order,
        "image_pull_policy": module.image_pull_policy,
        "version": module.version,
    }


def _routes(plan: DevicePlan) -> dict[str, Any]:
    routes: dict[str, Any] = {}
    for name, route in plan.routes.items():
        if isinstance(route, str):
            routes[name] = route
        else:
            entry: dict[str, Any] = {"route": route.route}
            if route.priority is not None:
                entry["priority"] = route.priority
            if route.time_to_live_secs is not None:
                entry["timeToLiveSecs"] = route.time_to_live_secs
            routes[name] = entry
    return routes


#: The host's CA store, read-only, in a lower-layer connected registry: the Azure/acr nested
#: preview quickstart bound both; without them the sync fails with "The SSL connection could
#: not be established" (Azure/acr#620). The host trusts the root once its bundle is installed.
TRUST_STORE_BINDS = (
    "/etc/ssl/certs:/etc/ssl/certs:ro",
    "/usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro",
)
#: The connected registry starts before the API proxy: nginx refuses to start (and every
#: route through the proxy is down) until the registry's name resolves on the network.
REGISTRY_STARTUP_ORDER = 1
PROXY_STARTUP_ORDER = 2


def _registry_module(registry: Mapping[str, Any]) -> dict[str, Any]:
    """The connected registry: syncs from its parent (the cloud data endpoint on the top
    layer, the parent's API proxy below) and serves plain HTTP behind the local API proxy."""
    settings = connection_string(
        registry["name"],
        registry["sync_token_name"],
        registry["sync_token_password"],
        registry["parent_endpoint"],
        "https",
    )
    binds = [f"{registry['data_dir']}:/var/acr/data", *registry["trust_store_binds"]]
    return module(
        {
            "image": registry["image"],
            "create_options": {"HostConfig": {"Binds": binds}},
            "env": {CONNECTION_STRING_VARIABLE: settings},
            "startup_order": registry["startup_order"],
        }
    )


def _blob_upload_route(plan: DevicePlan) -> str | None:
    """BLOB_UPLOAD_ROUTE_ADDRESS where the device runs the module it names (or the device
    itself asks for it): elsewhere uploads must go on to the parent's proxy, which is what
    the proxy does when the variable is unset, so a default is not copied there."""
    assert plan.proxy is not None
    route = plan.proxy.blob_upload_route
    if route is None:
        return None
    own = plan.device.api_proxy
    if (
        not isinstance(own, bool)
        and own is not None
        and "blob_upload_route" in own.model_fields_set
    ):
        return route
    module = route.rpartition(":")[0].lower()
    return route if module in {name.lower() for name in plan.device.modules} else None


def _proxy_module(proxy: Mapping[str, Any], registry: Mapping[str, Any] | None) -> dict[str, Any]:
    """The API proxy: one TLS port for /v2 and /acr (the local connected registry), the
    parent (on child devices) and edgeHub. Ports other than 8000 and 443 are not exposed by
    the image, so they are declared."""
    env = {"NGINX_DEFAULT_PORT": str(proxy["port"])}
    if registry is not None:
        env["CONNECTED_ACR_ROUTE_ADDRESS"] = (
            f"{registry['module_name']}:{registry['container_port']}"
        )
    if proxy["blob_upload_route"]:
        env["BLOB_UPLOAD_ROUTE_ADDRESS"] = proxy["blob_upload_route"]
    port_key = f"{proxy['port']}/tcp"
    host_config = {"PortBindings": {port_key: [{"HostPort": str(proxy["port"])}]}}
    options: dict[str, Any] = (
        {"HostConfig": host_config}
        if proxy["exposed_by_image"]
        else {"ExposedPorts": {port_key: {}}, "HostConfig": host_config}
    )
    return module(
        {
            "image": proxy["image"],
            "create_options": options,
            "env": env,
            "startup_order": proxy["startup_order"],
        }
    )


def _system_modules(
    edge_agent_image: str, edge_hub_image: str, hub_ports: list[int], telemetry: bool
) -> dict[str, Any]:
    bindings = {f"{port}/tcp": [{"HostPort": str(port)}] for port in hub_ports}
    return {
        "edgeAgent": {
            "settings": module_settings({"image": edge_agent_image, "create_options": {}}),
            "type": "docker",
            "env": {"SendRuntimeQualityTelemetry": {"value": "true" if telemetry else "false"}},
        },
        "edgeHub": {
            "settings": module_settings(
                {
                    "image": edge_hub_image,
                    "create_options": {"HostConfig": {"PortBindings": bindings}},
                }
            ),
            "type": "docker",
            "status": "running",
            "restartPolicy": "always",
        },
    }


def manifest_context(plan: DevicePlan, hierarchy_plan: HierarchyPlan) -> dict[str, Any]:
    """Everything the template needs for one device, as plain data (README, "Custom
    templates"): the settings, and the modules already in the manifest's shape, built here
    rather than in jinja because rendering 10,000 devices spends its time there."""
    cloud = hierarchy_plan.hierarchy.cloud_registry
    login_server = cloud.login_server
    runtime = plan.runtime

    def image(repository: str, version: str) -> str:
        return resolve_image(f"{repository}:{version}", plan, login_server)

    registry: dict[str, Any] | None = None
    if plan.registry is not None:
        parent_endpoint = (
            cloud.data_endpoint or ""
            if plan.is_top
            else f"$IOTEDGE_PARENTHOSTNAME:{plan.upstream_port}"
        )
        registry = {
            "name": plan.registry.name,
            "module_name": plan.registry.module_name,
            "image": image(REGISTRY_REPOSITORY, plan.registry.version),
            "sync_token_name": plan.registry.sync_token_name,
            "sync_token_password": plan.registry.sync_token_password,
            "parent_endpoint": parent_endpoint,
            "data_dir": plan.registry.data_dir,
            "container_port": REGISTRY_CONTAINER_PORT,
            # syncing from the parent's proxy over TLS: the parent's chain ends in the
            # hierarchy's root, which the host trusts and the container must too
            "trust_store_binds": [] if plan.is_top else list(TRUST_STORE_BINDS),
            "startup_order": REGISTRY_STARTUP_ORDER
            if runtime.agent_schema_version != "1.0"
            else None,
        }
    proxy: dict[str, Any] | None = None
    if plan.proxy is not None:
        proxy = {
            "module_name": plan.proxy.module_name,
            "image": image(PROXY_REPOSITORY, plan.proxy.version),
            "port": plan.proxy.port,
            "blob_upload_route": _blob_upload_route(plan),
            "exposed_by_image": plan.proxy.port in PROXY_EXPOSED_PORTS,
            "startup_order": (
                PROXY_STARTUP_ORDER
                if registry is not None and runtime.agent_schema_version != "1.0"
                else None
            ),
        }
    hub_ports = [p for p in EDGEHUB_PORTS if not (proxy and proxy["port"] == p)]
    modules = {name: _module_spec(plan, name, login_server) for name in plan.device.modules}
    agent_image = image(AGENT_REPOSITORY, runtime.version)
    hub_image = image(HUB_REPOSITORY, runtime.version)
    manifest_modules: dict[str, Any] = {}
    if registry is not None:
        manifest_modules[registry["module_name"]] = _registry_module(registry)
    if proxy is not None:
        manifest_modules[proxy["module_name"]] = _proxy_module(proxy, registry)
    for name, spec in modules.items():
        manifest_modules[name] = module(spec)
    return {
        "device": {"id": plan.id, "layer": plan.layer, "hostname": plan.device.hostname},
        "runtime": runtime.model_dump(),
        "edge_agent": {"image": agent_image},
        "edge_hub": {"image": hub_image, "ports": hub_ports},
        "registry_credentials": pull_credentials(plan, login_server),
        "registry": registry,
        "proxy": proxy,
        "modules": modules,
        "system_modules": _system_modules(
            agent_image, hub_image, hub_ports, runtime.runtime_quality_telemetry
        ),
        "manifest_modules": manifest_modules,
        "module_twins": {
            name: module.desired_properties
            for name, module in plan.device.modules.items()
            if module.desired_properties is not None
        },
        "routes": _routes(plan),
    }


_TEMPLATE_FAILURES: dict[type[BaseException], str] = {
    RecursionError: "recursion too deep (a macro that calls itself without end?)",
    MemoryError: "out of memory",
    OverflowError: "a range or number too large",
}


class Renderer:
    """Renders manifests with one compiled template, reused for every device."""

    def __init__(self, user_templates: Path | None = None) -> None:
        self.user_templates = user_templates is not None
        self.environment = make_environment(user_templates)
        try:
            self.template = self.environment.get_template(MANIFEST_TEMPLATE)
        except jinja2.TemplateSyntaxError as error:
            where = f"{error.filename or error.name}:{error.lineno}"
            raise TemplateError(f"{where}: template syntax error: {error.message}") from None
        # jinja keeps a template's globals as a ChainMap over the environment's, which every
        # render copies key by key in Python (20 us of 43 a device); these globals never
        # change, so a plain dict serves the same names.
        self.template.globals = dict(self.template.globals)

    def _render_bounded(self, context: dict[str, Any], device: str) -> str:
        """A user template's text, within MAX_RENDERED characters and MAX_RENDER_SECONDS."""
        pieces = []
        size = 0
        try:
            with _time_limit(MAX_RENDER_SECONDS):
                for piece in self.template.generate(context):
                    size += len(piece)
                    if size > MAX_RENDERED:
                        raise TemplateError(
                            f"{MANIFEST_TEMPLATE}: the text for device {device} passes "
                            f"{MAX_RENDERED} characters; no manifest is that large"
                        )
                    pieces.append(piece)
        except _OutOfTime:
            raise TemplateError(
                f"{MANIFEST_TEMPLATE}: rendering device {device} took over "
                f"{MAX_RENDER_SECONDS:g} s (a loop that does not end?)"
            ) from None
        return "".join(pieces)

    def render(self, plan: DevicePlan, hierarchy_plan: HierarchyPlan) -> RenderedManifest:
        context = manifest_context(plan, hierarchy_plan)
        try:
            if self.user_templates:
                text = self._render_bounded(context, plan.id)
            else:
                text = self.template.render(context)
        except (RecursionError, MemoryError, OverflowError, ValueError) as error:
            # a macro calling itself, `range(10**9)`, an integer too long to print
            raise TemplateError(
                f"{MANIFEST_TEMPLATE}: cannot render device {plan.id}: "
                f"{_TEMPLATE_FAILURES.get(type(error), str(error))}"
            ) from None
        except jinja2.exceptions.SecurityError as error:
            raise TemplateError(
                f"{MANIFEST_TEMPLATE}: refused by the template sandbox: {error}"
            ) from None
        except jinja2.TemplateNotFound as error:
            raise TemplateError(
                f"{MANIFEST_TEMPLATE}: refused to load {error.name!r}: templates may only use "
                "templates from the template folders"
            ) from None
        except jinja2.TemplateError as error:
            raise TemplateError(
                f"{MANIFEST_TEMPLATE}: cannot render device {plan.id}: {error}"
            ) from None
        try:
            content = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise TemplateError(
                f"{MANIFEST_TEMPLATE}: rendered text for device {plan.id} is not JSON "
                f"(line {error.lineno}, column {error.colno}: {error.msg})"
            ) from None
        if not isinstance(content, dict):
            raise TemplateError(
                f"{MANIFEST_TEMPLATE}: rendered JSON for device {plan.id} is not an object"
            )
        return RenderedManifest(plan, content)
