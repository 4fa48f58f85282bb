"""The document breaks its bundled JSON Schema (checked offline): for a manifest, the one of
its `$edgeAgent` / `$edgeHub` schemaVersion; for an IoT Hub configuration, the configuration
schema and, when layered, the layered-deployment schema. A missing required key, a wrong
type, an unknown key or a value outside its enumeration: IoT Hub or the device would refuse
it. Fix: correct the key the message names; `acr-edge schema NAME` prints the schema."""

from collections.abc import Iterator
from typing import Any

from acr_edge_cli.diagnostics import JsonPath, Severity
from acr_edge_cli.manifest_modules import HUB
from acr_edge_cli.placeholders import has_placeholder
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ConfigurationContext, ManifestContext
from acr_edge_cli.schema_check import errors, manifest_errors

NAME = "schema"
SEVERITY = Severity.ERROR
SUMMARY = "the JSON Schema for the declared `$edgeAgent` / `$edgeHub` schemaVersion is violated"


def _value_at(data: Any, path: JsonPath) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _about_placeholder(data: Any, path: JsonPath, on_key: bool) -> bool:
    """A finding on a placeholder (`${VAR}` as a schemaVersion, a credentials key, a
    number): unknown until the template is built, so not wrong."""
    if on_key:
        return bool(path) and has_placeholder(str(path[-1]))
    return has_placeholder(_value_at(data, path))


#: What the schema says of a template without `$edgeHub`: pipelines keep such templates to
#: build and push module images (the IoT Edge tasks' "Build module images"), not to deploy.
BUILD_ONLY = "'$edgeHub' is a required property"
#: edgeHub reads `mqttBroker` from schemaVersion 1.2; older versions ignore it.
MQTT_BROKER_SINCE = "1.2"


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    if context.partial:
        return  # a layered deployment is checked against its own schema
    data = context.document.data
    hub_version = context.hub.get("schemaVersion")
    for path, message, on_key in manifest_errors(data):
        if _about_placeholder(data, path, on_key):
            continue
        if context.template and path == ("modulesContent",) and BUILD_ONLY in message:
            continue  # a template the tools only build modules from needs no edgeHub
        if path == (*HUB, "mqttBroker") and hub_version in ("1.0", "1.1"):
            yield Finding(
                path,
                f"edgeHub schemaVersion {hub_version} ignores mqttBroker (read from "
                f"{MQTT_BROKER_SINCE}); set schemaVersion {MQTT_BROKER_SINCE} or remove it",
                Severity.WARNING,
                on_key=True,
            )
            continue
        yield Finding(path, message, on_key=on_key)


def check_configuration(context: ConfigurationContext) -> Iterator[Finding]:
    # a layered deployment's content alone has none of the configuration's own keys
    findings = [] if context.standalone else list(errors("configuration", context.content))
    if context.is_layered:
        findings += errors("layered-deployment", context.content.get("content"), ("content",))
    for path, message, on_key in findings:
        if not _about_placeholder(context.content, path, on_key):
            yield Finding(path, message, on_key=on_key)
