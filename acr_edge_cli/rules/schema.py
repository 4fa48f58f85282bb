"""The manifest breaks the JSON Schema for its `$edgeAgent` / `$edgeHub` schemaVersion
(bundled with acr-edge, checked offline): a missing required key, a wrong type, an unknown
key or a value outside its enumeration. IoT Hub or the device would refuse it. Fix: correct
the key the message names; `acr-edge schema NAME` prints the schema."""

from collections.abc import Iterator

from acr_edge_cli.diagnostics import Severity
from acr_edge_cli.rules.base import Finding, ManifestContext
from acr_edge_cli.validation.schema import check_manifest

NAME = "schema"
SEVERITY = Severity.ERROR
SCOPES = ("manifest",)
SUMMARY = "the JSON Schema for the declared `$edgeAgent` / `$edgeHub` schemaVersion is violated"


def check(context: ManifestContext) -> Iterator[Finding]:
    for path, message, on_key in check_manifest(context.document.data):
        yield Finding(path, message, on_key=on_key)
