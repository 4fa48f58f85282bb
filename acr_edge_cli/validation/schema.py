"""Deployment manifests against the bundled JSON Schemas, chosen by schemaVersion.

Validators are compiled once per process. An unknown schemaVersion is reported, never
skipped (az iot skips validation silently when it has no schema for a version).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from acr_edge_cli import resources
from acr_edge_cli.diagnostics import JsonPath

AGENT_SCHEMA_VERSIONS = ("1.0", "1.1")
HUB_SCHEMA_VERSIONS = ("1.0", "1.1", "1.2", "1.3")

#: (path, message) of one finding; the caller turns it into a located Diagnostic.
SchemaFinding = tuple[JsonPath, str]


@functools.cache
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = resources.load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    result: jsonschema.protocols.Validator = cls(schema)
    return result


def _describe_error(error: ValidationError) -> tuple[JsonPath, str]:
    path: JsonPath = tuple(error.absolute_path)
    where = "/".join(str(p) for p in path) or "the document"
    keyword = error.validator
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        patterns = schema.get("patternProperties", {})
        extra = [
            key
            for key in error.instance
            if key not in allowed and not any(re.search(p, key) for p in patterns)
        ]
        if extra:
            return (*path, extra[0]), f"{where}: unknown key {extra[0]!r}"
    if keyword == "required":
        return path, f"{where}: {error.message}"
    if keyword == "propertyNames":
        return path, f"{where}: key {error.instance!r} is not allowed here ({error.message})"
    if keyword == "const":
        return path, f"{where}: must be {error.validator_value!r}, not {error.instance!r}"
    return path, f"{where}: {error.message}"


def _errors(name: str, instance: Any, prefix: JsonPath) -> Iterator[SchemaFinding]:
    for error in validator(name).iter_errors(instance):
        if error.context:  # anyOf/oneOf: the alternative that came closest says most
            error = best_match(error.context)
        path, message = _describe_error(error)
        yield (*prefix, *path), message


def _schema_version(twin: Any) -> Any:
    if isinstance(twin, dict):
        desired = twin.get("properties.desired")
        if isinstance(desired, dict):
            return desired.get("schemaVersion")
    return None


def check_manifest(content: Any) -> list[SchemaFinding]:
    """Schema findings for one manifest (the outer shape, then $edgeAgent and $edgeHub)."""
    findings = list(_errors("deployment-manifest", content, ()))
    modules = content.get("modulesContent") if isinstance(content, dict) else None
    if not isinstance(modules, dict):
        return findings
    for twin_name, schema_prefix, known in (
        ("$edgeAgent", "edgeagent", AGENT_SCHEMA_VERSIONS),
        ("$edgeHub", "edgehub", HUB_SCHEMA_VERSIONS),
    ):
        twin = modules.get(twin_name)
        if not isinstance(twin, dict):
            continue
        version = _schema_version(twin)
        base: JsonPath = ("modulesContent", twin_name)
        if version is None or not isinstance(version, str):
            # No usable version: check against the newest, which reports the version itself.
            findings.extend(_errors(f"{schema_prefix}-{known[-1]}", twin, base))
        elif version in known:
            findings.extend(_errors(f"{schema_prefix}-{version}", twin, base))
        # An unknown version is the unknown-schema-version rule's finding, not a schema one.
    return findings
