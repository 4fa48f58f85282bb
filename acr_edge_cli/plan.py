"""From the hierarchy model to one resolved plan per device: layers, defaults, images.

Everything a template or a rule needs to know about a device is decided here, once: which
layer it is on, its parent, the effective runtime, API proxy and connected registry settings
(defaults merged per key), and each image as the device must pull it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from acr_edge_cli.diagnostics import JsonPath
from acr_edge_cli.images import registry_host, upstream_address
from acr_edge_cli.secrets import mark_references

if TYPE_CHECKING:  # the models are types here; checking manifests never loads pydantic
    from acr_edge_cli.model import (
        ApiProxy,
        ConnectedRegistry,
        Credentials,
        Device,
        EdgeRuntime,
        Hierarchy,
        Module,
        Route,
        SyncSettings,
    )

#: edgeHub routes of a device that names none.
DEFAULT_ROUTES = {"upstream": "FROM /messages/* INTO $upstream"}

# Repositories of the system images in the cloud registry (docs/layers.md).
AGENT_REPOSITORY = "azureiotedge-agent"
HUB_REPOSITORY = "azureiotedge-hub"
PROXY_REPOSITORY = "azureiotedge-api-proxy"
REGISTRY_REPOSITORY = "acr/connected-registry"
#: The connected registry serves the distribution API over plain HTTP on this port.
REGISTRY_CONTAINER_PORT = 8080
#: Ports the API proxy image EXPOSEs that a manifest may bind without ExposedPorts. The image
#: exposes more (80, 5000, 11002), but 8000 and 443 are the two documented layouts.
PROXY_EXPOSED_PORTS = (8000, 443)
#: edgeHub's host ports; 443 is left to the API proxy when the proxy listens there.
EDGEHUB_PORTS = (443, 5671, 8883)


@dataclass(frozen=True)
class RegistryPlan:
    """A device's connected registry with defaults applied."""

    name: str
    mode: str
    repositories: tuple[str, ...]
    sync_token_name: str
    sync_token_password: str
    sync: SyncSettings
    log_level: str
    client_tokens: tuple[str, ...]
    notifications: tuple[str, ...]
    data_dir: str
    version: str
    module_name: str


@dataclass(frozen=True)
class DevicePlan:
    """One device of the hierarchy, resolved; `source` is its path in the hierarchy file."""

    device: Device
    source: JsonPath
    layer: int
    parent: DevicePlan | None
    runtime: EdgeRuntime
    proxy: ApiProxy | None
    registry: RegistryPlan | None
    #: The port of the parent's API proxy, which this device pulls through (None on top).
    #: Without a parent proxy the hierarchy is wrong (parent-without-proxy); the default port
    #: then keeps the manifest well-formed so that every rule can still look at it.
    upstream_port: int | None
    #: Secret fields hold `${NAME}` references, marked so that generate records where each
    #: lands in the manifest (secrets.mark_references); False when they were inlined.
    marks_secrets: bool = False

    @property
    def id(self) -> str:
        return self.device.id

    @property
    def is_top(self) -> bool:
        return self.parent is None

    @property
    def nearest_registry_ancestor(self) -> DevicePlan | None:
        ancestor = self.parent
        while ancestor is not None and ancestor.registry is None:
            ancestor = ancestor.parent
        return ancestor

    @property
    def routes(self) -> dict[str, str | Route]:
        return dict(self.device.routes) if self.device.routes is not None else dict(DEFAULT_ROUTES)

    @property
    def modules(self) -> dict[str, Module]:
        return dict(self.device.modules)


@dataclass(frozen=True)
class HierarchyPlan:
    hierarchy: Hierarchy
    devices: tuple[DevicePlan, ...]  # parents before children, layer by layer

    def children_of(self, plan: DevicePlan) -> list[DevicePlan]:
        return [d for d in self.devices if d.parent is plan]


def _registry_plan(
    registry: ConnectedRegistry, hierarchy: Hierarchy, marks_secrets: bool
) -> RegistryPlan:
    defaults = hierarchy.defaults.connected_registry
    password = registry.sync_token.password
    return RegistryPlan(
        name=registry.name,
        mode=registry.mode,
        repositories=tuple(registry.repositories),
        sync_token_name=registry.sync_token.name,
        sync_token_password=mark_references(password) if marks_secrets else password,
        sync=defaults.sync.overridden_by(registry.sync),
        log_level=registry.log_level or defaults.log_level,
        client_tokens=tuple(registry.client_tokens),
        notifications=tuple(registry.notifications),
        data_dir=registry.data_dir or defaults.data_dir,
        version=registry.version or defaults.version,
        module_name=registry.module_name or defaults.module_name,
    )


