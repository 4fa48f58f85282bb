"""What a rule module provides, and the contexts its check receives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, Literal, TypeVar, overload

import orjson

from acr_edge_cli.diagnostics import JsonPath, Severity
from acr_edge_cli.document import SourceDocument
from acr_edge_cli.plan import DevicePlan, HierarchyPlan, ImageReference, parse_image

Scope = Literal["manifest", "hierarchy", "configuration", "nginx"]
#: What a rule module may check, each through its own function: check_manifest(context) ...
SCOPES: tuple[Scope, ...] = ("manifest", "hierarchy", "configuration", "nginx")
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


@dataclass(frozen=True)
class Finding:
    """A rule's hit: where in the checked document (or in `document`, for checks that span
    files), what, and a severity if not the default."""

    path: JsonPath
    message: str
    severity: Severity | None = None
    on_key: bool = False
    document: SourceDocument | None = None


@dataclass(frozen=True)
class Rule:
    """A rule as the engine and `acr-edge rules` see it, read from its module."""

    name: str
    severity: Severity
    scopes: tuple[Scope, ...]
    summary: str
    explanation: str
    module: ModuleType

    @classmethod
    def from_module(cls, module: ModuleType) -> Rule:
        return cls(
            name=module.NAME,
            severity=module.SEVERITY,
            scopes=tuple(s for s in SCOPES if hasattr(module, f"check_{s}")),
            summary=module.SUMMARY,
            explanation=" ".join((module.__doc__ or "").split()),
            module=module,
        )

    def check(self, scope: Scope | Literal["output"], context: Any) -> Iterator[Finding]:
        """The findings of the module's check for one scope (output: a generated folder)."""
        result: Iterator[Finding] = getattr(self.module, f"check_{scope}")(context)
        return result

    @property
    def checks_output(self) -> bool:
        """Whether the rule can check a generated folder (index.json and its manifests)."""
        return hasattr(self.module, "check_output")


AGENT = ("modulesContent", "$edgeAgent", "properties.desired")
#: IoT Hub's limit for one string value in a twin, in UTF-8 bytes.
TWIN_VALUE_LIMIT = 4096
#: IoT Hub's limit for a twin's desired properties, counted as _hub_size counts.
TWIN_DESIRED_LIMIT = 32 * 1024
HUB = ("modulesContent", "$edgeHub", "properties.desired")


class ModuleEntry:
    """One module of a manifest (system or user) with the path of its object, and the
    answers every rule asks of it.

    The answers are computed when the entry is made, in one pass: with every rule run on
    every module of thousands of manifests, a lazy property per answer cost more in its
    own machinery (measured 16 us a module) than the answers themselves.
    """

    __slots__ = (
        "create_options_keys",
        "create_options_parsed",
        "create_options_text",
        "env_values",
        "image",
        "is_api_proxy",
        "is_connected_registry",
        "name",
        "path",
        "reference",
        "repository",
        "settings",
        "spec",
        "system",
    )

    def __init__(self, name: str, path: JsonPath, spec: dict[str, Any], system: bool) -> None:
        self.name = name
        self.path = path
        self.spec = spec
        self.system = system
        settings = spec.get("settings")
        self.settings: dict[str, Any] = settings if isinstance(settings, dict) else {}
        image = self.settings.get("image")
        self.image: str | None = image if isinstance(image, str) else None
        env = spec.get("env")
        #: environment values by name (the `value` of each entry)
        self.env_values: dict[str, Any] = (
            {
                key: entry.get("value")
                for key, entry in env.items()
                if isinstance(entry, dict) and "value" in entry
            }
            if isinstance(env, dict)
            else {}
        )
        #: the createOptions chunk keys in the order edgeAgent joins them (it matches them
        #: case-insensitively and sorts them ordinally)
        keys = [
            key
            for key in self.settings
            if key[:13].lower() == "createoptions" and CREATE_OPTIONS_KEY.match(key)
        ]
        if len(keys) > 1:
            keys.sort()
        self.create_options_keys: list[str] = keys
        parts = [self.settings[key] for key in keys]
        #: createOptions with its chunks joined; None if absent or not all text
        self.create_options_text: str | None = (
            "".join(parts) if parts and all(isinstance(part, str) for part in parts) else None
        )
        #: (value, None) for readable createOptions text, (None, reason) otherwise
        self.create_options_parsed: tuple[Any, str | None] = ({}, None)
        if self.create_options_text:
            try:
                self.create_options_parsed = (orjson.loads(self.create_options_text), None)
            except orjson.JSONDecodeError as error:
                self.create_options_parsed = (None, f"{error.msg} at character {error.pos}")
        #: the image split into host, repository, tag and digest; None when it does not parse
        self.reference: ImageReference | None = parse_image(self.image or "")
        #: the image's path without registry, tag or digest ('' when it does not parse)
        self.repository: str = self.reference.repository if self.reference else ""
        self.is_api_proxy: bool = not system and (
            self.repository.endswith("azureiotedge-api-proxy")
            or "NGINX_DEFAULT_PORT" in self.env_values
        )
        self.is_connected_registry: bool = not system and (
            self.repository.endswith("acr/connected-registry")
            or "ACR_REGISTRY_CONNECTION_STRING" in self.env_values
        )

    def env(self) -> dict[str, Any]:
        return self.env_values

    @property
    def create_options(self) -> dict[str, Any]:
        """createOptions as a mapping; empty when absent or unreadable (reported elsewhere)."""
        value = self.create_options_parsed[0]
        return value if isinstance(value, dict) else {}


