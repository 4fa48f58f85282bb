"""IoT Hub automatic deployments for a hierarchy: one base deployment per layer, plus
layered deployments for what differs between the devices of a layer.

Devices are targeted by twin tags that deploy sets first: `acredge.hierarchy`,
`acredge.layer` and `acredge.variant`, where devices of a layer whose differences from the
base are identical share a variant (and so one layered deployment). Ids are stable per
role; deploy adds a version suffix from the resolved content, since IoT Hub never lets a
deployment's content change (facts §5: "content of an existing deployment is immutable").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BASE_PRIORITY = 10
LAYER_PRIORITY = 20  # layered deployments apply only above the base they extend
TAG = "acredge"


@dataclass(frozen=True)
class DeviceManifest:
    id: str
    parent: str | None
    layer: int
    tags: dict[str, Any]
    content: dict[str, Any]  # modulesContent of its manifest


def _digest(value: Any, length: int = 8) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _common(values: Sequence[Any]) -> bool:
    first = values[0]
    return all(value == first for value in values[1:])


_ROUTE_MODULE = re.compile(
    r"/messages/modules/([^/\s*]+)|BrokeredEndpoint\s*\(\s*[\"']/modules/([^/\"']+)/"
)


def _named_modules(route: Any) -> set[str]:
    text = route.get("route", "") if isinstance(route, dict) else str(route)
    return {a or b for a, b in _ROUTE_MODULE.findall(text)}


def _desired(device: DeviceManifest, twin: str) -> dict[str, Any]:
    desired: dict[str, Any] = device.content.get(twin, {}).get("properties.desired", {})
    return desired


def _base(devices: Sequence[DeviceManifest]) -> dict[str, Any]:
    """What every device of a layer has in common, as a complete base deployment."""
    agents = [_desired(d, "$edgeAgent") for d in devices]
    hubs = [_desired(d, "$edgeHub") for d in devices]
    first_agent, first_hub = agents[0], hubs[0]
    # A base deployment sets $edgeAgent and $edgeHub whole: take the first device's system
    # parts; layers replace what differs by path.
    agent = {
        "schemaVersion": first_agent["schemaVersion"],
        "runtime": {
            "type": first_agent["runtime"]["type"],
            "settings": {
                "minDockerVersion": first_agent["runtime"]["settings"].get("minDockerVersion", ""),
            },
        },
        "systemModules": first_agent["systemModules"],
        "modules": {
            name: spec
            for name, spec in first_agent.get("modules", {}).items()
            if all(a.get("modules", {}).get(name) == spec for a in agents)
        },
    }
    credentials = first_agent["runtime"]["settings"].get("registryCredentials", {})
    shared_credentials = {
        key: value
        for key, value in credentials.items()
        if all(
            a["runtime"]["settings"].get("registryCredentials", {}).get(key) == value
            for a in agents
        )
    }
    if shared_credentials:
        agent["runtime"]["settings"]["registryCredentials"] = shared_credentials
    hub = {
        "schemaVersion": first_hub["schemaVersion"],
        # a route stays in the base only if the base has every module it names: the others
        # arrive with the layer that adds their modules
        "routes": {
            name: route
            for name, route in first_hub.get("routes", {}).items()
            if all(h.get("routes", {}).get(name) == route for h in hubs)
            and _named_modules(route) <= set(agent["modules"])
        },
        "storeAndForwardConfiguration": first_hub["storeAndForwardConfiguration"],
    }
    content: dict[str, Any] = {
        "$edgeAgent": {"properties.desired": agent},
        "$edgeHub": {"properties.desired": hub},
    }
    twins = {name for d in devices for name in d.content if not name.startswith("$")}
    for name in sorted(twins):
        values = [d.content.get(name) for d in devices]
        if values[0] is not None and _common(values):
            content[name] = values[0]
    return content


def _variant(device: DeviceManifest, base: dict[str, Any]) -> dict[str, Any]:
    """A device's differences from its layer's base, as layered-deployment dot paths."""
    agent, hub = _desired(device, "$edgeAgent"), _desired(device, "$edgeHub")
    base_agent = base["$edgeAgent"]["properties.desired"]
    base_hub = base["$edgeHub"]["properties.desired"]
    layer_agent: dict[str, Any] = {}
    for name, spec in agent.get("systemModules", {}).items():
        if base_agent["systemModules"].get(name) != spec:
            layer_agent[f"properties.desired.systemModules.{name}"] = spec
    for name, spec in agent.get("modules", {}).items():
        if base_agent["modules"].get(name) != spec:
            layer_agent[f"properties.desired.modules.{name}"] = spec
    base_credentials = base_agent["runtime"]["settings"].get("registryCredentials", {})
    for key, value in agent["runtime"]["settings"].get("registryCredentials", {}).items():
        if base_credentials.get(key) != value:
            layer_agent[f"properties.desired.runtime.settings.registryCredentials.{key}"] = value
    layer_hub: dict[str, Any] = {}
    for name, route in hub.get("routes", {}).items():
        if base_hub["routes"].get(name) != route:
            layer_hub[f"properties.desired.routes.{name}"] = route
    content: dict[str, Any] = {"$edgeAgent": layer_agent}  # required, even when empty
    if layer_hub:
        content["$edgeHub"] = layer_hub
    for name, twin in device.content.items():
        if not name.startswith("$") and base.get(name) != twin:
            content[name] = twin
    return content


def _is_empty(variant: dict[str, Any]) -> bool:
    return variant == {"$edgeAgent": {}}


def _document(
    identifier: str, content: dict[str, Any], condition: str, priority: int, labels: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": identifier,
        "schemaVersion": "1.0",
        "labels": labels,
        "content": {"modulesContent": content},
        "targetCondition": condition,
        "priority": priority,
        "metrics": {
            "queries": {
                "reportedSuccessfulCount": (
                    "SELECT deviceId FROM devices.modules WHERE moduleId = '$edgeAgent' AND "
                    "properties.reported.lastDesiredStatus.code = 200"
                ),
            }
        },
    }


def build_configurations(
    hierarchy: str, devices: Sequence[DeviceManifest]
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """(configuration documents, twin tags per device) for a hierarchy's devices."""
    configurations: list[dict[str, Any]] = []
    tags: dict[str, dict[str, Any]] = {}
    for layer in sorted({d.layer for d in devices}):
        members = [d for d in devices if d.layer == layer]
        base = _base(members)
        labels = {"hierarchy": hierarchy, "layer": str(layer), "role": "base"}
        scope = f"tags.{TAG}.hierarchy='{hierarchy}' AND tags.{TAG}.layer={layer}"
        configurations.append(
            _document(f"{hierarchy}-l{layer}-base", base, scope, BASE_PRIORITY, labels)
        )
        variants: dict[str, dict[str, Any]] = {}
        for device in members:
            variant = _variant(device, base)
            key = "" if _is_empty(variant) else _digest(variant)
            if key:
                variants.setdefault(key, variant)
            tags[device.id] = {
                **device.tags,
                TAG: {"hierarchy": hierarchy, "layer": layer, "variant": key or "base"},
            }
        for key, variant in sorted(variants.items()):
            condition = f"{scope} AND tags.{TAG}.variant='{key}'"
            configurations.append(
                _document(
                    f"{hierarchy}-l{layer}-{key}",
                    variant,
                    condition,
                    LAYER_PRIORITY,
                    {**labels, "role": "layer"},
                )
            )
    return configurations, tags


def versioned_id(document: dict[str, Any]) -> str:
    """The id a configuration is created under: its stable id and a digest of its content
    (content cannot change in IoT Hub: a change is a new deployment)."""
    return f"{document['id']}-{_digest(document['content'], 10)}"
