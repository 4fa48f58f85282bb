"""What each rule scope's check receives: a manifest, a hierarchy, a deployment
configuration, a generated folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import orjson

from acr_edge_cli.diagnostics import JsonPath
from acr_edge_cli.document import SourceDocument, walk_strings
from acr_edge_cli.file_kinds import is_layered
from acr_edge_cli.manifest_modules import ModuleEntry, mapping, module_entries
from acr_edge_cli.plan import DevicePlan, HierarchyPlan

_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """functools.cached_property without its per-access lock (Python 3.11), which cost a
    quarter of the rules' time: contexts are used by one thread."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


#: IoT Hub's limit for one string value in a twin, in UTF-8 bytes.
TWIN_VALUE_LIMIT = 4096
#: IoT Hub's limit for a twin's desired properties, counted as _hub_size counts.
TWIN_DESIRED_LIMIT = 32 * 1024


def _hub_size(desired: Any) -> tuple[int, int]:
    """(size as IoT Hub counts it, longest string value in UTF-8 bytes) of a twin value:
    key lengths, string values as UTF-8 bytes, 8 bytes per number, 4 per boolean."""
    total = longest = 0
    stack: list[Any] = [desired]
    while stack:
        node = stack.pop()
        if type(node) is str:
            size = len(node) if node.isascii() else len(node.encode("utf-8"))
            total += size
            longest = size if size > longest else longest
        elif type(node) is dict:
            for key in node:
                total += len(key) if key.isascii() else len(key.encode("utf-8"))
            stack.extend(node.values())
        elif isinstance(node, bool):
            total += 4
        elif isinstance(node, (int, float)):
            total += 8
        elif isinstance(node, list):
            stack.extend(node)
    return total, longest


def _within_twin_limits(desired: Any) -> bool:
    """True when the compact JSON text alone shows both limits hold, without the walk.

    No string is longer than the text, and the hub counts at most 4 bytes per byte of it: a
    string or key counts its bytes but takes 2 more (quotes); a number counts 8 but takes at
    least 2 (a digit, and the `:`, `,` or `[` before it); a boolean counts 4 and takes 5.
    """
    try:
        length = len(orjson.dumps(desired))
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits: count exactly
        return False
    return length <= TWIN_VALUE_LIMIT and 4 * length <= TWIN_DESIRED_LIMIT


@dataclass(frozen=True)
class ManifestContext:
    """A deployment manifest being checked; `device` is set when it was generated.

    `template`: a deployment template, whose placeholders are unknown, not wrong.
    `partial`: only part of a deployment (a layered one): what is not here may be in the
    base deployment, so checks that need the whole stay silent.
    `stringified`: the createOptions (file paths) a template wrote as objects, which the
    tools turn into strings and split into chunks themselves.
    """

    document: SourceDocument
    device: DevicePlan | None = None
    hierarchy: HierarchyPlan | None = None
    template: bool = False
    partial: bool = False
    stringified: frozenset[JsonPath] = frozenset()

    @cached_property
    def content(self) -> dict[str, Any]:
        return mapping(self.document.data)

    @cached_property
    def modules_content(self) -> dict[str, Any]:
        return mapping(self.content.get("modulesContent"))

    @cached_property
    def agent(self) -> dict[str, Any]:
        return mapping(mapping(self.modules_content.get("$edgeAgent")).get("properties.desired"))

    @cached_property
    def hub(self) -> dict[str, Any]:
        return mapping(mapping(self.modules_content.get("$edgeHub")).get("properties.desired"))

    @property
    def agent_schema_version(self) -> str | None:
        version = self.agent.get("schemaVersion")
        return version if isinstance(version, str) else None

    @cached_property
    def twin_sizes(self) -> tuple[dict[str, int], list[tuple[JsonPath, int]]]:
        """For the two size rules: the twins whose desired properties are over 32 KB as IoT
        Hub counts them, with their size, and the string values over 4 KB."""
        oversized_twins: dict[str, int] = {}
        longest = 0
        for twin, content in self.modules_content.items():
            desired = content.get("properties.desired") if isinstance(content, dict) else None
            if desired is None or _within_twin_limits(desired):
                continue
            size, twin_longest = _hub_size(desired)
            if size > TWIN_DESIRED_LIMIT:
                oversized_twins[twin] = size
            longest = max(longest, twin_longest)
        oversized_values = []
        if longest > TWIN_VALUE_LIMIT:  # rare: only then are paths worth building
            for path, text in walk_strings(self.modules_content, ("modulesContent",)):
                size = len(text.encode("utf-8"))
                if size > TWIN_VALUE_LIMIT:
                    oversized_values.append((path, size))
            oversized_values.sort()
        return oversized_twins, oversized_values

    @cached_property
    def _user_modules(self) -> list[ModuleEntry]:
        return module_entries(self.agent.get("modules"), system=False)

    @cached_property
    def _system_modules(self) -> list[ModuleEntry]:
        return module_entries(self.agent.get("systemModules"), system=True)

    def user_modules(self) -> list[ModuleEntry]:
        return self._user_modules

    def system_modules(self) -> list[ModuleEntry]:
        return self._system_modules

    @cached_property
    def _all_modules(self) -> list[ModuleEntry]:
        return self._system_modules + self._user_modules

    def all_modules(self) -> list[ModuleEntry]:
        return self._all_modules

    def module(self, name: str) -> ModuleEntry | None:
        return next((m for m in self.user_modules() if m.name == name), None)

    def registry_credentials(self) -> dict[str, Any]:
        settings = mapping(mapping(self.agent.get("runtime")).get("settings"))
        return mapping(settings.get("registryCredentials"))

    @property
    def is_lower_layer(self) -> bool | None:
        """True/False when known (generated, or any `$upstream` image); None if unknown."""
        if self.device is not None:
            return not self.device.is_top
        images = [m.image or "" for m in self.all_modules()]
        return True if any(i.startswith("$upstream") for i in images) else None