def _proxy(device: Device, hierarchy: Hierarchy) -> ApiProxy | None:
    setting = device.api_proxy
    if setting is None:  # on where it is needed: children to serve or a registry to front
        setting = bool(device.children) or device.connected_registry is not None
    if setting is False:
        return None
    default: ApiProxy = hierarchy.defaults.api_proxy
    return default if setting is True else default.overridden_by(setting)


def plan_hierarchy(hierarchy: Hierarchy, *, marks_secrets: bool = False) -> HierarchyPlan:
    """Resolve every device, breadth first, so that parents come before their children.

    `marks_secrets`: the secret fields still hold their `${NAME}` references (they were not
    inlined); they are marked, for generate to record where they land."""
    plans: list[DevicePlan] = []
    queue: deque[tuple[Device, JsonPath, DevicePlan | None, int]] = deque(
        (device, ("devices", index), None, 0) for index, device in enumerate(hierarchy.devices)
    )
    while queue:
        device, source, parent, layer = queue.popleft()
        upstream_port = None
        if parent is not None:
            parent_proxy = parent.proxy or hierarchy.defaults.api_proxy
            upstream_port = parent_proxy.port
        plan = DevicePlan(
            device=device,
            source=source,
            layer=layer,
            parent=parent,
            runtime=hierarchy.defaults.edge_runtime.overridden_by(device.edge_runtime),
            proxy=_proxy(device, hierarchy),
            registry=(
                _registry_plan(device.connected_registry, hierarchy, marks_secrets)
                if device.connected_registry is not None
                else None
            ),
            upstream_port=upstream_port,
            marks_secrets=marks_secrets,
        )
        plans.append(plan)
        queue.extend(
            (child, (*source, "children", index), plan, layer + 1)
            for index, child in enumerate(device.children)
        )
    return HierarchyPlan(hierarchy, tuple(plans))


# --- images -------------------------------------------------------------------------------


def resolve_image(image: str, plan: DevicePlan, login_server: str) -> str:
    """Where a device pulls `repository:tag` from: the cloud registry on top, the parent below.

    An image that already names a registry host is used as written.
    """
    if registry_host(image) is not None:
        return image
    if plan.is_top:
        return f"{login_server}/{image}"
    assert plan.upstream_port is not None
    return f"{upstream_address(plan.upstream_port)}/{image}"


def pull_credentials(plan: DevicePlan, login_server: str) -> dict[str, dict[str, str]]:
    """registryCredentials for the registry this device pulls from (empty if none given)."""
    credentials: Credentials | None = plan.device.registry_credentials
    if plan.registry is not None:
        # The sync token can read every repository the registry syncs, which includes the
        # images this device runs; the parent's registry accepts it for the same reason.
        username, password = plan.registry.sync_token_name, plan.registry.sync_token_password
    elif credentials is not None:
        username, password = credentials.username, credentials.password
        if plan.marks_secrets:
            password = mark_references(password)
    else:
        return {}
    if plan.is_top:
        key, address = "cloudregistry", login_server
    else:
        assert plan.upstream_port is not None
        key, address = "connectedregistry", upstream_address(plan.upstream_port)
    return {key: {"username": username, "password": password, "address": address}}


def pulled_images(plan: DevicePlan) -> list[tuple[JsonPath, str]]:
    """Every `repository:tag` the device pulls, each with where the hierarchy sets it."""
    images: list[tuple[JsonPath, str]] = [
        ((*plan.source, "id"), f"{AGENT_REPOSITORY}:{plan.runtime.version}"),
        ((*plan.source, "id"), f"{HUB_REPOSITORY}:{plan.runtime.version}"),
    ]
    if plan.proxy is not None:
        images.append(((*plan.source, "id"), f"{PROXY_REPOSITORY}:{plan.proxy.version}"))
    if plan.registry is not None:
        images.append(((*plan.source, "id"), f"{REGISTRY_REPOSITORY}:{plan.registry.version}"))
    images.extend(
        ((*plan.source, "modules", name, "image"), module.image)
        for name, module in plan.device.modules.items()
    )
    return images
