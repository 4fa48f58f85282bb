"""What a deployment manifest's modules are, as every check asks it: each module with the
path of its object, its image, environment, createOptions, and whether it is the API proxy
or the connected registry. Rules and the proxy model (proxyconfig.py) read modules here.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from acr_edge_cli.diagnostics import JsonPath
from acr_edge_cli.images import ImageReference, parse_image

AGENT = ("modulesContent", "$edgeAgent", "properties.desired")
HUB = ("modulesContent", "$edgeHub", "properties.desired")


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a mapping, else an empty one (odd input is reported elsewhere)."""
    return value if isinstance(value, dict) else {}


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
    def create_options(self) -> dict[str, Any] | None:
        """createOptions as a mapping (empty when absent); None when it cannot be read
        (create-options-invalid reports it), so that no rule judges what it cannot see."""
        value = self.create_options_parsed[0]
        return value if isinstance(value, dict) else None


#: Entries by (name, system, module JSON). A fleet's manifests repeat most modules (edgeAgent,
#: edgeHub, the same user modules on many devices), and an entry's answers depend only on
#: those; rules only read entries, so one entry serves every manifest with that module.
_entries: dict[tuple[str, bool, bytes], ModuleEntry] = {}
_ENTRIES_KEPT = 4096


def module_entries(modules: Any, *, system: bool) -> list[ModuleEntry]:
    key = "systemModules" if system else "modules"
    found = []
    for name, spec in mapping(modules).items():
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


CREATE_OPTIONS_KEY = re.compile(r"^createoptions(\d*)$", re.IGNORECASE)


def create_options_path(entry: ModuleEntry) -> JsonPath:
    return (*entry.path, "settings", "createOptions")


def env_path(entry: ModuleEntry, name: str) -> JsonPath:
    return (*entry.path, "env", name, "value")


def bind_targets(options: dict[str, Any]) -> set[str]:
    """The container paths createOptions binds or mounts from the host (no trailing /)."""
    host_config = options.get("HostConfig")
    if not isinstance(host_config, dict):
        return set()
    targets = set()
    binds, mounts = host_config.get("Binds"), host_config.get("Mounts")
    for bind in binds if isinstance(binds, list) else []:
        if isinstance(bind, str) and bind.count(":") >= 1:
            targets.add(bind.split(":")[1].rstrip("/"))
    for mount in mounts if isinstance(mounts, list) else []:
        if isinstance(mount, dict) and isinstance(mount.get("Target"), str):
            targets.add(mount["Target"].rstrip("/"))
    return targets