@dataclass(frozen=True)
class HierarchyContext:
    document: SourceDocument
    plan: HierarchyPlan

    @cached_property
    def fleet(self) -> list[FleetDevice]:
        return hierarchy_fleet(self)


def registry_setting_path(plan: DevicePlan, *keys: str) -> JsonPath:
    """Where a connected registry setting was written: on the device, or in `defaults`."""
    node: Any = plan.device.connected_registry
    for key in keys[:-1]:
        node = getattr(node, key, None) if node is not None else None
    if node is not None and keys[-1] in node.model_fields_set:
        return (*plan.source, "connected_registry", *keys)
    return ("defaults", "connected_registry", *keys)


def proxy_setting_path(plan: DevicePlan, key: str) -> JsonPath:
    """Where an API proxy setting was written: on the device, or in `defaults`."""
    setting = plan.device.api_proxy
    if setting is not None and not isinstance(setting, bool) and key in setting.model_fields_set:
        return (*plan.source, "api_proxy", key)
    return ("defaults", "api_proxy", key)


@dataclass(frozen=True)
class ConfigurationContext:
    """An IoT Hub configuration (automatic deployment) document, and its place in the set
    checked together (one hub's deployments)."""

    document: SourceDocument
    position: int = 0
    total: int = 1
    #: a layered deployment's content on its own (no id, target condition or labels)
    standalone: bool = False

    @property
    def content(self) -> dict[str, Any]:
        return mapping(self.document.data)

    @property
    def modules_content(self) -> dict[str, Any]:
        return mapping(mapping(self.content.get("content")).get("modulesContent"))

    @property
    def is_layered(self) -> bool:
        """Layered deployments address twins by dot paths (`properties.desired.<path>`)."""
        return self.standalone or is_layered(self.modules_content)


@dataclass(frozen=True)
class OutputDevice:
    """A device of a generated folder: its index entry and its manifest."""

    id: str
    parent: str | None
    layer: int
    index_path: JsonPath  # its entry in index.json
    manifest: ManifestContext

    def api_proxy(self) -> ModuleEntry | None:
        return next((m for m in self.manifest.user_modules() if m.is_api_proxy), None)

    def proxy_port(self) -> str | None:
        proxy = self.api_proxy()
        return str(proxy.env().get("NGINX_DEFAULT_PORT", "8000")) if proxy else None


@dataclass(frozen=True)
class OutputContext:
    """A generated OUT folder: hierarchy rules that can be read off the manifests run here."""

    index: SourceDocument
    devices: tuple[OutputDevice, ...]

    def by_id(self, device_id: str | None) -> OutputDevice | None:
        return self._by_id.get(device_id) if device_id is not None else None

    def children_of(self, device: OutputDevice) -> list[OutputDevice]:
        return self._children.get(device.id, [])

    @cached_property
    def fleet(self) -> list[FleetDevice]:
        return output_fleet(self)

    # Indexed once: a scan per device made checking a 10,000-device folder quadratic.

    @cached_property
    def _by_id(self) -> dict[str, OutputDevice]:
        found: dict[str, OutputDevice] = {}
        for device in self.devices:
            found.setdefault(device.id, device)  # the first, as a scan would find it
        return found

    @cached_property
    def _children(self) -> dict[str, list[OutputDevice]]:
        children: dict[str, list[OutputDevice]] = {}
        for device in self.devices:
            if device.parent is not None:
                children.setdefault(device.parent, []).append(device)
        return children