#: Entries by (name, system, module JSON). A fleet's manifests repeat most modules (edgeAgent,
#: edgeHub, the same user modules on many devices), and an entry's answers depend only on
#: those; rules only read entries, so one entry serves every manifest with that module.
_entries: dict[tuple[str, bool, bytes], ModuleEntry] = {}
_ENTRIES_KEPT = 4096


def _module_entries(modules: Any, *, system: bool) -> list[ModuleEntry]:
    key = "systemModules" if system else "modules"
    found = []
    for name, spec in _mapping(modules).items():
        if not isinstance(spec, dict):
            continue
        # A faithful key: manifests hold no NaN or Infinity, which orjson would write as
        # null (the loaders refuse them)
        try:
            cache_key = (name, system, orjson.dumps(spec))
        except orjson.JSONEncodeError:  # e.g. an integer past 64 bits: not worth keeping
            found.append(ModuleEntry(name, (*AGENT, key, name), spec, system))
            continue
        entry = _entries.get(cache_key)
        if entry is None:
            if len(_entries) >= _ENTRIES_KEPT:
                _entries.clear()
            entry = _entries[cache_key] = ModuleEntry(name, (*AGENT, key, name), spec, system)
        found.append(entry)
    return found


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


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
    """A deployment manifest being checked; `device` is set when it was generated."""

    document: SourceDocument
    device: DevicePlan | None = None
    hierarchy: HierarchyPlan | None = None

    @cached_property
    def content(self) -> dict[str, Any]:
        return _mapping(self.document.data)

    @cached_property
    def modules_content(self) -> dict[str, Any]:
        return _mapping(self.content.get("modulesContent"))

    @cached_property
    def agent(self) -> dict[str, Any]:
        return _mapping(_mapping(self.modules_content.get("$edgeAgent")).get("properties.desired"))

    @cached_property
    def hub(self) -> dict[str, Any]:
        return _mapping(_mapping(self.modules_content.get("$edgeHub")).get("properties.desired"))

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
        return _module_entries(self.agent.get("modules"), system=False)

    @cached_property
    def _system_modules(self) -> list[ModuleEntry]:
        return _module_entries(self.agent.get("systemModules"), system=True)

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
        settings = _mapping(_mapping(self.agent.get("runtime")).get("settings"))
        return _mapping(settings.get("registryCredentials"))

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


# --- helpers shared by the manifest rules ---------------------------------------------------

CREATE_OPTIONS_KEY = re.compile(r"^createoptions(\d*)$", re.IGNORECASE)


def create_options_path(entry: ModuleEntry) -> JsonPath:
    return (*entry.path, "settings", "createOptions")


def env_path(entry: ModuleEntry, name: str) -> JsonPath:
    return (*entry.path, "env", name, "value")


def is_placeholder(value: str) -> bool:
    """A `<REPLACE_WITH_...>` slot of a documentation sample: unknown, not wrong."""
    return value.startswith("<") and value.endswith(">")


def walk_strings(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    stack: list[tuple[Any, JsonPath]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, dict):
            stack.extend((item, (*where, key)) for key, item in node.items())
        elif isinstance(node, list):
            stack.extend((item, (*where, index)) for index, item in enumerate(node))


def rule_modules_of(*modules: ModuleType) -> tuple[Rule, ...]:
    return tuple(Rule.from_module(module) for module in modules)


@dataclass(frozen=True)
class ConfigurationContext:
    """An IoT Hub configuration (automatic deployment) document, and its place in the set
    checked together (one hub's deployments)."""

    document: SourceDocument
    position: int = 0
    total: int = 1

    @property
    def content(self) -> dict[str, Any]:
        return _mapping(self.document.data)

    @property
    def modules_content(self) -> dict[str, Any]:
        return _mapping(_mapping(self.content.get("content")).get("modulesContent"))

    @property
    def is_layered(self) -> bool:
        """Layered deployments address twins by dot paths (`properties.desired.<path>`)."""
        return any(
            key.startswith("properties.desired.")
            for twin in self.modules_content.values()
            if isinstance(twin, dict)
            for key in twin
        )


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
