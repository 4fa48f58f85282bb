"""The document breaks its bundled JSON Schema (checked offline): for a manifest, the one of
its `$edgeAgent` / `$edgeHub` schemaVersion; for an IoT Hub configuration, the configuration
schema and, when layered, the layered-deployment schema. A missing required key, a wrong
type, an unknown key or a value outside its enumeration: IoT Hub or the device would refuse
it. Fix: correct the key the message names; `acr-edge schema NAME` prints the schema."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding
from acr_edge_cli.rules.contexts import ConfigurationContext, ManifestContext
from acr_edge_cli.schema_check import errors, manifest_errors

NAME = "schema"
SEVERITY = Severity.ERROR
SUMMARY = "the JSON Schema for the declared `$edgeAgent` / `$edgeHub` schemaVersion is violated"


def check_manifest(context: ManifestContext) -> Iterator[Finding]:
    for path, message, on_key in manifest_errors(context.document.data):
        yield Finding(path, message, on_key=on_key)


def check_configuration(context: ConfigurationContext) -> Iterator[Finding]:
    findings = list(errors("configuration", context.content))
    if context.is_layered:
        findings += errors("layered-deployment", context.content.get("content"), ("content",))
    for path, message, on_key in findings:
        yield Finding(path, message, on_key=on_key)