# --- the fleet: devices as the rules across devices see them --------------------------------


@dataclass(frozen=True)
class Place:
    """Where a value was written: a path in the checked document, or in `document`."""

    path: JsonPath
    document: SourceDocument | None = None
    on_key: bool = False


@dataclass(frozen=True)
class FleetDevice:
    """One device, read off a hierarchy file or a generated folder alike, so that a rule
    across devices is written once (check_fleet) and runs on both."""

    id: str
    parent: str | None
    layer: int
    children: int
    where: str  # the device's place, as a person reads it: devices.0.children.1
    at: Place  # its id
    layer_at: Place
    proxy_at: Place  # where its API proxy is, or would be
    proxy_name: str | None = None
    proxy_name_at: Place | None = None
    proxy_port: str | None = None
    proxy_port_at: Place | None = None
    registry_at: Place | None = None  # its connected registry
    registry_name: str | None = None
    registry_name_at: Place | None = None
    #: images pulled through `$upstream:<port>`, as written in a manifest (a hierarchy has
    #: none: generate writes them with the parent's port)
    upstream_images: tuple[tuple[str, str, Place], ...] = ()  # (module, image, place)


def _dotted(path: JsonPath) -> str:
    return ".".join(str(part) for part in path)


def hierarchy_fleet(context: HierarchyContext) -> list[FleetDevice]:
    fleet = []
    for plan in context.plan.devices:
        proxy, registry = plan.proxy, plan.registry
        fleet.append(
            FleetDevice(
                id=plan.id,
                parent=plan.parent.id if plan.parent else None,
                layer=plan.layer,
                children=len(plan.device.children),
                where=_dotted(plan.source),
                at=Place((*plan.source, "id")),
                layer_at=Place((*plan.source, "id")),
                proxy_at=Place((*plan.source, "api_proxy")),
                proxy_name=proxy.module_name if proxy else None,
                proxy_name_at=Place(proxy_setting_path(plan, "module_name")) if proxy else None,
                proxy_port=str(proxy.port) if proxy else None,
                proxy_port_at=Place(proxy_setting_path(plan, "port")) if proxy else None,
                registry_at=Place((*plan.source, "connected_registry")) if registry else None,
                registry_name=registry.name if registry else None,
                registry_name_at=(
                    Place((*plan.source, "connected_registry", "name")) if registry else None
                ),
            )
        )
    return fleet


def output_fleet(context: OutputContext) -> list[FleetDevice]:
    from acr_edge_cli.connection_strings import VARIABLE, parse_connection_string
    from acr_edge_cli.manifest_modules import AGENT, env_path

    fleet = []
    for device in context.devices:
        document = device.manifest.document
        proxy = device.api_proxy()
        modules = device.manifest.user_modules()
        registry = next((m for m in modules if m.is_connected_registry), None)
        settings = registry.env().get(VARIABLE) if registry else None
        name = (
            parse_connection_string(settings).get("ConnectedRegistryName")
            if isinstance(settings, str)
            else None
        )
        fleet.append(
            FleetDevice(
                id=device.id,
                parent=device.parent,
                layer=device.layer,
                children=len(context.children_of(device)),
                where=_dotted(device.index_path),
                at=Place((*device.index_path, "id")),
                layer_at=Place((*device.index_path, "layer")),
                proxy_at=Place((*AGENT, "modules"), document),
                proxy_name=proxy.name if proxy else None,
                proxy_name_at=Place(proxy.path, document, on_key=True) if proxy else None,
                proxy_port=device.proxy_port(),
                proxy_port_at=(
                    Place((*proxy.path, "env", "NGINX_DEFAULT_PORT", "value"), document)
                    if proxy
                    else None
                ),
                registry_at=Place(registry.path, document) if registry else None,
                registry_name=name or None,
                registry_name_at=(
                    Place(env_path(registry, VARIABLE), document) if registry and name else None
                ),
                upstream_images=tuple(
                    (m.name, m.image, Place((*m.path, "settings", "image"), document))
                    for m in device.manifest.all_modules()
                    if m.image and m.image.startswith("$upstream:")
                ),
            )
        )
    return fleet
